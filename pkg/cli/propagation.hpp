#pragma once
// Block propagation seen from outside the network (`kubectl bitcoin mine --measure`): how many hops
// a block has to travel to each node, and what a series of polls of each node's tip says about
// when the block got there. Pure: the polling itself is in propagation_probe.
#include "pkg/api/bitcoin_network.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace kb::cli {

// The groups of a partition in force, from status.partition.groups (a list of ordinals each); empty
// when the network is not partitioned (or the status has no such field).
std::vector<std::vector<int>> partition_groups(const boost::json::value& network);

// BFS distance from `source` over `edges` (undirected); nullopt for a node the block cannot reach.
// With `groups` (a partition), an edge carries blocks only when both ends are in the same group;
// nodes in no group form one more group together, as the controller treats them.
std::vector<std::optional<int>> hop_counts(int nodes, const std::vector<api::Edge>& edges, int source,
                                           const std::vector<std::vector<int>>& groups = {});

using ProbeClock = std::chrono::steady_clock;

// One poll of one node: when the question left, when the answer came, whether the node had the block.
struct TipPoll {
  ProbeClock::time_point sent;
  ProbeClock::time_point received;
  bool has_block = false;
};

// What one poll's tip says about the block: the node has it; it still has the tip it had before
// mining; or neither, or the block's hash is not known yet (the mining call has not returned):
// then the poll says nothing until the node is asked about the block itself.
enum class TipVerdict { has_block, old_tip, undecided };
TipVerdict classify_tip(const std::string& tip, const std::string& old_tip, const std::optional<std::string>& block);

// When a node got the block, as far as its polls tell: after the last poll that did not see it
// left, and no later than the first poll that did see it came back (absolute times).
struct ArrivalWindow {
  ProbeClock::time_point after;
  ProbeClock::time_point by;
};
// nullopt when no poll saw the block. `not_before` bounds `after` from below (for the mining node:
// when the mining call left, which no poll can precede usefully).
std::optional<ArrivalWindow> arrival_window(const std::vector<TipPoll>& polls, ProbeClock::time_point not_before);

// One node's result: the delay after the mining node had the block, as an interval in milliseconds.
struct NodeArrival {
  int node = 0;
  std::optional<int> hops;
  bool reached = false;
  double earliest_ms = 0;  // lower bound of the delay (never below 0)
  double latest_ms = 0;    // upper bound
  double delay_ms() const { return (earliest_ms + latest_ms) / 2; }
  double uncertainty_ms() const { return (latest_ms - earliest_ms) / 2; }
};

// The delay of every node relative to the miner's window: [max(0, node.after - miner.by),
// node.by - miner.after]. The miner itself is 0 ± 0 by definition.
std::vector<NodeArrival> arrival_delays(const std::vector<std::optional<ArrivalWindow>>& windows, int miner,
                                        const std::vector<std::optional<int>>& hops);

struct PropagationReport {
  std::string network;
  std::string block_hash;
  std::int64_t height = 0;
  int miner = 0;
  int concurrency = 0;
  double interval_ms = 0;
  double median_round_trip_ms = 0;
  double timeout_ms = 0;
  std::size_t failed_polls = 0;  // answered with an error (e.g. the gateway's 429 when busy)
  std::vector<NodeArrival> nodes;
};

// The median of round trips in milliseconds (0 for none).
double median_ms(std::vector<double> values);

// The table `mine --measure` prints, with a header that says how the figures were obtained.
std::string render_propagation_table(const PropagationReport& report);
// -o json.
boost::json::value propagation_json(const PropagationReport& report);

}  // namespace kb::cli
