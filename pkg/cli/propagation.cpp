#include "pkg/cli/propagation.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/cli/table_printer.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <deque>
#include <sstream>

namespace kb::cli {
namespace json = boost::json;

namespace {

double milliseconds_between(ProbeClock::time_point from, ProbeClock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

// "12.3": one decimal is already finer than any window this measures.
std::string format_ms(double ms) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f", ms);
  return text;
}

// Whole microseconds: integers read the same in every JSON parser (a double would print as 2.28E1).
std::int64_t micros(double ms) { return std::llround(ms * 1000); }

}  // namespace

std::vector<std::vector<int>> partition_groups(const json::value& network) {
  std::vector<std::vector<int>> groups;
  const auto* listed = base::json_at(network, "status", "partition", "groups");
  if (!listed || !listed->is_array()) return groups;
  for (const auto& group : listed->get_array()) {
    std::vector<int> ordinals;
    if (const auto* nodes = base::json_at(group, "nodes"); nodes && nodes->is_array()) {
      for (const auto& node : nodes->get_array()) {
        if (auto ordinal = base::int_of(&node)) ordinals.push_back(static_cast<int>(*ordinal));
      }
    }
    groups.push_back(std::move(ordinals));
  }
  return groups;
}

std::vector<std::optional<int>> hop_counts(int nodes, const std::vector<api::Edge>& edges, int source,
                                           const std::vector<std::vector<int>>& groups) {
  std::vector<std::optional<int>> hops(static_cast<std::size_t>(std::max(nodes, 0)));
  if (source < 0 || source >= nodes) return hops;
  // Group index per node; -1 is the group of the nodes no partition group lists.
  std::vector<int> group_of(hops.size(), -1);
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (int ordinal : groups[g]) {
      if (ordinal >= 0 && ordinal < nodes) group_of[static_cast<std::size_t>(ordinal)] = static_cast<int>(g);
    }
  }
  std::vector<std::vector<int>> neighbours(hops.size());
  for (const auto& edge : edges) {
    if (edge.from < 0 || edge.to < 0 || edge.from >= nodes || edge.to >= nodes) continue;
    const auto a = static_cast<std::size_t>(edge.from);
    const auto b = static_cast<std::size_t>(edge.to);
    if (group_of[a] != group_of[b]) continue;
    neighbours[a].push_back(edge.to);
    neighbours[b].push_back(edge.from);
  }
  std::deque<int> frontier{source};
  hops[static_cast<std::size_t>(source)] = 0;
  while (!frontier.empty()) {
    const int node = frontier.front();
    frontier.pop_front();
    for (int next : neighbours[static_cast<std::size_t>(node)]) {
      auto& distance = hops[static_cast<std::size_t>(next)];
      if (distance) continue;
      distance = *hops[static_cast<std::size_t>(node)] + 1;
      frontier.push_back(next);
    }
  }
  return hops;
}

TipVerdict classify_tip(const std::string& tip, const std::string& old_tip, const std::optional<std::string>& block) {
  if (block && tip == *block) return TipVerdict::has_block;
  if (tip == old_tip) return TipVerdict::old_tip;
  return TipVerdict::undecided;
}

std::optional<ArrivalWindow> arrival_window(const std::vector<TipPoll>& polls, ProbeClock::time_point not_before) {
  std::optional<ProbeClock::time_point> by;
  for (const auto& poll : polls) {
    if (poll.has_block && (!by || poll.received < *by)) by = poll.received;
  }
  if (!by) return std::nullopt;
  // A poll that left after `by` and still did not see the block would contradict it (a reorg away
  // and back); only polls that left before the first sighting bound the arrival from below.
  ProbeClock::time_point after = not_before;
  for (const auto& poll : polls) {
    if (!poll.has_block && poll.sent > after && poll.sent < *by) after = poll.sent;
  }
  return ArrivalWindow{after, *by};
}

std::vector<NodeArrival> arrival_delays(const std::vector<std::optional<ArrivalWindow>>& windows, int miner,
                                        const std::vector<std::optional<int>>& hops) {
  std::vector<NodeArrival> out;
  const ArrivalWindow* origin = nullptr;
  if (miner >= 0 && static_cast<std::size_t>(miner) < windows.size() && windows[static_cast<std::size_t>(miner)]) {
    origin = &*windows[static_cast<std::size_t>(miner)];
  }
  for (std::size_t i = 0; i < windows.size(); ++i) {
    NodeArrival arrival;
    arrival.node = static_cast<int>(i);
    arrival.hops = i < hops.size() ? hops[i] : std::nullopt;
    if (static_cast<int>(i) == miner) {
      arrival.reached = origin != nullptr;
    } else if (windows[i] && origin) {
      arrival.reached = true;
      arrival.earliest_ms = std::max(0.0, milliseconds_between(origin->by, windows[i]->after));
      arrival.latest_ms = std::max(arrival.earliest_ms, milliseconds_between(origin->after, windows[i]->by));
    }
    out.push_back(arrival);
  }
  return out;
}

double median_ms(std::vector<double> values) {
  if (values.empty()) return 0;
  const auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  if (values.size() % 2 == 1) return *middle;
  const double upper = *middle;
  const double lower = *std::max_element(values.begin(), middle);
  return (lower + upper) / 2;
}

std::string render_propagation_table(const PropagationReport& report) {
  std::ostringstream out;
  out << "Block " << report.block_hash.substr(0, 16) << "… (height " << report.height << ") mined on node "
      << report.miner << " of " << report.network << ".\n"
      << "Measured by polling getbestblockhash on every node through the RPC gateway (" << report.concurrency
      << " in flight, each node at most every " << format_ms(report.interval_ms) << " ms; median round trip "
      << format_ms(report.median_round_trip_ms) << " ms"
      << (report.failed_polls ? "; " + std::to_string(report.failed_polls) + " polls failed and were repeated" : "")
      << ").\n"
      << "DELAY is the middle of the window in which the node changed tip, after the mining node did; ± is half "
         "that window (poll interval + round trips).\n";
  Table table({"NODE", "HOPS", "DELAY", "±"});
  for (const auto& node : report.nodes) {
    std::string hops = node.hops ? std::to_string(*node.hops) : "-";
    if (!node.reached) {
      table.add_row(
          {std::to_string(node.node), hops, "not reached within " + format_ms(report.timeout_ms / 1000) + " s", ""});
      continue;
    }
    table.add_row({std::to_string(node.node), hops, format_ms(node.delay_ms()) + " ms",
                   format_ms(node.uncertainty_ms()) + " ms"});
  }
  out << table.str();
  return out.str();
}

json::value propagation_json(const PropagationReport& report) {
  json::array nodes;
  for (const auto& node : report.nodes) {
    json::object entry{{"node", node.node}, {"reached", node.reached}};
    entry["hops"] = node.hops ? json::value(*node.hops) : json::value(nullptr);
    if (node.reached) {
      entry["delayMicros"] = micros(node.delay_ms());
      entry["earliestMicros"] = micros(node.earliest_ms);
      entry["latestMicros"] = micros(node.latest_ms);
    }
    nodes.push_back(std::move(entry));
  }
  return json::object{
      {"network", report.network},
      {"block", {{"hash", report.block_hash}, {"height", report.height}}},
      {"miner", report.miner},
      {"method",
       {{"poll", "getbestblockhash"},
        {"concurrency", report.concurrency},
        {"intervalMicros", micros(report.interval_ms)},
        {"medianRoundTripMicros", micros(report.median_round_trip_ms)},
        {"timeoutMicros", micros(report.timeout_ms)},
        {"failedPolls", report.failed_polls}}},
      {"nodes", std::move(nodes)},
  };
}

}  // namespace kb::cli
