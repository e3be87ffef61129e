#include "pkg/controller/partition_plan.hpp"

#include "pkg/controller/peer_plan.hpp"

#include <algorithm>

namespace kb::controller {
namespace {

// Union-find over ordinals, for the pieces a group falls into.
struct Pieces {
  std::map<int, int> parent;
  int find(int x) {
    while (parent.at(x) != x) x = parent[x] = parent.at(parent.at(x));
    return x;
  }
  void join(int a, int b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);  // the lowest ordinal names the piece
  }
};

}  // namespace

std::vector<api::Edge> partition_edges(const std::vector<api::Edge>& topology,
                                       const std::vector<api::PartitionGroup>& groups) {
  std::map<int, std::size_t> group_of;
  for (std::size_t g = 0; g < groups.size(); ++g) {
    for (int ordinal : groups[g].nodes) group_of[ordinal] = g;
  }
  std::set<std::pair<int, int>> edges;
  for (const auto& e : topology) {
    auto a = group_of.find(e.from);
    auto b = group_of.find(e.to);
    if (a != group_of.end() && b != group_of.end() && a->second == b->second) {
      edges.insert({std::min(e.from, e.to), std::max(e.from, e.to)});
    }
  }
  for (const auto& group : groups) {
    Pieces pieces;
    for (int ordinal : group.nodes) pieces.parent[ordinal] = ordinal;
    for (auto [a, b] : edges) {
      if (pieces.parent.contains(a) && pieces.parent.contains(b)) pieces.join(a, b);
    }
    std::set<int> roots;  // the lowest ordinal of each piece, in order
    for (int ordinal : group.nodes) roots.insert(pieces.find(ordinal));
    for (auto it = roots.begin(); it != roots.end() && std::next(it) != roots.end(); ++it) {
      edges.insert({*it, *std::next(it)});
    }
  }
  std::vector<api::Edge> out;
  for (auto [a, b] : edges) out.push_back(api::Edge{a, b});
  return out;
}

std::string banned_host(std::string_view listed) {
  auto slash = listed.rfind('/');
  if (slash == std::string_view::npos) return std::string(listed);
  auto bits = listed.substr(slash + 1);
  const bool v6 = listed.find(':') != std::string_view::npos;
  if (bits == (v6 ? "128" : "32")) return std::string(listed.substr(0, slash));
  return std::string(listed);
}

BanChanges plan_bans(int self, const std::vector<api::PartitionGroup>& groups,
                     const std::map<int, std::string>& current_addresses, const std::set<std::string>& owned_hosts,
                     const std::vector<std::string>& listed_bans) {
  std::set<std::string> wanted;
  const auto own = std::ranges::find_if(groups, [&](const auto& g) { return std::ranges::count(g.nodes, self) > 0; });
  if (own != groups.end()) {
    for (const auto& [ordinal, address] : current_addresses) {
      if (ordinal != self && std::ranges::count(own->nodes, ordinal) == 0) wanted.insert(peer_host(address));
    }
  }
  BanChanges changes;
  std::set<std::string> banned;
  for (const auto& listed : listed_bans) {
    auto host = banned_host(listed);
    banned.insert(host);
    if (!wanted.contains(host) && owned_hosts.contains(host)) changes.remove.push_back(host);
  }
  for (const auto& host : wanted) {
    if (!banned.contains(host)) changes.add.push_back(host);
  }
  return changes;
}

}  // namespace kb::controller
