#pragma once
// The random topology: a connected graph in which no node has more than `degree` peers, built so
// that it scales. Node i (i >= 1) joins min(floor(degree/2) (at least 1), free) earlier nodes that
// still have room, drawn with a generator seeded by (seed, i) alone. Hence:
//   - the same (nodes, degree, seed) always gives the same edges, on every platform (no
//     std::uniform_int_distribution, whose results differ between standard libraries);
//   - adding node N adds only edges to N, and removing the last nodes removes only their edges:
//     scaling never rewires the nodes that stay;
//   - it is connected: every node joins at least one earlier node, and one with room always
//     exists (the nodes' total room, degree*i - 2*edges, stays at least degree > 0 because each
//     node adds at most floor(degree/2) edges).
#include "pkg/api/bitcoin_network.hpp"

#include <cstdint>
#include <vector>

namespace kb::controller {

// Undirected edges {a, b} with a < b, sorted.
std::vector<api::Edge> random_topology_edges(int nodes, int degree, std::uint64_t seed);

}  // namespace kb::controller
