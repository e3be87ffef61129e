#pragma once
// The fork picture of a network (status.forks and the Forked condition), pure:
//
//   group_by_tip      answering nodes grouped by their tip, the group with most blocks first
//   ForkPointSearch   which heights to ask two groups (`getblockhash H`) to find the last block
//                     their tips share: nodes of different groups usually do not have each other's
//                     blocks, but each answers for its own chain, so comparing the two chains'
//                     hashes at a height says whether the chains still agree there. First the
//                     lower tip's height (one call: the higher chain contains the lower tip when one
//                     group only lags), then a binary search: at most 1 + ceil(log2(height + 1))
//                     rounds of at most two calls, whatever the depth.
//   fork_report       status.forks from the groups and the pairwise fork points, and the Forked
//                     condition: True once tips have differed for longer than the grace period
#include "pkg/controller/network_status.hpp"

#include <boost/json/array.hpp>

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace kb::controller {

struct ChainTip {
  std::int64_t height = 0;
  std::string hash;
  friend bool operator==(const ChainTip&, const ChainTip&) = default;
};

struct TipGroup {
  ChainTip tip;
  std::vector<int> nodes;  // ordinals, ascending
};

// Nodes that answered with a tip, grouped by it: most blocks first, then the lowest ordinal.
std::vector<TipGroup> group_by_tip(const std::map<int, NodeObservation>& observations);

class ForkPointSearch {
 public:
  enum class Side { a, b };
  ForkPointSearch(ChainTip a, ChainTip b);

  // The next height whose block hash both chains must give; nullopt once the search is over.
  std::optional<std::int64_t> next_height() const;
  // The hash `side` has at `height` when known without asking (its own tip).
  std::optional<std::string> known_hash(Side side, std::int64_t height) const;
  // The two chains' answers for next_height().
  void record(std::int64_t height, const std::string& hash_a, const std::string& hash_b);
  // The last shared block once the search is over; nullopt before, or when even the lowest height
  // asked differs (chains with different genesis blocks: not one network).
  std::optional<ChainTip> fork_point() const;
  bool done() const { return !next_height(); }

 private:
  ChainTip a_, b_;
  bool asked_lower_tip_ = false;
  std::int64_t agree_ = -1;  // highest height known to hold the same block on both chains
  std::string agree_hash_;
  std::int64_t differ_;  // lowest height known to differ
};

// A pair of tips in a stable order (for caching a search's result).
std::pair<std::string, std::string> tip_pair(const ChainTip& a, const ChainTip& b);
using ForkPoints = std::map<std::pair<std::string, std::string>, ChainTip>;

// status.forks: one entry per group; with several groups, each gets the lowest of its fork points
// with the others (the last block it shares with every other group) and the depth below its tip.
// A pair whose search did not finish (a node stopped answering) leaves forkPoint and depth out.
boost::json::array fork_status(const std::vector<TipGroup>& groups, const ForkPoints& fork_points);

// "105/3f12ab34cd56 on nodes 0,1" — a group in messages.
std::string describe_group(const TipGroup& group);
// "<hash's first 12 characters>"
std::string short_hash(const std::string& hash);

// status.forks (fork_status) and the Forked condition from how long tips have differed (nullopt:
// they agree): True with reason TipsDiffer after `grace`, False with Propagating before, False
// with OneTip when every answering node has the same tip. The message lists the groups.
ForkReport fork_report(const std::vector<TipGroup>& groups, const ForkPoints& fork_points,
                       std::optional<std::chrono::milliseconds> differing_for, std::chrono::milliseconds grace);

}  // namespace kb::controller
