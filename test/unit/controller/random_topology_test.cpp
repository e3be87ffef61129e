// Properties of the random topology over every size a network may have and every allowed degree:
// connected, degree-bounded, the same for the same seed, and stable when the network scales.
// Pure functions; no fakes.
#include "pkg/controller/random_topology.hpp"
#include "pkg/controller/peer_plan.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <vector>

using namespace kb::controller;
using kb::api::Edge;

namespace {

std::vector<std::vector<int>> adjacency(int nodes, const std::vector<Edge>& edges) {
  std::vector<std::vector<int>> out(static_cast<std::size_t>(nodes));
  for (const auto& e : edges) {
    out[static_cast<std::size_t>(e.from)].push_back(e.to);
    out[static_cast<std::size_t>(e.to)].push_back(e.from);
  }
  return out;
}

bool connected(int nodes, const std::vector<Edge>& edges) {
  if (nodes == 0) return true;
  auto adj = adjacency(nodes, edges);
  std::vector<bool> seen(static_cast<std::size_t>(nodes), false);
  std::vector<int> stack{0};
  seen[0] = true;
  int reached = 1;
  while (!stack.empty()) {
    int node = stack.back();
    stack.pop_back();
    for (int peer : adj[static_cast<std::size_t>(node)]) {
      if (!seen[static_cast<std::size_t>(peer)]) {
        seen[static_cast<std::size_t>(peer)] = true;
        ++reached;
        stack.push_back(peer);
      }
    }
  }
  return reached == nodes;
}

const std::vector<std::uint64_t> kSeeds{0, 1, 42, 0xFFFFFFFFULL, 9007199254740991ULL};

}  // namespace

TEST_CASE("random topology: connected and no node above the degree, for every size, degree and some seeds") {
  for (int degree = kb::api::kMinDegree; degree <= kb::api::kMaxDegree; ++degree) {
    for (auto seed : kSeeds) {
      for (int nodes = 0; nodes <= kb::api::kMaxNodes; ++nodes) {
        auto edges = random_topology_edges(nodes, degree, seed);
        CAPTURE(degree);
        CAPTURE(seed);
        CAPTURE(nodes);
        REQUIRE(connected(nodes, edges));
        for (const auto& peers : adjacency(nodes, edges)) REQUIRE(static_cast<int>(peers.size()) <= degree);
        REQUIRE(std::is_sorted(edges.begin(), edges.end(), [](const Edge& a, const Edge& b) {
          return std::pair(a.from, a.to) < std::pair(b.from, b.to);
        }));
        for (const auto& e : edges) REQUIRE(e.from < e.to);
      }
    }
  }
}

TEST_CASE(
    "random topology: scaling up only adds edges to the new node, scaling down only removes the last nodes' edges") {
  for (int degree = kb::api::kMinDegree; degree <= kb::api::kMaxDegree; ++degree) {
    for (auto seed : kSeeds) {
      auto before = random_topology_edges(1, degree, seed);
      for (int nodes = 2; nodes <= kb::api::kMaxNodes; ++nodes) {
        auto after = random_topology_edges(nodes, degree, seed);
        CAPTURE(degree);
        CAPTURE(nodes);
        std::vector<Edge> added;
        for (const auto& e : after) {
          if (std::find(before.begin(), before.end(), e) == before.end()) added.push_back(e);
        }
        for (const auto& e : before) REQUIRE(std::find(after.begin(), after.end(), e) != after.end());
        for (const auto& e : added) REQUIRE(e.to == nodes - 1);
        REQUIRE_FALSE(added.empty());  // the new node joins someone
        before = after;
      }
    }
  }
}

TEST_CASE("random topology: the same seed gives the same graph; other seeds give other graphs") {
  CHECK(random_topology_edges(60, 4, 7) == random_topology_edges(60, 4, 7));
  std::set<std::vector<std::pair<int, int>>> graphs;
  for (std::uint64_t seed = 0; seed < 10; ++seed) {
    std::vector<std::pair<int, int>> g;
    for (const auto& e : random_topology_edges(60, 4, seed)) g.emplace_back(e.from, e.to);
    graphs.insert(g);
  }
  CHECK(graphs.size() == 10);
  // Pinned: a change of the generator rewires every existing random network when the controller
  // is upgraded, so it must be deliberate.
  std::vector<Edge> pinned{{0, 1}, {0, 2}, {0, 3}, {0, 7}, {1, 2}, {1, 4}, {1, 5},
                           {2, 3}, {2, 4}, {3, 6}, {4, 5}, {5, 6}, {6, 7}};
  CHECK(random_topology_edges(8, 4, 0) == pinned);
}

TEST_CASE("random topology: each node joins floor(degree/2) earlier nodes while they have room") {
  // degree 8 over 100 nodes: 4 joins per node; every earlier node can take them early on.
  auto edges = random_topology_edges(10, 8, 3);
  CHECK(edges.size() == 1 + 2 + 3 + 4 * 6);  // node 1 joins 1, node 2 joins 2, node 3 joins 3, then 4 each
}

TEST_CASE("random topology: no node dials more than bitcoind's 8 outbound addnode connections") {
  for (int degree = kb::api::kMinDegree; degree <= kb::api::kMaxDegree; ++degree) {
    kb::api::NetworkSpec spec;
    spec.nodes = kb::api::kMaxNodes;
    spec.topology = kb::api::Topology::random;
    spec.degree = degree;
    spec.seed = 5;
    auto dials = dial_plan(spec.nodes, topology_edges(spec));
    for (const auto& out : dials) CHECK(out.size() <= 8);
  }
}
