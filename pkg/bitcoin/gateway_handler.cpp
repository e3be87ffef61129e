#include "pkg/bitcoin/gateway_handler.hpp"

#include <algorithm>
#include <boost/json/parse.hpp>
#include <stdexcept>

#include "pkg/observe/logger.hpp"

namespace kb::bitcoin {
namespace json = boost::json;
using Reason = GatewayErrorReason;

GatewayHttpAnswer gateway_error_answer(GatewayErrorReason reason, std::string message) {
  return GatewayHttpAnswer{http_status_of(reason), encode_gateway_error(GatewayErrorBody{reason, std::move(message)}),
                           false};
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
std::string network_name(const NodeRef& node) { return node.namespace_name + "/" + node.network; }

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
  boost::system::error_code ec;
  json::value value = json::parse(reply.body, ec);
  record.result = reply.status == 200 ? "ok" : "http_" + std::to_string(reply.status);
  if (ec || !value.is_object()) return;
  if (auto error = rpc_error_in(value.get_object(), record.method)) {
    record.result = "rpc_error";
    record.rpc_code = error->code();
  }
}
}  // namespace

GatewayHandler::GatewayHandler(const NodeDirectory& directory, NodeForwarder& forwarder, GatewayPolicy policy)
    : directory_(directory), forwarder_(forwarder), policy_(std::move(policy)) {}

GatewayHttpAnswer GatewayHandler::handle(const GatewayHttpRequest& request, GatewayCallRecord& record) const {
  const auto started = std::chrono::steady_clock::now();
  record.peer = request.peer;
  auto refuse = [&](Reason reason, std::string message, std::vector<int> ordinals = {}, std::string method = {}) {
    record.result = std::string(to_string(reason));
    GatewayErrorBody body{reason, std::move(message), std::move(ordinals), std::move(method)};
    return GatewayHttpAnswer{http_status_of(reason), encode_gateway_error(body), false};
  };
  auto answer = [&]() -> GatewayHttpAnswer {
    if (request.verb != "POST") {
      return refuse(Reason::method_not_allowed, "the RPC gateway takes POST requests only");
    }
    auto node_ref = parse_gateway_node_path(request.target);
    if (!node_ref) {
      return refuse(Reason::route_not_found,
                    "not an RPC gateway path; use POST /v1/namespaces/{namespace}/networks/{network}/nodes/{ordinal}");
    }
    record.namespace_name = node_ref->namespace_name;
    record.network = node_ref->network;
    record.ordinal = node_ref->ordinal;
    const std::string network = network_name(*node_ref);
    if (request.body.size() > policy_.max_request_bytes) {
      return refuse(Reason::request_too_large,
                    "the request is larger than " + std::to_string(policy_.max_request_bytes) + " bytes");
    }
    auto route = directory_.find_network(node_ref->namespace_name, node_ref->network);
    if (!route) {
      return refuse(Reason::network_not_found, "there is no Bitcoin network \"" + node_ref->network +
                                                   "\" in namespace \"" + node_ref->namespace_name + "\"");
    }
    // The proof comes before anything else about the network is told (its nodes, its methods).
    if (request.caller_credentials.empty()) {
      return refuse(Reason::credentials_missing, "send network " + network +
                                                     "'s RPC credentials (from its Secret) in " +
                                                     std::string(kCallerCredentialsHeader));
    }
    if (!caller_credentials_match(request.caller_credentials, route->credentials)) {
      return refuse(Reason::credentials_rejected, "the credentials in " + std::string(kCallerCredentialsHeader) +
                                                      " are not network " + network + "'s RPC credentials");
    }
    std::vector<int> ordinals;
    const NetworkNode* target = nullptr;
    for (const auto& node : route->nodes) {
      ordinals.push_back(node.ordinal);
      if (node.ordinal == node_ref->ordinal) target = &node;
    }
    std::sort(ordinals.begin(), ordinals.end());
    if (target == nullptr) {
      std::string existing = ordinals.empty() ? "it has no nodes" : "it has nodes " + join_ordinals(ordinals);
      return refuse(Reason::node_not_found,
                    "network " + network + " has no node " + std::to_string(node_ref->ordinal) + "; " + existing,
                    ordinals);
    }
    if (!target->ready || target->host.empty()) {
      return refuse(Reason::node_not_ready,
                    "node " + std::to_string(target->ordinal) + " of network " + network + " is not ready yet");
    }
    std::vector<std::string> methods;
    try {
      methods = methods_in_request(request.body);
    } catch (const std::invalid_argument& error) {
      return refuse(Reason::bad_request, std::string("not a JSON-RPC request: ") + error.what());
    }
    record.method = summarize_methods(methods);
    for (const auto& method : methods) {
      if (policy_.deny_list.denies(method)) {
        return refuse(Reason::method_denied, "the RPC gateway does not allow \"" + method + "\"", {}, method);
      }
    }
    HttpReply reply;
    try {
      reply = forwarder_.forward(*target, route->credentials, request.body, record.method);
    } catch (const RpcTransportError& error) {
      return refuse(reason_for(error.kind()),
                    "node " + std::to_string(target->ordinal) + " of network " + network + ": " + error.what());
    } catch (const RpcFailure& error) {
      return refuse(Reason::node_unreachable,
                    "node " + std::to_string(target->ordinal) + " of network " + network + ": " + error.what());
    }
    if (reply.status == 401 || reply.status == 403) {
      return refuse(Reason::node_rejected_credentials, "node " + std::to_string(target->ordinal) + " of network " +
                                                           network +
                                                           " refused its network's "
                                                           "RPC credentials (HTTP " +
                                                           std::to_string(reply.status) +
                                                           "); was the Secret changed after the "
                                                           "node started?");
    }
    describe_result(reply, record);
    return GatewayHttpAnswer{reply.status, std::move(reply.body), true};
  }();
  record.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  record.http_status = answer.status;
  return answer;
}

}  // namespace kb::bitcoin
