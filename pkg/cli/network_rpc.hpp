#pragma once
// Calling a network's nodes from a workstation: read the network and its RPC credentials (the
// caller's own RBAC decides whether it may), then POST the call to the controller's RPC gateway
// through the API server's services/proxy. Shared by `rpc` and `mine`.
#include "pkg/bitcoin/rpc_protocol.hpp"
#include "pkg/cli/command.hpp"
#include "pkg/kube/client.hpp"

#include <boost/json/value.hpp>

#include <optional>
#include <string>

namespace kb::cli {

struct GatewayLocation {
  std::string namespace_name = "bitcoin-controller";
  std::string service_name = "bitcoin-controller";
  std::string port = "rpc-gateway";
};

// The network object; a clear CommandError when it (or the CRD) does not exist.
boost::json::value get_network_or_fail(const kube::Client& client, const std::string& ns, const std::string& name);

// A network's nodes, ready to be called many times: the network object and its RPC credentials
// are read once (the constructor fails as call_node does when they cannot be). Thread-safe: calls
// share nothing but the client, which is.
class NetworkRpc {
 public:
  NetworkRpc(kube::Client client, GatewayLocation gateway, const boost::json::value& network);
  // As call_node.
  boost::json::value call(int ordinal, const bitcoin::RpcRequest& call,
                          const std::optional<std::string>& wallet = std::nullopt) const;
  const std::string& network_name() const { return name_; }
  // Throws CommandError naming the nodes there are when `ordinal` is not one of them.
  void require_node(int ordinal) const;

 private:
  kube::Client client_;
  GatewayLocation gateway_;
  std::string namespace_name_;
  std::string name_;
  int nodes_ = 0;
  std::string user_;
  std::string password_;
};

// One JSON-RPC call on one node (on one of its wallets when `wallet` is set: Bitcoin Core's
// /wallet/<name>); bitcoind's errors are thrown as bitcoin::RpcError, the gateway's and the API
// server's refusals as CommandError with the next step.
boost::json::value call_node(const kube::Client& client, const GatewayLocation& gateway,
                             const boost::json::value& network, int ordinal, const bitcoin::RpcRequest& call,
                             const std::optional<std::string>& wallet = std::nullopt);

void add_gateway_flags(CLI::App& command, GatewayLocation& gateway);

}  // namespace kb::cli
