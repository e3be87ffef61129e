#pragma once
// ChainWatch: after a pass has asked every ready node how it is, looks at the chains those
// answers describe: the fork picture (fork_picture.hpp), reorgs (reorg.hpp), the per-node series
// and the block arrival histogram (node_metrics.hpp). Extra node calls happen only when tips
// moved or differ, and for the rate-limited metric details:
//
//   a node's tip moved         1 getblockhash (shared by the nodes that moved between the same
//                              two tips in the pass); a reorg adds getblockheader, getchaintips
//                              and getblockhash (or a bounded walk)
//   tips differ                per pair of groups not searched before, the ForkPointSearch's
//                              calls (cached per tip pair until one of the tips goes)
//   metric details             3 calls per node at most every detail_interval, for at most
//                              max_details_per_pass nodes per pass
//
// State per network (ChainState, kept by the reconciler with the network's other state): each
// node's last tip seen, since when tips differ, the fork points found, when each tip was first
// seen. After a controller restart the last tips come from status.nodes[] as last written, so a
// reorg that happened while the controller was away is still found if the node keeps its old
// blocks; one whose status was never written (the controller stopped between seeing the new tip
// and writing it) is missed rather than reported twice: Events are recorded after the status write.
#include "pkg/api/bitcoin_network.hpp"
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/controller/fork_picture.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/node_metrics.hpp"
#include "pkg/controller/reorg.hpp"
#include "pkg/observe/logger.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace kb::controller {

struct ChainWatchSettings {
  // Tips may differ this long before Forked turns True: a block reaches every node of a regtest
  // network on one cluster within a few seconds (hops of milliseconds, and the controller's own
  // look at a node is at least a pass apart), so differences older than this are forks or stuck
  // nodes, not propagation.
  std::chrono::milliseconds fork_grace{std::chrono::seconds(15)};
  // Peers, mempool and chain tips for the metrics: at most this often per node, and for at most
  // max_details_per_pass nodes of a network per pass (those sampled longest ago first), so a
  // large network costs its worker a bounded number of extra calls per pass (3 per node sampled).
  std::chrono::milliseconds detail_interval{std::chrono::seconds(30)};
  int max_details_per_pass = 16;
  // The deepest old branch walked back block by block when getchaintips does not list it.
  int max_reorg_walk = 64;
  // Fork-point searches started per pass (each is bounded by the chain's height; the rest wait
  // for the next pass).
  int max_searches_per_pass = 8;
};

struct ChainState {
  using Clock = std::chrono::steady_clock;
  bool seeded = false;
  std::map<int, ChainTip> last_tips;
  std::optional<Clock::time_point> differ_since;
  ForkPoints fork_points;
  std::map<std::string, Clock::time_point> first_seen;  // by tip hash; bounded (prune_first_seen)
  std::map<int, Clock::time_point> last_detail;
};

struct ChainLook {
  ForkReport report;
  std::vector<std::pair<int, Reorg>> reorgs;  // Events to record once the status is written
  // When Forked will turn True if nothing changes (look again then).
  std::optional<std::chrono::milliseconds> recheck_in;
};

class ChainWatch {
 public:
  using Clock = ChainState::Clock;
  // The node's RPC connection, or nullptr when it cannot be asked in this pass.
  using NodeRpc = std::function<bitcoin::RpcCaller*(int ordinal)>;

  ChainWatch(observe::MetricsRegistry& metrics, observe::Logger& log, ChainWatchSettings settings = {})
      : metrics_(metrics), log_(log), settings_(settings) {}

  ChainLook look(ChainState& state, const api::BitcoinNetwork& network,
                 const std::map<int, NodeObservation>& observations, const NodeRpc& node_rpc, Clock::time_point now);
  // The network is gone: its series go too.
  void forget(const std::string& ns, const std::string& name) { metrics_.forget_network(ns, name); }

 private:
  std::vector<std::pair<int, Reorg>> follow_tips(ChainState& state, const api::BitcoinNetwork& network,
                                                 const std::map<int, NodeObservation>& observations,
                                                 const NodeRpc& node_rpc, Clock::time_point now);
  void search_fork_points(ChainState& state, const std::vector<TipGroup>& groups, const NodeRpc& node_rpc,
                          const std::string& network_key);
  void publish_metrics(ChainState& state, const api::BitcoinNetwork& network,
                       const std::map<int, NodeObservation>& observations, const NodeRpc& node_rpc,
                       Clock::time_point now);

  NodeMetrics metrics_;
  observe::Logger& log_;
  ChainWatchSettings settings_;
};

// The last tips written in status.nodes[] (blocks, bestBlockHash), by ordinal.
std::map<int, ChainTip> tips_in_status(const boost::json::value& status);

// Keeps first_seen to the tips some node is at now (so a node that reaches an old tip late is
// measured from when the tip first appeared) and the other tips seen within `keep`, at most
// `max_entries` of the newest of those.
void prune_first_seen(std::map<std::string, ChainState::Clock::time_point>& first_seen,
                      const std::set<std::string>& current_tips, ChainState::Clock::time_point now,
                      std::chrono::milliseconds keep, std::size_t max_entries);

}  // namespace kb::controller
