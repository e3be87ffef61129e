#pragma once
// The RPC gateway's HTTP contract, shared by the server (rpc_gateway) and the CLI's side
// (gateway_client). Pure: no sockets. docs/rpc-gateway.md tells the why.
//
//   POST /v1/namespaces/{namespace}/networks/{network}/nodes/{ordinal}
//   POST /v1/namespaces/{namespace}/networks/{network}/nodes/{ordinal}/wallets/{wallet}
//        (the wallet name percent-encoded; forwarded to the node's /wallet/<name>)
//   X-Bitcoin-Rpc-Authorization: Basic base64(user:password)   the network's RPC credentials
//   Content-Type: application/json
//   body: one JSON-RPC request object, or a batch (array)
//
// Answers: bitcoind's own answer relayed verbatim (status and body, marked with the header
// X-Bitcoin-Gateway: forwarded), or a gateway error {"gatewayError":{"reason":..., "message":...}}.
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

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
  // A wallet of that node (Bitcoin Core's /wallet/<name> endpoint); nullopt: the node's "/".
  std::optional<std::string> wallet;
  bool operator==(const NodeRef&) const = default;
};

// "/v1/namespaces/<ns>/networks/<name>/nodes/<ordinal>", plus "/wallets/<percent-encoded name>".
std::string gateway_node_path(const NodeRef& node);
// The node a request target names; nullopt for any other path (a query string is ignored).
// Namespace and network must be DNS-1123 names, the ordinal a non-negative decimal; the wallet
// segment is percent-decoded (check it with wallet_name_problem before use).
std::optional<NodeRef> parse_gateway_node_path(std::string_view target);
// The path on the node: "/" or "/wallet/<percent-encoded name>".
std::string node_rpc_path(const NodeRef& node);

// RFC 3986 percent-encoding of everything but unreserved characters, and its inverse (nullopt
// for a malformed escape).
std::string percent_encode(std::string_view text);
std::optional<std::string> percent_decode(std::string_view text);

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
  method_denied,              // 403 not allowed by the gateway's method policy
  node_unreachable,           // 502
  node_timeout,               // 504
  node_bad_answer,            // 502 truncated, not HTTP, too large
  node_rejected_credentials,  // 502 the node refused the network's Secret credentials (401)
  node_forbidden,             // 502 the node answered 403: -rpcallowip or -rpcwhitelist
  node_busy,                  // 503 the node answered 503: its RPC work queue is full
  too_many_calls,             // 429 the gateway's per-network or total concurrency cap
  credentials_throttled,      // 429 too many wrong credentials for this network lately
  lookup_failed,              // 503 the network's nodes or credentials could not be looked up
  deadline_exceeded,          // 504 the gateway did not finish the call in time
  internal_error,             // 500 anything else that went wrong inside the gateway
};

// "NetworkNotFound", ... (the wire form); parse returns nullopt for an unknown word.
std::string_view to_string(GatewayErrorReason reason);
std::optional<GatewayErrorReason> parse_gateway_error_reason(std::string_view text);
int http_status_of(GatewayErrorReason reason);

struct GatewayErrorBody {
  GatewayErrorReason reason = GatewayErrorReason::bad_request;
  std::string message;
  std::vector<int> existing_ordinals;      // node_not_found only
  std::string method;                      // method_denied only
  std::optional<int> retry_after_seconds;  // too_many_calls, credentials_throttled
  // For refusals of the body (bad_request, method_denied): also a JSON-RPC error envelope, so
  // that JSON-RPC clients see an error object (code, message, the request's id).
  std::optional<int> json_rpc_code;
  boost::json::value json_rpc_id;
};

std::string encode_gateway_error(const GatewayErrorBody& error);
// nullopt when the body is not a gateway error.
std::optional<GatewayErrorBody> decode_gateway_error(std::string_view body);

// One call of a JSON-RPC body.
struct RpcCallView {
  std::string method;
  boost::json::value params;  // null when absent
  boost::json::value id;      // null when absent (a JSON-RPC 2.0 notification)
};

struct InspectedRequest {
  bool batch = false;
  std::vector<RpcCallView> calls;
};

// Why a body is not a request the gateway will look at: the JSON-RPC code to report (-32700 not
// JSON, -32600 not a request, or a key repeated at any depth) and one sentence.
class BadRpcBody : public std::invalid_argument {
 public:
  BadRpcBody(int json_rpc_code, const std::string& message) : std::invalid_argument(message), code_(json_rpc_code) {}
  int json_rpc_code() const { return code_; }

 private:
  int code_;
};

// The calls of a JSON-RPC body (one for a request, one per element for a batch). Throws BadRpcBody.
InspectedRequest inspect_request(std::string_view body);

// Whether an X-Bitcoin-Rpc-Authorization value carries exactly `expected`. Compares SHA-256
// digests with CRYPTO_memcmp, so the time taken tells nothing about the password.
bool caller_credentials_match(std::string_view header_value, const UserPassword& expected);

}  // namespace kb::bitcoin
