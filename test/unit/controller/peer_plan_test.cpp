// Pure tests of topology edges, dial orientation and addnode planning; no fakes needed.
#include "pkg/controller/peer_plan.hpp"

#include <doctest/doctest.h>

using namespace kb::controller;
using namespace kb::api;

namespace {
NetworkSpec spec_of(int nodes, Topology topology) {
  NetworkSpec spec;
  spec.nodes = nodes;
  spec.topology = topology;
  return spec;
}

// Every edge is dialled by exactly one end.
void check_each_edge_dialled_once(const std::vector<Edge>& edges, const std::vector<std::set<int>>& dials) {
  std::size_t dialled = 0;
  for (const auto& d : dials) dialled += d.size();
  CHECK(dialled == edges.size());
  for (const auto& e : edges) {
    bool a = dials[e.from].contains(e.to), b = dials[e.to].contains(e.from);
    CHECK(a != b);
  }
}
}  // namespace

TEST_CASE("mesh: every pair once, outbound balanced") {
  auto edges = topology_edges(spec_of(5, Topology::mesh));
  CHECK(edges.size() == 10);
  auto dials = dial_plan(5, edges);
  check_each_edge_dialled_once(edges, dials);
  for (const auto& d : dials) CHECK(d.size() == 2);
  auto even = topology_edges(spec_of(4, Topology::mesh));
  auto even_dials = dial_plan(4, even);
  check_each_edge_dialled_once(even, even_dials);
  for (const auto& d : even_dials) CHECK((d.size() == 1 || d.size() == 2));
}

TEST_CASE("ring and star") {
  auto ring = topology_edges(spec_of(4, Topology::ring));
  CHECK(ring == std::vector<Edge>{{0, 1}, {0, 3}, {1, 2}, {2, 3}});
  check_each_edge_dialled_once(ring, dial_plan(4, ring));
  CHECK(topology_edges(spec_of(2, Topology::ring)).size() == 1);
  CHECK(topology_edges(spec_of(1, Topology::ring)).empty());

  auto star_spec = spec_of(4, Topology::star);
  star_spec.hub = 2;
  auto star = topology_edges(star_spec);
  CHECK(star == std::vector<Edge>{{0, 2}, {1, 2}, {2, 3}});
  auto dials = dial_plan(4, star);
  check_each_edge_dialled_once(star, dials);
  CHECK(dials[2].size() <= 1);  // the hub dials little; the spokes dial it
}

TEST_CASE("custom edges: duplicates and reversed pairs collapse; out-of-range edges are ignored") {
  auto spec = spec_of(3, Topology::custom);
  spec.custom_edges = {{1, 0}, {0, 1}, {2, 1}, {0, 7}};
  auto edges = topology_edges(spec);
  CHECK(edges == std::vector<Edge>{{0, 1}, {1, 2}});
}

TEST_CASE("plan: add ready peers, skip unready, remove stale addresses") {
  std::vector<std::set<int>> dials = {{1, 2}, {}, {}};
  std::map<int, std::string> ready = {{0, "10.0.0.10:18444"}, {1, "10.0.0.11:18444"}};
  std::map<int, std::string> current = {{0, "10.0.0.10:18444"}, {1, "10.0.0.11:18444"}, {2, "10.0.0.12:18444"}};
  std::vector<AddedNode> added = {{"10.0.0.99:18444", true}, {"10.0.0.12:18444", false}};
  auto changes = plan_peer_changes(0, dials, ready, current, added);
  CHECK(changes.add == std::vector<std::string>{"10.0.0.11:18444"});
  CHECK(changes.remove == std::vector<std::string>{"10.0.0.99:18444"});
  CHECK(changes.disconnect == std::vector<std::string>{"10.0.0.99:18444"});
  CHECK(changes.redial.empty());  // node 2 is added and not connected, but not ready: no dial in vain
}

TEST_CASE("plan: a wanted, ready peer that is added but not connected is dialled again, nothing else") {
  std::vector<std::set<int>> dials = {{1, 2, 3}, {}, {}, {}};
  std::map<int, std::string> ready = {
      {0, "10.0.0.10:18444"}, {1, "10.0.0.11:18444"}, {2, "10.0.0.12:18444"}, {3, "10.0.0.13:18444"}};
  // 1: connected; 2: added, the dial failed (a ban not yet lifted, a SYN dropped); 3: not added yet;
  // 10.0.0.99: no longer wanted and not connected.
  std::vector<AddedNode> added = {{"10.0.0.11:18444", true}, {"10.0.0.12:18444", false}, {"10.0.0.99:18444", false}};
  auto changes = plan_peer_changes(0, dials, ready, ready, added);
  CHECK(changes.redial == std::vector<std::string>{"10.0.0.12:18444"});
  CHECK(changes.add == std::vector<std::string>{"10.0.0.13:18444"});  // add dials at once anyway
  CHECK(changes.remove == std::vector<std::string>{"10.0.0.99:18444"});
  CHECK(changes.disconnect.empty());
  // The redial is no change to the added-node list.
  auto only_redial = plan_peer_changes(0, {{2}, {}, {}, {}}, ready, ready, {{"10.0.0.12:18444", false}});
  CHECK(only_redial.empty());
  CHECK(only_redial.redial == std::vector<std::string>{"10.0.0.12:18444"});
}

TEST_CASE("plan: steady state is empty, and a node with no dials removes everything") {
  std::vector<std::set<int>> dials = {{1}, {}};
  std::map<int, std::string> addrs = {{0, "10.0.0.10:18444"}, {1, "10.0.0.11:18444"}};
  CHECK(plan_peer_changes(0, dials, addrs, addrs, {{"10.0.0.11:18444", true}}).empty());
  CHECK(plan_peer_changes(0, dials, addrs, addrs, {{"10.0.0.11:18444", true}}).redial.empty());
  auto changes = plan_peer_changes(1, dials, addrs, addrs, {{"10.0.0.10:18444", true}});
  CHECK(changes.remove.size() == 1);
  CHECK(changes.add.empty());
}

TEST_CASE("IPv6 pods: peers are dialled at [v6]:port; hosts compare without brackets or port") {
  CHECK(peer_address("10.0.0.10", 18444) == "10.0.0.10:18444");
  CHECK(peer_address("fd00:10:244::a", 18444) == "[fd00:10:244::a]:18444");
  CHECK(peer_host("10.0.0.10:18444") == "10.0.0.10");
  CHECK(peer_host("10.0.0.10") == "10.0.0.10");
  CHECK(peer_host("[fd00:10:244::a]:18444") == "fd00:10:244::a");
  CHECK(peer_host("fd00:10:244::a") == "fd00:10:244::a");

  std::vector<std::set<int>> dials = {{1, 2}, {}, {}};
  std::map<int, std::string> addrs = {
      {0, peer_address("fd00::10", 18444)}, {1, peer_address("fd00::11", 18444)}, {2, peer_address("fd00::12", 18444)}};
  // Node 0 already has node 1 (as bitcoind reports it back) and a peer that went away.
  std::vector<AddedNode> added = {{"[fd00::11]:18444", true}, {"[fd00::99]:18444", true}};
  auto changes = plan_peer_changes(0, dials, addrs, addrs, added);
  CHECK(changes.add == std::vector<std::string>{"[fd00::12]:18444"});
  CHECK(changes.remove == std::vector<std::string>{"[fd00::99]:18444"});
  CHECK(changes.disconnect == std::vector<std::string>{"[fd00::99]:18444"});
  // Steady state: nothing to do, so an IPv6 network does not churn its peers on every reconcile.
  added = {{"[fd00::11]:18444", true}, {"[fd00::12]:18444", true}};
  CHECK(plan_peer_changes(0, dials, addrs, addrs, added).empty());
}
