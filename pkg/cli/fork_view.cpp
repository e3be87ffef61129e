#include "pkg/cli/fork_view.hpp"

#include "pkg/api/conditions.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/kube/conditions.hpp"

#include <boost/json.hpp>

#include <sstream>

namespace kb::cli {
namespace json = boost::json;

namespace {

std::string ordinals(const json::value& nodes) {
  std::string out;
  if (!nodes.is_array()) return out;
  for (const auto& n : nodes.as_array()) out += (out.empty() ? "" : ",") + std::to_string(n.to_number<std::int64_t>());
  return out;
}

std::int64_t ready_count(const json::value& network) {
  std::int64_t ready = 0;
  if (const auto* nodes = base::json_at(network, "status", "nodes"); nodes && nodes->is_array()) {
    for (const auto& node : nodes->as_array()) ready += base::bool_at(node, "ready").value_or(false) ? 1 : 0;
  }
  return ready;
}

std::string event_age(const json::value& event, std::chrono::system_clock::time_point now) {
  for (const char* key : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
    if (auto at = base::string_at(event, key); at && !at->empty()) return age_of(*at, now);
  }
  return "-";
}

}  // namespace

std::vector<std::string> fork_lines(const json::value& network) {
  std::vector<std::string> lines;
  const auto* forks = base::json_at(network, "status", "forks");
  if (!forks || !forks->is_array()) return lines;
  const auto& groups = forks->as_array();
  for (const auto& group : groups) {
    auto hash = base::string_at(group, "hash").value_or("");
    std::string line = std::to_string(base::int_at(group, "height").value_or(0)) + "/" + hash.substr(0, 12) + "  ";
    const auto* nodes = base::json_at(group, "nodes");
    auto count = nodes && nodes->is_array() ? nodes->as_array().size() : 0;
    if (groups.size() == 1 && static_cast<std::int64_t>(count) == ready_count(network)) {
      line += count == 1 ? "the only ready node" : "all " + std::to_string(count) + " ready nodes";
    } else {
      line += std::string(count == 1 ? "node " : "nodes ") + (nodes ? ordinals(*nodes) : "");
    }
    if (auto fork = base::int_at(group, "forkPoint", "height")) {
      line +=
          "  fork at " + std::to_string(*fork) + ", depth " + std::to_string(base::int_at(group, "depth").value_or(0));
    }
    lines.push_back(std::move(line));
  }
  return lines;
}

std::string forked_summary(const json::value& network, std::chrono::system_clock::time_point now) {
  const auto* forked = kube::condition_of(network, api::kConditionForked);
  if (!forked) return "";
  return "Forked=" + base::string_at(*forked, "status").value_or("?") + " (" +
         base::string_at(*forked, "reason").value_or("-") + ", " +
         age_of(base::string_at(*forked, "lastTransitionTime").value_or(""), now) + ")";
}

std::string render_compact_network(const json::value& network, const std::vector<json::value>& events,
                                   std::chrono::system_clock::time_point now, std::size_t max_events) {
  std::ostringstream out;
  out << base::string_at(network, "metadata", "name").value_or("?") << "  " << ready_count(network) << "/"
      << base::int_at(network, "spec", "nodes").value_or(0) << " ready  height "
      << base::int_at(network, "status", "blockHeight").value_or(0);
  if (auto forked = forked_summary(network, now); !forked.empty()) out << "  " << forked;
  out << "\n";
  for (const auto& line : fork_lines(network)) out << "  " << line << "\n";
  auto first = events.size() > max_events ? events.size() - max_events : 0;
  for (auto i = first; i < events.size(); ++i) {
    const auto& event = events[i];
    out << "  " << event_age(event, now) << " " << base::string_at(event, "reason").value_or("") << ": "
        << base::string_at(event, "message").value_or("") << "\n";
  }
  return out.str();
}

}  // namespace kb::cli
