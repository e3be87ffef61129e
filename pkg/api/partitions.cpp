#include "pkg/api/partitions.hpp"

#include <algorithm>
#include <map>
#include <set>

namespace kb::api {
namespace {

// A DNS label (RFC 1123), the CRD's pattern for a group name.
bool is_dns_label(std::string_view name) {
  if (name.empty() || name.size() > 63) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::ranges::all_of(name, [&](char c) { return alnum(c) || c == '-'; });
}

}  // namespace

std::optional<std::string> check_partitions(const std::vector<PartitionGroup>& partitions) {
  if (partitions.size() > static_cast<std::size_t>(kMaxPartitionGroups)) {
    return "spec.partitions has " + std::to_string(partitions.size()) + " groups; at most " +
           std::to_string(kMaxPartitionGroups) + " are allowed";
  }
  std::set<std::string_view> names;
  std::map<int, std::string_view> group_of;
  for (std::size_t i = 0; i < partitions.size(); ++i) {
    const auto& group = partitions[i];
    const auto path = "spec.partitions[" + std::to_string(i) + "]";
    if (!is_dns_label(group.name)) {
      return path + ".name \"" + group.name + "\" must be a DNS label (lower-case letters, digits and '-')";
    }
    if (group.name == kRestGroup) {
      return path + ".name \"rest\" is reserved for the nodes listed in no group";
    }
    if (!names.insert(group.name).second) return path + ".name \"" + group.name + "\" is used by an earlier group";
    if (group.nodes.empty()) return path + ".nodes must list at least one node ordinal";
    for (std::size_t k = 0; k < group.nodes.size(); ++k) {
      const int ordinal = group.nodes[k];
      const auto node_path = path + ".nodes[" + std::to_string(k) + "]";
      if (ordinal < 0) return node_path + " must not be negative (got " + std::to_string(ordinal) + ")";
      auto [it, inserted] = group_of.emplace(ordinal, group.name);
      if (!inserted) {
        return node_path + ": node " + std::to_string(ordinal) + " is already in group \"" + std::string(it->second) +
               "\"; a node may be in at most one group";
      }
    }
  }
  return std::nullopt;
}

std::vector<PartitionGroup> resolve_partition_groups(const std::vector<PartitionGroup>& partitions, int nodes) {
  std::vector<PartitionGroup> groups;
  if (partitions.empty()) return groups;
  std::vector<bool> listed(static_cast<std::size_t>(std::max(nodes, 0)), false);
  for (const auto& group : partitions) {
    PartitionGroup resolved{group.name, {}};
    for (int ordinal : group.nodes) {
      if (ordinal < 0 || ordinal >= nodes) continue;
      resolved.nodes.push_back(ordinal);
      listed[static_cast<std::size_t>(ordinal)] = true;
    }
    std::ranges::sort(resolved.nodes);
    resolved.nodes.erase(std::unique(resolved.nodes.begin(), resolved.nodes.end()), resolved.nodes.end());
    if (!resolved.nodes.empty()) groups.push_back(std::move(resolved));
  }
  PartitionGroup rest{std::string(kRestGroup), {}};
  for (int ordinal = 0; ordinal < nodes; ++ordinal) {
    if (!listed[static_cast<std::size_t>(ordinal)]) rest.nodes.push_back(ordinal);
  }
  if (!rest.nodes.empty()) groups.push_back(std::move(rest));
  return groups;
}

std::string describe_groups(const std::vector<PartitionGroup>& groups) {
  std::string out;
  for (const auto& group : groups) {
    if (!out.empty()) out += ", ";
    out += group.name + " [";
    for (std::size_t i = 0; i < group.nodes.size(); ++i) out += (i ? " " : "") + std::to_string(group.nodes[i]);
    out += "]";
  }
  return out;
}

}  // namespace kb::api
