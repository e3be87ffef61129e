#pragma once
// The condition types a BitcoinNetwork's status carries (status.conditions[].type).
#include <string_view>

namespace kb::api {

inline constexpr std::string_view kConditionReady = "Ready";              // every node answers
inline constexpr std::string_view kConditionProgressing = "Progressing";  // the nodes are not yet as the spec says
inline constexpr std::string_view kConditionDegraded = "Degraded";        // the last reconcile could not do everything
inline constexpr std::string_view kConditionPartitioned = "Partitioned";  // spec.partitions keeps groups apart now
inline constexpr std::string_view kConditionForked = "Forked";  // answering nodes have been on different tips too long

}  // namespace kb::api
