#pragma once
// The CLI's side of the RPC gateway, pure: which API-server path and headers carry a call, and
// what an answer means. Sending it is the Kubernetes client's job (POST to the API server, which
// authorizes `create` on services/proxy and forwards to the gateway). That client must hand back
// every status with its body (not turn non-2xx into its own errors) for parse_gateway_response.
#include <boost/json/value.hpp>
#include <string>
#include <utility>
#include <vector>

#include "pkg/bitcoin/gateway_protocol.hpp"
#include "pkg/bitcoin/rpc_protocol.hpp"

namespace kb::bitcoin {

// Where the controller's gateway Service is: the API server proxies to <service>:<port>.
struct GatewayService {
  std::string namespace_name = "bitcoin-controller";
  std::string service_name = "bitcoin-controller";
  std::string port = "rpc-gateway";  // the Service's port name (or number)
};

struct GatewayRequest {
  std::string method = "POST";
  std::string path;  // on the API server
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
};

// "/api/v1/namespaces/<ns>/services/<svc>:<port>/proxy" + gateway_node_path(node)
std::string gateway_proxy_path(const GatewayService& service, const NodeRef& node);

// A call to one node, carrying the network's RPC credentials (read from the network's Secret)
// as the caller's proof in X-Bitcoin-Rpc-Authorization.
GatewayRequest make_gateway_request(const GatewayService& service, const NodeRef& node,
                                    const UserPassword& network_credentials, const RpcRequest& call);

// An answer that is not bitcoind's: the gateway's own refusal, or the API server's (RBAC,
// no running controller). what() is one sentence for the user.
class GatewayError : public RpcFailure {
 public:
  enum class Origin { gateway, api_server };
  GatewayError(Origin origin, int http_status, std::string reason, std::string message,
               std::vector<int> existing_ordinals = {});
  Origin origin() const { return origin_; }
  int http_status() const { return http_status_; }
  // The gateway's reason ("NodeNotFound", ...) or the API server's Status reason ("Forbidden").
  const std::string& reason() const { return reason_; }
  const std::vector<int>& existing_ordinals() const { return existing_ordinals_; }

 private:
  Origin origin_;
  int http_status_;
  std::string reason_;
  std::vector<int> existing_ordinals_;
};

// The call's result, or throws: RpcError (bitcoind's error, code and message), GatewayError,
// RpcHttpError (an answer neither could have given), or RpcTransportError(malformed_response).
boost::json::value parse_gateway_response(int status, std::string_view body, std::string_view method);

}  // namespace kb::bitcoin
