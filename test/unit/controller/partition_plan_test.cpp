// Pure tests of the partition's peer plan (edges kept inside groups) and ban plan; no fakes.
#include "pkg/controller/partition_plan.hpp"

#include "pkg/controller/peer_plan.hpp"

#include <doctest/doctest.h>

#include <functional>

using namespace kb::controller;
using namespace kb::api;

namespace {

NetworkSpec spec_of(int nodes, Topology topology) {
  NetworkSpec spec;
  spec.nodes = nodes;
  spec.topology = topology;
  return spec;
}

// Whether the edges join every member of the group, using only edges between members.
bool connects(const std::vector<Edge>& edges, const PartitionGroup& group) {
  if (group.nodes.empty()) return true;
  std::set<int> members(group.nodes.begin(), group.nodes.end());
  std::set<int> reached{group.nodes.front()};
  for (bool grew = true; grew;) {
    grew = false;
    for (const auto& e : edges) {
      if (!members.contains(e.from) || !members.contains(e.to)) continue;
      if (reached.contains(e.from) != reached.contains(e.to)) {
        reached.insert(e.from);
        reached.insert(e.to);
        grew = true;
      }
    }
  }
  return reached == members;
}

}  // namespace

TEST_CASE("a ring of 4 split {0,1} {2,3}: the two edges inside the groups, nothing across") {
  auto edges = partition_edges(topology_edges(spec_of(4, Topology::ring)), {{"left", {0, 1}}, {"right", {2, 3}}});
  CHECK(edges == std::vector<Edge>{{0, 1}, {2, 3}});
}

TEST_CASE("a group the topology leaves in pieces is joined as a chain of the pieces' lowest ordinals") {
  // Ring 0-1-2-3-0 split {0,2} {1,3}: no ring edge is inside a group.
  auto edges = partition_edges(topology_edges(spec_of(4, Topology::ring)), {{"even", {0, 2}}, {"odd", {1, 3}}});
  CHECK(edges == std::vector<Edge>{{0, 2}, {1, 3}});
  // Ring of 6, group {0,1,3,4}: pieces {0,1} and {3,4} joined 0-3; rest {2,5} joined 2-5.
  auto six = partition_edges(topology_edges(spec_of(6, Topology::ring)), {{"a", {0, 1, 3, 4}}, {"rest", {2, 5}}});
  CHECK(six == std::vector<Edge>{{0, 1}, {0, 3}, {2, 5}, {3, 4}});
  // A star split away from its hub: the leaves have no edge among them.
  auto star = partition_edges(topology_edges(spec_of(5, Topology::star)), {{"hub", {0, 1}}, {"leaves", {2, 3, 4}}});
  CHECK(star == std::vector<Edge>{{0, 1}, {2, 3}, {3, 4}});
}

TEST_CASE("invariants for every topology and many splits: no edge across, every group connected, dialled once") {
  for (auto topology : {Topology::mesh, Topology::ring, Topology::star, Topology::random}) {
    for (int nodes = 1; nodes <= 9; ++nodes) {
      auto all = topology_edges(spec_of(nodes, topology));
      // Every way to put each node in one of three groups, by the digits base 3 of `mask`.
      int splits = 1;
      for (int i = 0; i < nodes; ++i) splits *= 3;
      for (int mask = 0; mask < splits; mask += 1 + splits / 200) {
        std::vector<PartitionGroup> groups{{"a", {}}, {"b", {}}, {"rest", {}}};
        for (int i = 0, m = mask; i < nodes; ++i, m /= 3) groups[static_cast<std::size_t>(m % 3)].nodes.push_back(i);
        auto edges = partition_edges(all, groups);
        CAPTURE(to_string(topology));
        CAPTURE(nodes);
        CAPTURE(mask);
        for (const auto& group : groups) CHECK(connects(edges, group));
        for (const auto& e : edges) {
          CHECK(e.from < e.to);
          int same = 0;
          for (const auto& group : groups) {
            same += std::ranges::count(group.nodes, e.from) > 0 && std::ranges::count(group.nodes, e.to) > 0;
          }
          CHECK(same == 1);
        }
        // Every topology edge inside a group is kept.
        for (const auto& e : all) {
          bool inside = false;
          for (const auto& group : groups) {
            inside |= std::ranges::count(group.nodes, e.from) > 0 && std::ranges::count(group.nodes, e.to) > 0;
          }
          if (inside) CHECK(std::ranges::count(edges, e) == 1);
        }
        auto dials = dial_plan(nodes, edges);
        std::size_t dialled = 0;
        for (const auto& d : dials) dialled += d.size();
        CHECK(dialled == edges.size());
      }
    }
  }
}

TEST_CASE("banned_host: a single address's /32 or /128 goes, a wider subnet stays") {
  CHECK(banned_host("10.244.0.5/32") == "10.244.0.5");
  CHECK(banned_host("fd00::3/128") == "fd00::3");
  CHECK(banned_host("10.244.0.0/16") == "10.244.0.0/16");
  CHECK(banned_host("10.244.0.5") == "10.244.0.5");
}

TEST_CASE("plan_bans: the other groups' pods banned, foreign bans left alone, owned bans lifted on heal") {
  const std::vector<PartitionGroup> groups{{"left", {0, 1}}, {"right", {2, 3}}};
  const std::map<int, std::string> addresses{
      {0, "10.0.0.10:18444"}, {1, "10.0.0.11:18444"}, {2, "10.0.0.12:18444"}, {3, "[fd00::13]:18444"}};
  std::set<std::string> owned{"10.0.0.10", "10.0.0.11", "10.0.0.12", "fd00::13"};

  auto fresh = plan_bans(0, groups, addresses, owned, {});
  CHECK(fresh.add == std::vector<std::string>{"10.0.0.12", "fd00::13"});
  CHECK(fresh.remove.empty());
  auto other_side = plan_bans(3, groups, addresses, owned, {});
  CHECK(other_side.add == std::vector<std::string>{"10.0.0.10", "10.0.0.11"});

  // Already as planned, next to a user's ban and a misbehaving peer's: nothing to do.
  CHECK(plan_bans(0, groups, addresses, owned, {"10.0.0.12/32", "fd00::13/128", "192.0.2.7/32", "198.51.100.0/24"})
            .empty());

  // Node 2 was replaced: its old IP (banned before, so still owned) is lifted, the new one banned.
  auto moved = addresses;
  moved[2] = "10.0.0.22:18444";
  auto owned_after = owned;
  owned_after.insert("10.0.0.22");
  auto replaced = plan_bans(0, groups, moved, owned_after, {"10.0.0.12/32", "fd00::13/128"});
  CHECK(replaced.add == std::vector<std::string>{"10.0.0.22"});
  CHECK(replaced.remove == std::vector<std::string>{"10.0.0.12"});

  // Healed: every owned ban goes, the foreign one stays.
  auto healed = plan_bans(0, {}, addresses, owned, {"10.0.0.12/32", "fd00::13/128", "192.0.2.7/32"});
  CHECK(healed.add.empty());
  CHECK(healed.remove == std::vector<std::string>{"10.0.0.12", "fd00::13"});

  // A node in no group (an ordinal the spec no longer has) bans nobody.
  CHECK(plan_bans(7, groups, addresses, owned, {}).empty());
}
