#include "pkg/controller/fork_picture.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace kb::controller {
namespace json = boost::json;

std::vector<TipGroup> group_by_tip(const std::map<int, NodeObservation>& observations) {
  std::map<std::string, TipGroup> by_hash;
  for (const auto& [ordinal, observation] : observations) {
    if (!observation.answered || observation.best_block_hash.empty()) continue;
    auto& group = by_hash[observation.best_block_hash];
    group.tip = {observation.blocks, observation.best_block_hash};
    group.nodes.push_back(ordinal);  // the map iterates ordinals in ascending order
  }
  std::vector<TipGroup> groups;
  for (auto& [hash, group] : by_hash) groups.push_back(std::move(group));
  std::ranges::sort(groups, [](const TipGroup& x, const TipGroup& y) {
    if (x.tip.height != y.tip.height) return x.tip.height > y.tip.height;
    return x.nodes.front() < y.nodes.front();
  });
  return groups;
}

ForkPointSearch::ForkPointSearch(ChainTip a, ChainTip b)
    : a_(std::move(a)), b_(std::move(b)), differ_(std::min(a_.height, b_.height) + 1) {}

std::optional<std::int64_t> ForkPointSearch::next_height() const {
  if (!asked_lower_tip_) return std::min(a_.height, b_.height);
  if (differ_ - agree_ <= 1) return std::nullopt;
  return agree_ + (differ_ - agree_) / 2;
}

std::optional<std::string> ForkPointSearch::known_hash(Side side, std::int64_t height) const {
  const auto& tip = side == Side::a ? a_ : b_;
  if (height == tip.height) return tip.hash;
  return std::nullopt;
}

void ForkPointSearch::record(std::int64_t height, const std::string& hash_a, const std::string& hash_b) {
  asked_lower_tip_ = true;
  if (!hash_a.empty() && hash_a == hash_b) {
    if (height > agree_) {
      agree_ = height;
      agree_hash_ = hash_a;
    }
    // Chains that agree at a height agree below it: nothing above the lower tip is shared.
    if (height == std::min(a_.height, b_.height)) differ_ = height + 1;
  } else {
    differ_ = std::min(differ_, height);
  }
}

std::optional<ChainTip> ForkPointSearch::fork_point() const {
  if (!done() || agree_ < 0) return std::nullopt;
  return ChainTip{agree_, agree_hash_};
}

std::pair<std::string, std::string> tip_pair(const ChainTip& a, const ChainTip& b) {
  return a.hash < b.hash ? std::pair{a.hash, b.hash} : std::pair{b.hash, a.hash};
}

namespace {

// The lowest fork point of `group` with every other group; nullopt when one pair is unknown.
std::optional<ChainTip> common_fork_point(const std::vector<TipGroup>& groups, std::size_t index,
                                          const ForkPoints& fork_points) {
  std::optional<ChainTip> lowest;
  for (std::size_t other = 0; other < groups.size(); ++other) {
    if (other == index) continue;
    auto it = fork_points.find(tip_pair(groups[index].tip, groups[other].tip));
    if (it == fork_points.end()) return std::nullopt;
    if (!lowest || it->second.height < lowest->height) lowest = it->second;
  }
  return lowest;
}

std::string join_ordinals(const std::vector<int>& nodes) {
  std::string out;
  for (std::size_t i = 0; i < nodes.size(); ++i) out += (i ? "," : "") + std::to_string(nodes[i]);
  return out;
}

}  // namespace

json::array fork_status(const std::vector<TipGroup>& groups, const ForkPoints& fork_points) {
  json::array out;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const auto& group = groups[i];
    json::array nodes;
    for (int ordinal : group.nodes) nodes.push_back(ordinal);
    json::object entry{{"height", group.tip.height}, {"hash", group.tip.hash}, {"nodes", std::move(nodes)}};
    if (groups.size() == 1) {
      entry["depth"] = 0;
    } else if (auto fork = common_fork_point(groups, i, fork_points)) {
      entry["forkPoint"] = json::object{{"height", fork->height}, {"hash", fork->hash}};
      entry["depth"] = group.tip.height - fork->height;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

std::string short_hash(const std::string& hash) { return hash.substr(0, 12); }

std::string describe_group(const TipGroup& group) {
  return std::to_string(group.tip.height) + "/" + short_hash(group.tip.hash) + " on node" +
         (group.nodes.size() == 1 ? " " : "s ") + join_ordinals(group.nodes);
}

ForkReport fork_report(const std::vector<TipGroup>& groups, const ForkPoints& fork_points,
                       std::optional<std::chrono::milliseconds> differing_for, std::chrono::milliseconds grace) {
  auto forks = fork_status(groups, fork_points);
  if (groups.size() <= 1) {
    return {std::move(forks), false, "OneTip",
            groups.empty() ? "no node answers with a tip" : "every answering node is at " + describe_group(groups[0])};
  }
  std::string list;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    list += (i ? "; " : "") + describe_group(groups[i]);
    if (auto fork = common_fork_point(groups, i, fork_points))
      list += " (fork at " + std::to_string(fork->height) + ")";
  }
  auto seconds = std::chrono::duration_cast<std::chrono::seconds>(grace).count();
  if (!differing_for || *differing_for <= grace) {
    return {std::move(forks), false, "Propagating",
            std::to_string(groups.size()) + " tips for less than " + std::to_string(seconds) + "s: " + list};
  }
  return {std::move(forks), true, "TipsDiffer",
          std::to_string(groups.size()) + " tips for more than " + std::to_string(seconds) + "s: " + list};
}

}  // namespace kb::controller
