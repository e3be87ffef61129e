#include "pkg/controller/chain_watch.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace kb::controller {
namespace json = boost::json;

std::map<int, ChainTip> tips_in_status(const json::value& status) {
  std::map<int, ChainTip> tips;
  const auto* nodes = base::json_at(status, "nodes");
  if (!nodes || !nodes->is_array()) return tips;
  for (const auto& node : nodes->as_array()) {
    auto ordinal = base::int_at(node, "ordinal");
    auto blocks = base::int_at(node, "blocks");
    auto hash = base::string_at(node, "bestBlockHash");
    if (ordinal && blocks && hash && !hash->empty()) tips[static_cast<int>(*ordinal)] = {*blocks, *hash};
  }
  return tips;
}

void prune_first_seen(std::map<std::string, ChainState::Clock::time_point>& first_seen,
                      const std::set<std::string>& current_tips, ChainState::Clock::time_point now,
                      std::chrono::milliseconds keep, std::size_t max_entries) {
  std::erase_if(first_seen,
                [&](const auto& entry) { return !current_tips.contains(entry.first) && now - entry.second > keep; });
  while (first_seen.size() > max_entries + current_tips.size()) {
    auto oldest = first_seen.end();
    for (auto it = first_seen.begin(); it != first_seen.end(); ++it) {
      if (!current_tips.contains(it->first) && (oldest == first_seen.end() || it->second < oldest->second)) oldest = it;
    }
    if (oldest == first_seen.end()) break;
    first_seen.erase(oldest);
  }
}

namespace {

std::string hash_at(bitcoin::RpcCaller& rpc, std::int64_t height) {
  auto answer = rpc.call("getblockhash", json::array{height});
  return answer.is_string() ? std::string(answer.as_string()) : "";
}

}  // namespace

// Each answering node's tip against the one it had: reorgs, and the arrival histogram.
std::vector<std::pair<int, Reorg>> ChainWatch::follow_tips(ChainState& state, const api::BitcoinNetwork& network,
                                                           const std::map<int, NodeObservation>& observations,
                                                           const NodeRpc& node_rpc, Clock::time_point now) {
  std::vector<std::pair<int, Reorg>> reorgs;
  // What one node said about the move between two tips holds for every node that made it.
  std::map<std::pair<std::string, std::string>, std::optional<Reorg>> moves;
  for (const auto& [ordinal, observation] : observations) {
    if (!observation.answered || observation.best_block_hash.empty()) continue;
    ChainTip tip{observation.blocks, observation.best_block_hash};
    auto [first, new_tip] = state.first_seen.try_emplace(tip.hash, now);
    auto last = state.last_tips.find(ordinal);
    if (last != state.last_tips.end() && last->second.hash != tip.hash) {
      auto key = std::pair{last->second.hash, tip.hash};
      auto move = moves.find(key);
      if (move == moves.end()) {
        auto* rpc = node_rpc(ordinal);
        if (!rpc) continue;  // asked again next pass, from the same old tip
        try {
          move = moves.emplace(key, find_reorg(*rpc, last->second, tip, settings_.max_reorg_walk)).first;
        } catch (const bitcoin::RpcFailure& e) {
          log_.debug("could not follow a node's tip", {{"network", network.namespace_name + "/" + network.name},
                                                       {"ordinal", std::to_string(ordinal)},
                                                       {"error", e.what()}});
          continue;
        }
      }
      if (move->second) reorgs.emplace_back(ordinal, *move->second);
      // The first node seen at a tip sets the clock; the others' delays are measured against it.
      if (!new_tip) {
        metrics_.observe_arrival(network.namespace_name, network.name,
                                 std::chrono::duration<double>(now - first->second).count());
      }
    }
    state.last_tips[ordinal] = tip;
  }
  std::erase_if(state.last_tips, [&](const auto& entry) { return entry.first >= network.spec.nodes; });
  std::set<std::string> current;
  for (const auto& [ordinal, tip] : state.last_tips) current.insert(tip.hash);
  prune_first_seen(state.first_seen, current, now, std::chrono::minutes(10), 256);
  return reorgs;
}

// Fork points for the pairs of groups not searched before, each with one node of either group.
void ChainWatch::search_fork_points(ChainState& state, const std::vector<TipGroup>& groups, const NodeRpc& node_rpc,
                                    const std::string& network_key) {
  std::set<std::pair<std::string, std::string>> current;
  int searches = 0;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    for (std::size_t j = i + 1; j < groups.size(); ++j) {
      auto pair = tip_pair(groups[i].tip, groups[j].tip);
      current.insert(pair);
      if (state.fork_points.contains(pair) || searches >= settings_.max_searches_per_pass) continue;
      auto* rpc_a = node_rpc(groups[i].nodes.front());
      auto* rpc_b = node_rpc(groups[j].nodes.front());
      if (!rpc_a || !rpc_b) continue;
      ++searches;
      ForkPointSearch search(groups[i].tip, groups[j].tip);
      try {
        while (auto height = search.next_height()) {
          auto a = search.known_hash(ForkPointSearch::Side::a, *height);
          auto b = search.known_hash(ForkPointSearch::Side::b, *height);
          search.record(*height, a ? *a : hash_at(*rpc_a, *height), b ? *b : hash_at(*rpc_b, *height));
        }
      } catch (const bitcoin::RpcFailure& e) {
        log_.debug("fork point search interrupted", {{"network", network_key}, {"error", e.what()}});
        continue;
      }
      if (auto fork = search.fork_point()) state.fork_points[pair] = *fork;
    }
  }
  std::erase_if(state.fork_points, [&](const auto& entry) { return !current.contains(entry.first); });
}

void ChainWatch::publish_metrics(ChainState& state, const api::BitcoinNetwork& network,
                                 const std::map<int, NodeObservation>& observations, const NodeRpc& node_rpc,
                                 Clock::time_point now) {
  // The nodes due for a detail sample, those sampled longest ago (or never) first.
  std::vector<std::pair<Clock::time_point, int>> due;
  for (const auto& [ordinal, observation] : observations) {
    if (!observation.answered || ordinal >= network.spec.nodes) continue;
    auto last = state.last_detail.find(ordinal);
    if (last == state.last_detail.end()) {
      due.emplace_back(Clock::time_point::min(), ordinal);
    } else if (now - last->second >= settings_.detail_interval) {
      due.emplace_back(last->second, ordinal);
    }
  }
  std::ranges::sort(due);
  std::set<int> sample;
  for (std::size_t i = 0; i < due.size() && i < static_cast<std::size_t>(settings_.max_details_per_pass); ++i) {
    sample.insert(due[i].second);
  }
  std::set<int> answering;
  for (const auto& [ordinal, observation] : observations) {
    if (!observation.answered || ordinal >= network.spec.nodes) continue;
    answering.insert(ordinal);
    std::optional<NodeDetail> detail;
    if (sample.contains(ordinal)) {
      if (auto* rpc = node_rpc(ordinal)) {
        try {
          detail = sample_node_detail(*rpc);
          state.last_detail[ordinal] = now;
        } catch (const bitcoin::RpcFailure&) {
          // The gauges keep the last sample; the next pass asks again.
        }
      }
    }
    metrics_.publish(network.namespace_name, network.name, ordinal, observation, detail);
  }
  std::erase_if(state.last_detail, [&](const auto& entry) { return !answering.contains(entry.first); });
  metrics_.retain_nodes(network.namespace_name, network.name, answering);
}

ChainLook ChainWatch::look(ChainState& state, const api::BitcoinNetwork& network,
                           const std::map<int, NodeObservation>& observations, const NodeRpc& node_rpc,
                           Clock::time_point now) {
  if (!state.seeded) {
    state.last_tips = tips_in_status(network.status);
    state.seeded = true;
  }
  ChainLook look;
  look.reorgs = follow_tips(state, network, observations, node_rpc, now);
  auto groups = group_by_tip(observations);
  if (groups.size() > 1) {
    if (!state.differ_since) state.differ_since = now;
    search_fork_points(state, groups, node_rpc, network.namespace_name + "/" + network.name);
  } else {
    state.differ_since.reset();
    state.fork_points.clear();
  }
  std::optional<std::chrono::milliseconds> differing_for;
  if (state.differ_since) {
    differing_for = std::chrono::duration_cast<std::chrono::milliseconds>(now - *state.differ_since);
    if (*differing_for <= settings_.fork_grace) {
      look.recheck_in = settings_.fork_grace - *differing_for + std::chrono::milliseconds(100);
    }
  }
  look.report = fork_report(groups, state.fork_points, differing_for, settings_.fork_grace);
  publish_metrics(state, network, observations, node_rpc, now);
  return look;
}

}  // namespace kb::controller
