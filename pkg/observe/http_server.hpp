#pragma once
// The project's one HTTP/1.1 server: /metrics, /healthz and /readyz, and the RPC gateway.
//
// Asynchronous (Beast) on a single I/O thread that never blocks. A handler either answers at once
// (HttpHandler, for cheap endpoints) or takes an HttpResponder and answers later from any thread
// (AsyncHttpHandler, for work that blocks, which the caller runs on its own threads). One I/O
// thread is enough because nothing slow runs on it, and it keeps the connection table lock-free.
//
// Bounds, so that no client can hold the server: a deadline for a whole request (header and body,
// not per read), an idle deadline between keep-alive requests, a write deadline, a deadline for
// the handler's answer, header and body limits, and a cap on open connections. At the cap, the
// connection that has waited longest for a request is closed to make room, so a flood of idle or
// trickling connections cannot lock out a probe. Accept errors (out of descriptors) back off.
// Exceptions from handlers become 500 answers; none ends the I/O thread. stop() closes every
// connection and joins; no thread is detached.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace kb::observe {

struct HttpRequest {
  std::string method;
  std::string target;                          // path and query, as sent
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string remote_address;
  std::string header(const std::string& lower_name) const;
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
};

// Sends the answer to one request. Copyable; the first call wins, later ones do nothing. Safe from
// any thread, also after the server stopped (the answer is then dropped). If every copy is gone
// without a call, the client gets a 500.
class HttpResponder {
 public:
  struct State;
  explicit HttpResponder(std::shared_ptr<State> state) : state_(std::move(state)) {}
  void operator()(HttpResponse response) const;

 private:
  std::shared_ptr<State> state_;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;
using AsyncHttpHandler = std::function<void(HttpRequest, HttpResponder)>;

class HttpServer {
 public:
  struct Options {
    std::string address = "0.0.0.0";
    std::uint16_t port = 0;  // 0: any free port (see port())
    std::size_t max_body_bytes = 1 << 20;
    std::size_t max_header_bytes = 16 * 1024;
    std::size_t max_connections = 64;
    std::chrono::milliseconds read_timeout{10'000};  // a whole request, from accept or its first byte
    std::chrono::milliseconds idle_timeout{60'000};  // a keep-alive connection between requests
    std::chrono::milliseconds write_timeout{10'000};
    std::chrono::milliseconds handler_timeout{60'000};  // then the server answers 504 itself
    std::string name = "HTTP server";                   // in bind errors
    // The answer to a body over max_body_bytes (the request has no body); default: 413 text.
    std::function<HttpResponse(const HttpRequest&)> too_large;
    // The server's own error answers (status 500 or 504 and why); default: text.
    std::function<HttpResponse(int status, const std::string& why)> server_error;
  };

  // Binds and starts serving; throws std::runtime_error naming the address when it cannot bind.
  HttpServer(Options options, HttpHandler handler);
  HttpServer(Options options, AsyncHttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  // Closes the listener and every connection and joins the I/O thread. Answers still being
  // prepared by handlers are dropped. Idempotent.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" or ":port" (the flag syntax of Kubernetes components) into its parts.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text);

}  // namespace kb::observe
