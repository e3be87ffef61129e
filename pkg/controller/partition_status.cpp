#include "pkg/controller/partition_status.hpp"

#include "pkg/api/conditions.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/kube/conditions.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

std::vector<api::PartitionGroup> groups_in_status(const json::value& status) {
  std::vector<api::PartitionGroup> out;
  const auto* groups = base::json_at(status, "partition", "groups");
  if (!groups || !groups->is_array()) return out;
  for (const auto& g : groups->as_array()) {
    api::PartitionGroup group{base::string_at(g, "name").value_or(""), {}};
    if (const auto* nodes = base::json_at(g, "nodes"); nodes && nodes->is_array()) {
      for (const auto& n : nodes->as_array()) {
        if (n.is_int64()) group.nodes.push_back(static_cast<int>(n.as_int64()));
      }
    }
    out.push_back(std::move(group));
  }
  return out;
}

namespace {

// How the cut is made, for the condition message: the user's way to tell which mode is in force.
constexpr std::string_view kRpcLayer =
    "cut through each node's RPC (cross-group addnode entries removed, the other groups' pod IPs banned with "
    "setban)";
constexpr std::string_view kNoNetworkLayer = "; not at the network layer (the controller makes no NetworkPolicies)";
constexpr std::string_view kNetworkLayer =
    " and at the network layer (NetworkPolicies <network>-peers-<group> admit P2P only from the group's pods, "
    "where the cluster's network plugin enforces NetworkPolicy)";

const json::object* previous_condition(const api::BitcoinNetwork& network) {
  const auto* conditions = base::json_at(network.status, "conditions");
  return conditions ? kube::find_condition(*conditions, api::kConditionPartitioned) : nullptr;
}

}  // namespace

PartitionState decide_partition(const api::BitcoinNetwork& network, std::chrono::system_clock::time_point now,
                                bool network_policies) {
  PartitionState state;
  const auto& spec = network.spec;
  if (spec.partitions.empty()) {
    state.reason = kNotPartitioned;
    state.message = "spec.partitions is empty: every node connects to its topology peers";
    return state;
  }
  if (auto problem = api::check_partitions(spec.partitions)) {
    state.reason = kPartitionsInvalid;
    state.message = "not partitioned: " + *problem;
    return state;
  }
  const auto* previous = previous_condition(network);
  if (previous && base::string_at(*previous, "reason") == kPartitionExpired &&
      base::int_at(*previous, "observedGeneration") == network.generation) {
    state.reason = kPartitionExpired;
    state.message = base::string_at(*previous, "message").value_or("");
    return state;
  }
  auto groups = api::resolve_partition_groups(spec.partitions, spec.nodes);
  const bool same_groups = groups_in_status(network.status) == groups;
  auto since_text = same_groups ? base::string_at(network.status, "partition", "since").value_or("") : "";
  auto since = base::parse_time(since_text);
  if (!since) {
    since = now;
    since_text = base::format_time(now);
  }
  if (spec.partition_duration_seconds > 0) {
    state.until = *since + std::chrono::seconds(spec.partition_duration_seconds);
    if (now >= *state.until) {
      state.reason = kPartitionExpired;
      state.message = "the partition " + api::describe_groups(groups) + " from " + since_text + " ended at " +
                      base::format_time(*state.until) + " (spec.partitionDurationSeconds " +
                      std::to_string(spec.partition_duration_seconds) +
                      "); the network is healed and spec.partitions stays until it is changed";
      state.until.reset();
      return state;
    }
  }
  state.groups = std::move(groups);
  state.since = since_text;
  state.reason = kPartitionInForce;
  state.message = "P2P only inside the groups " + api::describe_groups(state.groups) + " since " + since_text +
                  (state.until ? " until " + base::format_time(*state.until) : std::string()) + ", " +
                  std::string(kRpcLayer) + std::string(network_policies ? kNetworkLayer : kNoNetworkLayer);
  return state;
}

json::value partition_status(const PartitionState& state) {
  if (!state.in_force()) return nullptr;
  json::array groups;
  for (const auto& group : state.groups) {
    json::array nodes;
    for (int ordinal : group.nodes) nodes.push_back(ordinal);
    groups.push_back(json::object{{"name", group.name}, {"nodes", std::move(nodes)}});
  }
  json::object out{{"groups", std::move(groups)}, {"since", state.since}};
  if (state.until) out["until"] = base::format_time(*state.until);
  return out;
}

}  // namespace kb::controller
