#pragma once
// Measuring how a freshly mined block spreads (`kubectl bitcoin mine --measure`): every node's tip
// is polled through the RPC gateway by a few workers while one block is mined, and the polls are
// turned into arrival windows (pkg/cli/propagation). Only the API server is reached, so RBAC
// applies as for `rpc`.
#include "pkg/cli/network_rpc.hpp"
#include "pkg/cli/propagation.hpp"

#include <chrono>
#include <string>

namespace kb::cli {

struct ProbeOptions {
  int miner = 0;
  std::string address;  // for the block's reward
  // Pollers in flight at once. The gateway admits 4 calls per network at a time by default
  // (--gateway-max-calls-per-network); 3 leave room for the mining call.
  int concurrency = 3;
  std::chrono::milliseconds interval{20};  // the least time between two polls of one node
  std::chrono::milliseconds timeout{30'000};
};

// Mines one block on options.miner and reports when every node had it. `hops` per node (nullopt:
// unreachable). Throws CommandError when the block cannot be mined.
PropagationReport measure_propagation(const NetworkRpc& rpc, int nodes, const ProbeOptions& options,
                                      const std::vector<std::optional<int>>& hops);

}  // namespace kb::cli
