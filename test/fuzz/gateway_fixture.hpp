#pragma once
// What the two gateway harnesses share: network team-a/mynet, its RPC credentials, its nodes.
#include "pkg/bitcoin/node_directory.hpp"

#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::fuzz {

inline const bitcoin::UserPassword kNetworkCredentials{"rpcuser", "n3twork-s3cret"};
// X-Bitcoin-Rpc-Authorization with kNetworkCredentials.
inline constexpr std::string_view kNetworkProof = "Basic cnBjdXNlcjpuM3R3b3JrLXMzY3JldA==";

// Network team-a/mynet with the given nodes; no other network exists.
class OneNetwork : public bitcoin::NodeDirectory {
 public:
  explicit OneNetwork(std::vector<bitcoin::NetworkNode> nodes) : nodes_(std::move(nodes)) {}
  std::optional<bitcoin::NetworkRoute> find_network(std::string_view ns, std::string_view name) const override {
    if (ns != "team-a" || name != "mynet") return std::nullopt;
    return bitcoin::NetworkRoute{kNetworkCredentials, nodes_};
  }

 private:
  std::vector<bitcoin::NetworkNode> nodes_;
};

}  // namespace kb::fuzz
