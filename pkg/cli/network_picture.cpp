#include "pkg/cli/network_picture.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/controller/peer_plan.hpp"

#include <boost/json.hpp>

#include <set>

namespace kb::cli {
namespace json = boost::json;

namespace {

std::string bounded(std::string text) {
  if (text.size() > kMaxMessageBytes) {
    // Cut at a character boundary, not inside a UTF-8 sequence.
    std::size_t end = kMaxMessageBytes;
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
    text.resize(end);
    text += "…";
  }
  return text;
}

json::value string_or_null(const json::value& object, std::string_view key) {
  auto text = base::string_at(object, key);
  return text ? json::value(bounded(*text)) : json::value(nullptr);
}

json::value int_or_null(const json::value& object, std::string_view key) {
  auto number = base::int_at(object, key);
  return number ? json::value(*number) : json::value(nullptr);
}

json::array ordinals_of(const json::value* list) {
  json::array out;
  if (list && list->is_array()) {
    for (const auto& item : list->get_array()) {
      if (auto ordinal = base::int_of(&item)) out.push_back(*ordinal);
    }
  }
  return out;
}

json::array edges_json(const std::vector<api::Edge>& edges) {
  json::array out;
  for (const auto& edge : edges) out.push_back(json::array{edge.from, edge.to});
  return out;
}

json::array node_status(const json::value& network) {
  json::array out;
  const auto* nodes = base::json_at(network, "status", "nodes");
  if (!nodes || !nodes->is_array()) return out;
  for (const auto& node : nodes->get_array()) {
    out.push_back(json::object{{"ordinal", int_or_null(node, "ordinal")},
                               {"ready", base::bool_at(node, "ready").value_or(false)},
                               {"blocks", int_or_null(node, "blocks")},
                               {"bestBlockHash", string_or_null(node, "bestBlockHash")},
                               {"peers", int_or_null(node, "peers")},
                               {"reason", string_or_null(node, "reason")}});
  }
  return out;
}

json::array conditions(const json::value& network) {
  json::array out;
  const auto* listed = base::json_at(network, "status", "conditions");
  if (!listed || !listed->is_array()) return out;
  for (const auto& condition : listed->get_array()) {
    out.push_back(json::object{{"type", string_or_null(condition, "type")},
                               {"status", string_or_null(condition, "status")},
                               {"reason", string_or_null(condition, "reason")},
                               {"message", string_or_null(condition, "message")},
                               {"lastTransitionTime", string_or_null(condition, "lastTransitionTime")}});
  }
  return out;
}

// status.forks (interfaces.md): the groups of ready nodes by tip; null when the status has none.
json::value forks(const json::value& network) {
  const auto* listed = base::json_at(network, "status", "forks");
  if (!listed || !listed->is_array()) return nullptr;
  json::array out;
  for (const auto& fork : listed->get_array()) {
    json::object entry{{"height", int_or_null(fork, "height")},
                       {"hash", string_or_null(fork, "hash")},
                       {"nodes", ordinals_of(base::json_at(fork, "nodes"))},
                       {"depth", int_or_null(fork, "depth")}};
    if (const auto* point = base::json_at(fork, "forkPoint"); point && point->is_object()) {
      entry["forkPoint"] =
          json::object{{"height", int_or_null(*point, "height")}, {"hash", string_or_null(*point, "hash")}};
    }
    out.push_back(std::move(entry));
  }
  return out;
}

json::array named_groups(const json::value* listed) {
  json::array out;
  if (!listed || !listed->is_array()) return out;
  for (const auto& group : listed->get_array()) {
    out.push_back(
        json::object{{"name", string_or_null(group, "name")}, {"nodes", ordinals_of(base::json_at(group, "nodes"))}});
  }
  return out;
}

// The partition in force (status.partition), else the one asked for (spec.partitions) that the
// controller has not reported yet; null when neither.
json::value partition(const json::value& network) {
  if (const auto* in_force = base::json_at(network, "status", "partition"); in_force && in_force->is_object()) {
    return json::object{{"source", "status"},
                        {"since", string_or_null(*in_force, "since")},
                        {"groups", named_groups(base::json_at(*in_force, "groups"))}};
  }
  const auto* asked = base::json_at(network, "spec", "partitions");
  if (asked && asked->is_array() && !asked->get_array().empty()) {
    return json::object{{"source", "spec"}, {"since", nullptr}, {"groups", named_groups(asked)}};
  }
  return nullptr;
}

json::array events_json(const std::vector<json::value>& events) {
  json::array out;
  for (const auto& event : events) {
    out.push_back(json::object{{"type", string_or_null(event, "type")},
                               {"reason", string_or_null(event, "reason")},
                               {"message", string_or_null(event, "message")},
                               {"count", int_or_null(event, "count")},
                               {"time", event_time(event)}});
  }
  return out;
}

}  // namespace

std::map<std::string, int> ordinals_by_ip(const json::value& network) {
  std::map<std::string, int> out;
  const auto* nodes = base::json_at(network, "status", "nodes");
  if (!nodes || !nodes->is_array()) return out;
  for (const auto& node : nodes->get_array()) {
    auto ip = base::string_at(node, "ip");
    auto ordinal = base::int_at(node, "ordinal");
    if (ip && !ip->empty() && ordinal) out[*ip] = static_cast<int>(*ordinal);
  }
  return out;
}

std::vector<api::Edge> live_edges(const std::map<std::string, int>& ordinals,
                                  const std::map<int, json::value>& peer_info) {
  std::set<std::pair<int, int>> edges;
  for (const auto& [self, answer] : peer_info) {
    if (!answer.is_array()) continue;
    for (const auto& peer : answer.get_array()) {
      auto address = base::string_at(peer, "addr");
      if (!address) continue;
      auto found = ordinals.find(controller::peer_host(*address));
      if (found == ordinals.end() || found->second == self) continue;
      edges.insert({std::min(self, found->second), std::max(self, found->second)});
    }
  }
  std::vector<api::Edge> out;
  for (auto [a, b] : edges) out.push_back({a, b});
  return out;
}

json::value network_picture(const PictureInputs& inputs) {
  const auto& network = inputs.network;
  const auto* spec = base::json_at(network, "spec");
  json::object picture{
      {"name", base::string_at(network, "metadata", "name").value_or("")},
      {"namespace", base::string_at(network, "metadata", "namespace").value_or("")},
      {"nodes", spec ? int_or_null(*spec, "nodes") : json::value(nullptr)},
      {"topology", spec ? string_or_null(*spec, "topology") : json::value(nullptr)},
      {"readyNodes", base::int_at(network, "status", "readyNodes").value_or(0)},
      {"blockHeight", base::int_at(network, "status", "blockHeight").value_or(0)},
      {"nodeStatus", node_status(network)},
      {"conditions", conditions(network)},
      {"forks", forks(network)},
      {"partition", partition(network)},
      {"topologyEdges", edges_json(inputs.topology_edges)},
      {"liveEdges", inputs.peers_known ? json::value(edges_json(inputs.live_edges)) : json::value(nullptr)},
      {"rpcProblem", inputs.rpc_problem.empty() ? json::value(nullptr) : json::value(bounded(inputs.rpc_problem))},
      {"events", events_json(inputs.events)},
      {"observedAt", inputs.observed_at},
  };
  return picture;
}

}  // namespace kb::cli
