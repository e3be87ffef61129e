#pragma once
// How the RPC gateway finds a network's nodes and credentials. The controller implements it
// from its informer cache (BitcoinNetwork, its Secret, its pods); tests use a map.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/bitcoin/rpc_endpoint.hpp"

namespace kb::bitcoin {

struct NetworkNode {
  int ordinal = 0;
  std::string host;  // pod IP (or DNS name); empty while the pod has none
  std::uint16_t rpc_port = 0;
  bool ready = false;
};

struct NetworkRoute {
  // The network's RPC credentials (its Secret's BC_RPC_USER / BC_RPC_PASSWORD): both what the
  // caller must present and what the gateway uses towards the node.
  UserPassword credentials;
  std::vector<NetworkNode> nodes;  // every node that exists, ready or not
};

class NodeDirectory {
 public:
  virtual ~NodeDirectory() = default;
  // nullopt when there is no such network (or its Secret cannot be read yet). Called from the
  // gateway's threads concurrently: implementations must be thread-safe.
  virtual std::optional<NetworkRoute> find_network(std::string_view namespace_name, std::string_view network) const = 0;
};

}  // namespace kb::bitcoin
