#include "pkg/bitcoin/gateway_handler.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <stdexcept>

#include "pkg/observe/logger.hpp"

namespace kb::bitcoin {
namespace json = boost::json;
using Reason = GatewayErrorReason;

GatewayHttpAnswer gateway_error_answer(GatewayErrorBody error) {
  GatewayHttpAnswer answer{http_status_of(error.reason), {}, false, {}};
  if (error.retry_after_seconds) answer.headers.emplace_back("Retry-After", std::to_string(*error.retry_after_seconds));
  answer.body = encode_gateway_error(error);
  return answer;
}

GatewayHttpAnswer gateway_error_answer(GatewayErrorReason reason, std::string message) {
  return gateway_error_answer(GatewayErrorBody{reason, std::move(message)});
}

GatewayCallLog log_gateway_calls_to(observe::Logger& logger) {
  return [&logger](const GatewayCallRecord& record) {
    logger.info("rpc gateway call", {{"namespace", record.namespace_name},
                                     {"network", record.network},
                                     {"node", record.ordinal ? std::to_string(*record.ordinal) : std::string()},
                                     {"method", record.method},
                                     {"duration_ms", std::to_string(record.duration.count())},
                                     {"status", std::to_string(record.http_status)},
                                     {"result", record.result},
                                     {"rpc_code", record.rpc_code ? std::to_string(*record.rpc_code) : std::string()},
                                     {"peer", record.peer}});
  };
}

namespace {

std::string join_ordinals(const std::vector<int>& ordinals) {
  std::string text;
  for (int ordinal : ordinals) text += (text.empty() ? "" : ", ") + std::to_string(ordinal);
  return text;
}

std::string summarize_methods(const std::vector<std::string>& methods) {
  if (methods.size() == 1) return methods.front();
  std::string text = "batch:";
  for (std::size_t i = 0; i < methods.size(); ++i) {
    if (i > 0) text += ",";
    if (text.size() > 120) return text + "...";
    text += methods[i];
  }
  return text;
}

Reason reason_for(RpcTransportError::Kind kind) {
  switch (kind) {
    case RpcTransportError::Kind::connect_timeout:
    case RpcTransportError::Kind::call_timeout:
      return Reason::node_timeout;
    case RpcTransportError::Kind::truncated_response:
    case RpcTransportError::Kind::malformed_response:
    case RpcTransportError::Kind::response_too_large:
      return Reason::node_bad_answer;
    default:
      return Reason::node_unreachable;
  }
}

// What the node's answer says, for the log: ok, or the JSON-RPC error code.
void describe_result(const HttpReply& reply, GatewayCallRecord& record) {
  // 2xx: a result, a JSON-RPC 2.0 error object (Core 28 answers those with 200), or a 204 for a
  // notification.
  record.result = reply.status / 100 == 2 ? "ok" : "http_" + std::to_string(reply.status);
  boost::system::error_code ec;
  json::value value = json::parse(reply.body, ec);
  if (ec || !value.is_object()) return;
  if (auto error = rpc_error_in(value.get_object(), record.method)) {
    record.result = "rpc_error";
    record.rpc_code = error->code();
  }
}

std::string refused_method_message(const std::string& method, const MethodDecision& decision) {
  std::string text = "the RPC gateway does not allow \"" + method + "\": " + decision.why;
  if (decision.policy_can_allow) {
    text +=
        ". The gateway's method policy is the controller's: an operator can allow it with the chart value "
        "gateway.methods.allow (kubectl bitcoin serve --gateway-allow-method " +
        method + ")";
  }
  return text;
}

std::string network_key(const NodeRef& node) { return node.namespace_name + "/" + node.network; }

void finish(GatewayCallRecord& record, const GatewayHttpAnswer& answer, std::chrono::steady_clock::time_point started) {
  record.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  record.http_status = answer.status;
}

// The first call the method policy refuses, as the refusal (also a JSON-RPC error -32601, the
// method is not available here, for JSON-RPC clients); nullopt when every call is allowed.
std::optional<GatewayErrorBody> first_denied_call(const InspectedRequest& inspected, const MethodPolicy& policy) {
  for (const auto& call : inspected.calls) {
    auto decision = policy.decide(call.method, call.params);
    if (decision.allowed) continue;
    GatewayErrorBody body{Reason::method_denied, refused_method_message(call.method, decision), {}, call.method};
    body.json_rpc_code = -32601;
    if (!inspected.batch) body.json_rpc_id = call.id;
    return body;
  }
  return std::nullopt;
}

// The node's HTTP answers that are the gateway's to explain (its credentials, its access rules,
// its queue); nullopt for everything else, which is passed on as it is.
std::optional<GatewayErrorBody> refused_by_node(int status, const std::string& node_name, const std::string& method) {
  if (status == 401) {
    return GatewayErrorBody{Reason::node_rejected_credentials,
                            node_name +
                                " refused its network's RPC credentials (HTTP 401); was the Secret changed after the "
                                "node started?"};
  }
  if (status == 403) {
    return GatewayErrorBody{Reason::node_forbidden,
                            node_name +
                                " answered 403 Forbidden: its -rpcallowip does not admit the controller's address, "
                                "or its -rpcwhitelist does not allow " +
                                method + " for the network's RPC user"};
  }
  if (status == 503) {
    GatewayErrorBody body{Reason::node_busy, node_name +
                                                 " answered 503 Service Unavailable: its RPC work queue is full "
                                                 "(-rpcworkqueue); try again shortly"};
    body.retry_after_seconds = 1;
    return body;
  }
  return std::nullopt;
}

}  // namespace

GatewayHandler::GatewayHandler(const NodeDirectory& directory, NodeForwarder& forwarder, GatewayPolicy policy)
    : directory_(directory), forwarder_(forwarder), policy_(std::move(policy)), throttle_(policy_.throttle) {}

std::optional<GatewayHttpAnswer> GatewayHandler::screen(const GatewayHttpRequest& request, GatewayCallRecord& record,
                                                        NodeRef& node) {
  record.peer = request.peer;
  auto refuse = [&](GatewayErrorBody error) {
    record.result = std::string(to_string(error.reason));
    return gateway_error_answer(std::move(error));
  };
  if (request.verb != "POST") {
    return refuse({Reason::method_not_allowed, "the RPC gateway takes POST requests only"});
  }
  auto parsed = parse_gateway_node_path(request.target);
  if (!parsed) {
    return refuse({Reason::route_not_found,
                   "not an RPC gateway path; use POST /v1/namespaces/{namespace}/networks/{network}/nodes/{ordinal}"
                   " (or .../nodes/{ordinal}/wallets/{wallet})"});
  }
  node = *parsed;
  record.namespace_name = node.namespace_name;
  record.network = node.network;
  record.ordinal = node.ordinal;
  if (request.body.size() > policy_.max_request_bytes) {
    return refuse({Reason::request_too_large,
                   "the request is larger than " + std::to_string(policy_.max_request_bytes) + " bytes"});
  }
  if (node.wallet) {
    if (auto problem = wallet_name_problem(*node.wallet); !problem.empty()) {
      return refuse({Reason::bad_request, "the wallet name \"" + percent_encode(*node.wallet) + "\" " + problem +
                                              "; wallets are named, not given as paths"});
    }
  }
  // Before anything about the network is looked up or told, the caller must bring a proof.
  if (request.caller_credentials.empty()) {
    return refuse({Reason::credentials_missing, "send network " + network_key(node) +
                                                    "'s RPC credentials (from its Secret) in " +
                                                    std::string(kCallerCredentialsHeader)});
  }
  auto wait = throttle_.blocked_for(network_key(node), std::chrono::steady_clock::now());
  if (wait.count() > 0) {
    int seconds = int((wait.count() + 999) / 1000);
    GatewayErrorBody error{Reason::credentials_throttled, "too many wrong RPC credentials for network " +
                                                              network_key(node) + " lately; try again in " +
                                                              std::to_string(seconds) + " s"};
    error.retry_after_seconds = seconds;
    return refuse(std::move(error));
  }
  return std::nullopt;
}

GatewayHttpAnswer GatewayHandler::serve(const GatewayHttpRequest& request, const NodeRef& node,
                                        GatewayCallRecord& record) noexcept {
  try {
    return serve_unguarded(request, node, record);
  } catch (const std::exception& error) {
    record.result = std::string(to_string(Reason::internal_error));
    return gateway_error_answer(Reason::internal_error, std::string("the RPC gateway failed: ") + error.what());
  } catch (...) {
    record.result = std::string(to_string(Reason::internal_error));
    return gateway_error_answer(Reason::internal_error, "the RPC gateway failed");
  }
}

GatewayHttpAnswer GatewayHandler::handle(const GatewayHttpRequest& request, GatewayCallRecord& record) noexcept {
  const auto started = std::chrono::steady_clock::now();
  GatewayHttpAnswer answer;
  try {
    NodeRef node;
    auto refusal = screen(request, record, node);
    answer = refusal ? std::move(*refusal) : serve(request, node, record);
  } catch (...) {
    record.result = std::string(to_string(Reason::internal_error));
    answer = gateway_error_answer(Reason::internal_error, "the RPC gateway failed");
  }
  finish(record, answer, started);
  return answer;
}

GatewayHttpAnswer GatewayHandler::serve_unguarded(const GatewayHttpRequest& request, const NodeRef& node_ref,
                                                  GatewayCallRecord& record) {
  const std::string network = network_key(node_ref);
  auto refuse = [&](GatewayErrorBody error) {
    record.result = std::string(to_string(error.reason));
    return gateway_error_answer(std::move(error));
  };
  std::optional<NetworkRoute> route;
  try {
    route = directory_.find_network(node_ref.namespace_name, node_ref.network);
  } catch (const std::exception& error) {
    return refuse({Reason::lookup_failed,
                   "the RPC gateway could not look up network " + network + ": " + error.what() + "; try again"});
  }
  if (!route) {
    return refuse({Reason::network_not_found, "there is no Bitcoin network \"" + node_ref.network +
                                                  "\" in namespace \"" + node_ref.namespace_name + "\""});
  }
  if (!caller_credentials_match(request.caller_credentials, route->credentials)) {
    throttle_.failed(network, std::chrono::steady_clock::now());
    return refuse({Reason::credentials_rejected, "the credentials in " + std::string(kCallerCredentialsHeader) +
                                                     " are not network " + network + "'s RPC credentials"});
  }
  throttle_.succeeded(network);
  std::vector<int> ordinals;
  const NetworkNode* target = nullptr;
  for (const auto& node : route->nodes) {
    ordinals.push_back(node.ordinal);
    if (node.ordinal == node_ref.ordinal) target = &node;
  }
  std::sort(ordinals.begin(), ordinals.end());
  if (target == nullptr) {
    std::string existing = ordinals.empty() ? "it has no nodes" : "it has nodes " + join_ordinals(ordinals);
    return refuse({Reason::node_not_found,
                   "network " + network + " has no node " + std::to_string(node_ref.ordinal) + "; " + existing,
                   ordinals});
  }
  const std::string node_name = "node " + std::to_string(target->ordinal) + " of network " + network;
  if (!target->ready || target->host.empty()) return refuse({Reason::node_not_ready, node_name + " is not ready yet"});

  InspectedRequest inspected;
  try {
    inspected = inspect_request(request.body);
  } catch (const BadRpcBody& error) {
    GatewayErrorBody body{Reason::bad_request, std::string("not a JSON-RPC request: ") + error.what()};
    body.json_rpc_code = error.json_rpc_code();
    return refuse(std::move(body));
  }
  std::vector<std::string> methods;
  for (const auto& call : inspected.calls) methods.push_back(call.method);
  record.method = summarize_methods(methods);
  if (auto denied = first_denied_call(inspected, policy_.methods)) return refuse(std::move(*denied));

  HttpReply reply;
  try {
    reply = forwarder_.forward(*target, node_rpc_path(node_ref), route->credentials, request.body, record.method);
  } catch (const RpcTransportError& error) {
    return refuse({reason_for(error.kind()), node_name + ": " + error.what()});
  } catch (const RpcFailure& error) {
    return refuse({Reason::node_unreachable, node_name + ": " + error.what()});
  }
  if (auto refused = refused_by_node(reply.status, node_name, record.method)) return refuse(std::move(*refused));
  // Everything else is the node's own answer, status and body as they are: JSON-RPC 1.0 errors
  // with 500/404, JSON-RPC 2.0 errors with 200, 204 for 2.0 notifications.
  describe_result(reply, record);
  return GatewayHttpAnswer{reply.status, std::move(reply.body), true, {}};
}

}  // namespace kb::bitcoin
