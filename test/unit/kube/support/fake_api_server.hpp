#pragma once
// FAKE API server for unit tests — not Kubernetes. A scripted HTTP/1.1 peer on 127.0.0.1
// (optionally TLS, optionally demanding a client certificate) that answers each request with
// whatever the test's handler returns: a plain body, a chunked body split exactly where the test
// says (to exercise decoding across chunk boundaries), a stream held open, or a dropped connection.
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace kb::kube::testing {

struct FakeRequest {
  std::string method;
  std::string target;  // path and query
  std::string path;
  std::string query;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
  std::string header(const std::string& lower_name) const;
  std::string query_param(const std::string& name) const;  // decoded; "" when absent
};

struct FakeResponse {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<std::string> chunks;  // non-empty: Transfer-Encoding: chunked, one HTTP chunk each
  std::chrono::milliseconds chunk_delay{0};
  bool hold_open = false;  // after the chunks, keep the stream open until the server stops
  bool close = false;      // close the connection after this response
  bool drop = false;       // close the connection without answering

  static FakeResponse json(int status, std::string body);
};

struct FakeTls {
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;  // non-empty: require a client certificate signed by it
};

class FakeApiServer {
 public:
  using Handler = std::function<FakeResponse(const FakeRequest&)>;
  explicit FakeApiServer(Handler handler, const FakeTls* tls = nullptr);
  ~FakeApiServer();
  FakeApiServer(const FakeApiServer&) = delete;
  FakeApiServer& operator=(const FakeApiServer&) = delete;

  int port() const;
  std::string url() const;  // "http://127.0.0.1:port" or "https://..."
  std::vector<FakeRequest> requests() const;
  std::size_t connections() const;
  std::string last_client_subject() const;  // CN of the last client certificate seen
  void stop();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// A JSON Status like the API server's.
std::string status_json(int code, const std::string& reason, const std::string& message);

}  // namespace kb::kube::testing
