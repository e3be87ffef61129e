#pragma once
// Whether a partition is in force, decided from the spec, the status the controller wrote last and
// the clock: status.partition (its groups and since, kept while the groups stay the same) and the
// Partitioned condition. Pure.
//
// spec.partitionDurationSeconds ends a partition by itself: when status.partition.since plus the
// duration has passed, the controller heals the network and says so (Partitioned False, reason
// Expired) while spec.partitions stays as the user wrote it; the condition's observedGeneration
// keeps the network healed until the spec changes (the controller may not write the spec).
#include "pkg/api/bitcoin_network.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

inline constexpr std::string_view kPartitionInForce = "GroupsSeparated";
inline constexpr std::string_view kNotPartitioned = "NotPartitioned";
inline constexpr std::string_view kPartitionExpired = "Expired";
inline constexpr std::string_view kPartitionsInvalid = "PartitionsInvalid";

struct PartitionState {
  std::vector<api::PartitionGroup> groups;                     // in force; empty: none is
  std::string since;                                           // RFC 3339, while in force
  std::optional<std::chrono::system_clock::time_point> until;  // the end set by the duration
  std::string reason;   // the Partitioned condition's (True only for kPartitionInForce)
  std::string message;  // ... and its message
  bool in_force() const { return !groups.empty(); }
};

// `network_policies`: the controller makes NetworkPolicies (not --no-network-policy), so the cut is
// made at the network layer too; the condition's message says which layers are in force.
PartitionState decide_partition(const api::BitcoinNetwork& network, std::chrono::system_clock::time_point now,
                                bool network_policies = false);

// status.partition for a state in force: {groups: [{name, nodes}], since, until?}; null otherwise.
boost::json::value partition_status(const PartitionState& state);

// The groups a status (as last written) had in force; empty when it had none.
std::vector<api::PartitionGroup> groups_in_status(const boost::json::value& status);

}  // namespace kb::controller
