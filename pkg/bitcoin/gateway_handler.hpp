#pragma once
// What the RPC gateway does with one HTTP request, without the HTTP server around it: route,
// check the caller's proof, look the node up, apply the method policy, forward, and describe the
// call for the log. The server (rpc_gateway.cpp) reads requests, runs screen() on its I/O thread
// and serve() on a worker, and writes answers.
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pkg/bitcoin/credential_throttle.hpp"
#include "pkg/bitcoin/gateway_protocol.hpp"
#include "pkg/bitcoin/method_policy.hpp"
#include "pkg/bitcoin/node_directory.hpp"
#include "pkg/bitcoin/rpc_protocol.hpp"

namespace kb::observe {
class Logger;
}

namespace kb::bitcoin {

struct GatewayHttpRequest {
  std::string verb;  // "POST"
  std::string target;
  std::string caller_credentials;  // the X-Bitcoin-Rpc-Authorization value ("" when absent)
  std::string body;
  std::string peer;  // remote address, for the log
};

struct GatewayHttpAnswer {
  int status = 200;
  std::string body;
  bool forwarded = false;                                    // the node's answer (sets X-Bitcoin-Gateway: forwarded)
  std::vector<std::pair<std::string, std::string>> headers;  // Retry-After
};

// One log line per call. Never holds credentials or params.
struct GatewayCallRecord {
  std::string namespace_name;
  std::string network;
  std::optional<int> ordinal;
  std::string method;  // "getblockcount", or "batch:getblockcount,getpeerinfo"
  std::chrono::milliseconds duration{0};
  int http_status = 0;
  std::string result;  // "ok", "rpc_error", or a gateway reason ("MethodDenied", ...)
  std::optional<int> rpc_code;
  std::string peer;
};
using GatewayCallLog = std::function<void(const GatewayCallRecord&)>;

// Logs each record as one info line ("rpc gateway call", network=..., node=..., ...).
GatewayCallLog log_gateway_calls_to(observe::Logger& logger);

// Sends a JSON-RPC body to a node's `path` ("/" or "/wallet/<name>") and returns its HTTP
// answer; throws RpcTransportError. Called from several workers at once.
class NodeForwarder {
 public:
  virtual ~NodeForwarder() = default;
  virtual HttpReply forward(const NetworkNode& node, const std::string& path, const UserPassword& credentials,
                            const std::string& body, std::string_view label) = 0;
};

struct GatewayPolicy {
  std::size_t max_request_bytes = 1024 * 1024;
  MethodPolicy methods;
  CredentialThrottle::Settings throttle;
};

class GatewayHandler {
 public:
  GatewayHandler(const NodeDirectory& directory, NodeForwarder& forwarder, GatewayPolicy policy);

  // The checks that need neither a lookup nor the node (verb, path, size, wallet name, a proof
  // present, the network not held off for wrong proofs): cheap, for the server's I/O thread.
  // A refusal, or nullopt with `node` set.
  std::optional<GatewayHttpAnswer> screen(const GatewayHttpRequest& request, GatewayCallRecord& record, NodeRef& node);
  // The rest (lookup, proof, node, body, method policy, forwarding): blocks up to the node
  // timeouts, so it runs on a worker. Never throws: any failure is an answer.
  GatewayHttpAnswer serve(const GatewayHttpRequest& request, const NodeRef& node, GatewayCallRecord& record) noexcept;
  // Both, in order; `record` is filled for the log (duration and status included).
  GatewayHttpAnswer handle(const GatewayHttpRequest& request, GatewayCallRecord& record) noexcept;
  const GatewayPolicy& policy() const { return policy_; }

 private:
  GatewayHttpAnswer serve_unguarded(const GatewayHttpRequest& request, const NodeRef& node, GatewayCallRecord& record);

  const NodeDirectory& directory_;
  NodeForwarder& forwarder_;
  GatewayPolicy policy_;
  CredentialThrottle throttle_;
};

// The gateway's refusal as an answer (also used by the server for 413 before the body is read).
GatewayHttpAnswer gateway_error_answer(GatewayErrorReason reason, std::string message);
GatewayHttpAnswer gateway_error_answer(GatewayErrorBody error);

}  // namespace kb::bitcoin
