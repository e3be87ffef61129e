#pragma once
// The RPC gateway's HTTP contract, shared by the server (rpc_gateway) and the CLI's side
// (gateway_client). Pure: no sockets. docs/rpc-gateway.md tells the why.
//
//   POST /v1/namespaces/{namespace}/networks/{network}/nodes/{ordinal}
//   X-Bitcoin-Rpc-Authorization: Basic base64(user:password)   the network's RPC credentials
//   Content-Type: application/json
//   body: one JSON-RPC request object, or a batch (array)
//
// Answers: bitcoind's own answer relayed verbatim (status and body, marked with the header
// X-Bitcoin-Gateway: forwarded), or a gateway error {"gatewayError":{"reason":..., "message":...}}.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/bitcoin/rpc_endpoint.hpp"

namespace kb::bitcoin {

// The API server's proxy strips Authorization, so the caller's proof travels in its own header.
inline constexpr std::string_view kCallerCredentialsHeader = "X-Bitcoin-Rpc-Authorization";
// Set on answers that come from the node (as opposed to the gateway's own errors).
inline constexpr std::string_view kGatewayHeader = "X-Bitcoin-Gateway";
inline constexpr std::string_view kGatewayForwarded = "forwarded";

struct NodeRef {
  std::string namespace_name;
  std::string network;
  int ordinal = 0;
  bool operator==(const NodeRef&) const = default;
};

// "/v1/namespaces/<ns>/networks/<name>/nodes/<ordinal>"
std::string gateway_node_path(const NodeRef& node);
// The node a request target names; nullopt for any other path (a query string is ignored).
// Namespace and network must be DNS-1123 names, the ordinal a non-negative decimal.
std::optional<NodeRef> parse_gateway_node_path(std::string_view target);

enum class GatewayErrorReason {
  route_not_found,            // 404 not a gateway path
  method_not_allowed,         // 405 not POST
  request_too_large,          // 413
  bad_request,                // 400 body is not a JSON-RPC request
  network_not_found,          // 404
  credentials_missing,        // 403 no X-Bitcoin-Rpc-Authorization
  credentials_rejected,       // 403 not the network's credentials
  node_not_found,             // 404 no such ordinal (existingOrdinals lists the ones there are)
  node_not_ready,             // 503 the pod has no address yet
  method_denied,              // 403 on the gateway's deny-list
  node_unreachable,           // 502
  node_timeout,               // 504
  node_bad_answer,            // 502 truncated, not HTTP, too large
  node_rejected_credentials,  // 502 the node refused the network's Secret credentials
};

// "NetworkNotFound", ... (the wire form); parse returns nullopt for an unknown word.
std::string_view to_string(GatewayErrorReason reason);
std::optional<GatewayErrorReason> parse_gateway_error_reason(std::string_view text);
int http_status_of(GatewayErrorReason reason);

struct GatewayErrorBody {
  GatewayErrorReason reason = GatewayErrorReason::bad_request;
  std::string message;
  std::vector<int> existing_ordinals;  // node_not_found only
  std::string method;                  // method_denied only
};

std::string encode_gateway_error(const GatewayErrorBody& error);
// nullopt when the body is not a gateway error.
std::optional<GatewayErrorBody> decode_gateway_error(std::string_view body);

// Methods the gateway refuses whatever the caller's credentials: the gateway exists to inspect
// and drive test networks, not to stop nodes or take keys and wallet files out of the cluster.
std::vector<std::string> default_denied_methods();

class MethodDenyList {
 public:
  MethodDenyList() : MethodDenyList(default_denied_methods()) {}
  explicit MethodDenyList(std::vector<std::string> methods);
  // Case-insensitive: a denied method must not slip through as "Stop".
  bool denies(std::string_view method) const;
  const std::vector<std::string>& methods() const { return methods_; }

 private:
  std::vector<std::string> methods_;  // lower-cased
};

// The methods named by a JSON-RPC body (one for a request, one per element for a batch).
// Throws std::invalid_argument saying what is wrong with the body.
std::vector<std::string> methods_in_request(std::string_view body);

// Whether an X-Bitcoin-Rpc-Authorization value carries exactly `expected`. Compares SHA-256
// digests with CRYPTO_memcmp, so the time taken tells nothing about the password.
bool caller_credentials_match(std::string_view header_value, const UserPassword& expected);

}  // namespace kb::bitcoin
