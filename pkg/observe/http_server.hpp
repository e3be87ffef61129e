#pragma once
// A small blocking HTTP/1.1 server for the controller's own endpoints (/metrics, /healthz, /readyz)
// and the RPC gateway. One accept thread; one thread per connection up to a fixed limit (further
// connections wait in the kernel backlog); every read has a timeout; bodies have a size limit.
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

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class HttpServer {
 public:
  struct Options {
    std::string address = "0.0.0.0";
    std::uint16_t port = 0;  // 0: any free port (see port())
    std::size_t max_body_bytes = 1 << 20;
    int max_connections = 64;
    std::chrono::milliseconds read_timeout{30000};
  };

  // Binds and starts serving; throws std::runtime_error naming the address when it cannot bind.
  HttpServer(Options options, HttpHandler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  std::uint16_t port() const;
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Splits "host:port" or ":port" (the flag syntax of Kubernetes components) into its parts.
std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text);

}  // namespace kb::observe
