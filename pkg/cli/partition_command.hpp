#pragma once
// `kubectl bitcoin partition NETWORK GROUP...` and `kubectl bitcoin heal NETWORK`: write and clear
// spec.partitions (and spec.partitionDurationSeconds for --for); the controller does the rest.
#include "pkg/api/partitions.hpp"
#include "pkg/cli/command.hpp"

#include <string>
#include <vector>

namespace kb::cli {

void add_partition_commands(CLI::App& root, Context& context);

// The GROUP arguments: "0,1" (named g1, g2, ... by position) or "left=0,1". Throws UsageError
// naming the argument that is not one, or that repeats a node or a name. Pure, for tests.
std::vector<api::PartitionGroup> parse_group_arguments(const std::vector<std::string>& arguments);

}  // namespace kb::cli
