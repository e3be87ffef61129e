#pragma once
// spec.partitions: named groups of node ordinals that, while the list is not empty, are the only
// places P2P connections may exist. The API server checks the rules below (the CRD's schema and
// CEL); check_partitions() states them again for objects written before the rules existed.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::api {

struct PartitionGroup {
  std::string name;
  std::vector<int> nodes;  // ordinals; those at or above spec.nodes are ignored
  friend bool operator==(const PartitionGroup&, const PartitionGroup&) = default;
};

// The group of the nodes that no listed group names (a listed group may not take this name).
inline constexpr std::string_view kRestGroup = "rest";
// The CRD's maxItems for spec.partitions: enough groups for any experiment, and few enough that
// the "an ordinal in at most one group" CEL rule stays within the API server's cost budget.
inline constexpr int kMaxPartitionGroups = 10;

// The first rule spec.partitions breaks, as one sentence naming the field
// ("spec.partitions[1].name \"Left\" ..."); nullopt when it keeps them all.
std::optional<std::string> check_partitions(const std::vector<PartitionGroup>& partitions);

// The groups in force for a network of `nodes` nodes: each listed group with its ordinals below
// `nodes` (sorted), in the listed order, then "rest" with every ordinal no group names. Groups
// left without a member are omitted. Empty when `partitions` is empty (no partition).
std::vector<PartitionGroup> resolve_partition_groups(const std::vector<PartitionGroup>& partitions, int nodes);

// "left [0 1], right [2 3]": the groups as condition messages and the CLI show them.
std::string describe_groups(const std::vector<PartitionGroup>& groups);

}  // namespace kb::api
