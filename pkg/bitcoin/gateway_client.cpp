#include "pkg/bitcoin/gateway_client.hpp"

#include "pkg/base/json_path.hpp"

#include <boost/json/parse.hpp>

namespace kb::bitcoin {
namespace json = boost::json;

std::string gateway_proxy_path(const GatewayService& service, const NodeRef& node) {
  return "/api/v1/namespaces/" + service.namespace_name + "/services/" + service.service_name + ":" + service.port +
         "/proxy" + gateway_node_path(node);
}

GatewayRequest make_gateway_request(const GatewayService& service, const NodeRef& node,
                                    const UserPassword& network_credentials, const RpcRequest& call) {
  GatewayRequest request;
  request.path = gateway_proxy_path(service, node);
  request.headers = {{"Content-Type", "application/json"},
                     {"Accept", "application/json"},
                     {std::string(kCallerCredentialsHeader), basic_authorization(network_credentials)}};
  request.body = encode_request(call, 1);
  return request;
}

namespace {
std::string describe_gateway_error(GatewayError::Origin origin, int status, const std::string& reason,
                                   const std::string& message) {
  if (origin == GatewayError::Origin::gateway) return message.empty() ? "RPC gateway: " + reason : message;
  std::string text = "the Kubernetes API server refused the call (HTTP " + std::to_string(status) + " " + reason + ")";
  if (!message.empty()) text += ": " + message;
  if (reason == "Forbidden") {
    text +=
        "; calling RPC through the cluster needs the RBAC permission to create services/proxy on the "
        "controller's gateway Service";
  } else if (reason == "ServiceUnavailable" || status == 503) {
    text += "; is the controller (kubectl bitcoin serve) running?";
  } else if (reason == "NotFound") {
    text += "; is the controller installed (kubectl bitcoin install)?";
  }
  return text;
}
}  // namespace

GatewayError::GatewayError(Origin origin, int http_status, std::string reason, std::string message,
                           std::vector<int> existing_ordinals)
    : RpcFailure(describe_gateway_error(origin, http_status, reason, message)),
      origin_(origin),
      http_status_(http_status),
      reason_(std::move(reason)),
      existing_ordinals_(std::move(existing_ordinals)) {}

json::value parse_gateway_response(int status, std::string_view body, std::string_view method) {
  if (auto error = decode_gateway_error(body)) {
    throw GatewayError(GatewayError::Origin::gateway, status, std::string(to_string(error->reason)), error->message,
                       error->existing_ordinals);
  }
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (!ec && value.is_object() && value.get_object().contains("kind") && value.at("kind") == "Status") {
    if (base::string_at(value, "status") != "Success")
      throw GatewayError(GatewayError::Origin::api_server, status, base::string_at(value, "reason").value_or(""),
                         base::string_at(value, "message").value_or(""));
  }
  return decode_reply(HttpReply{status, std::string(body)}, method, "the RPC gateway");
}

}  // namespace kb::bitcoin
