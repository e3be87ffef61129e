#pragma once
// HttpTransport: HTTP/1.1 over TLS (or plain TCP for http:// servers) to one API server, with a
// small pool of keep-alive connections, a connect timeout and a per-request deadline. Plain types
// only; Boost.Beast/Asio/OpenSSL stay inside http_transport.cpp. Used by Client; thread-safe.
#include "pkg/kube/cluster_config.hpp"
#include "pkg/kube/credentials.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::kube {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct TransportRequest {
  std::string method;
  std::string target;  // path and query, relative to the server URL's path prefix
  HeaderList headers;
  std::string body;
  std::chrono::milliseconds timeout{0};  // whole request; 0: none
};

struct TransportResponse {
  int status = 0;
  HeaderList headers;
  std::string body;
};

class HttpTransport {
 public:
  explicit HttpTransport(const ClusterConfig& config, std::size_t max_idle_connections = 4);
  ~HttpTransport();
  HttpTransport(const HttpTransport&) = delete;
  HttpTransport& operator=(const HttpTransport&) = delete;

  // `identity` supplies an exec plugin's client certificate (empty: the kubeconfig's, if any).
  TransportResponse send(const TransportRequest& request, const Credentials& identity);

  // For status < 300, calls on_data with body bytes as they arrive until the body ends, on_data
  // returns false, or stop is requested; the returned response has no body. For other statuses
  // the whole body is read and returned without calling on_data.
  TransportResponse stream(const TransportRequest& request, const Credentials& identity,
                           const std::function<bool(std::string_view)>& on_data, std::stop_token stop,
                           std::chrono::milliseconds idle_timeout);

  void reset();
  const std::string& server() const;  // "https://host:port", for messages
  std::size_t idle_connections() const;
  std::uint64_t connections_opened() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kb::kube
