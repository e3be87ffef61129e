#include "pkg/controller/peer_plan.hpp"

#include "pkg/bitcoin/rpc_endpoint.hpp"
#include "pkg/controller/random_topology.hpp"

#include <algorithm>

namespace kb::controller {

std::vector<api::Edge> topology_edges(const api::NetworkSpec& spec) {
  const int n = spec.nodes;
  std::set<std::pair<int, int>> edges;
  auto add = [&](int a, int b) {
    if (a == b || a < 0 || b < 0 || a >= n || b >= n) return;
    edges.insert({std::min(a, b), std::max(a, b)});
  };
  switch (spec.topology) {
    case api::Topology::mesh:
      for (int a = 0; a < n; ++a) {
        for (int b = a + 1; b < n; ++b) add(a, b);
      }
      break;
    case api::Topology::ring:
      for (int a = 0; a < n; ++a) add(a, (a + 1) % n);
      break;
    case api::Topology::star:
      for (int a = 0; a < n; ++a) add(spec.hub, a);
      break;
    case api::Topology::random:
      for (const auto& e : random_topology_edges(n, spec.degree, static_cast<std::uint64_t>(spec.seed))) {
        add(e.from, e.to);
      }
      break;
    case api::Topology::custom:
      for (const auto& e : spec.custom_edges) add(e.from, e.to);
      break;
  }
  std::vector<api::Edge> out;
  for (auto [a, b] : edges) out.push_back(api::Edge{a, b});
  return out;
}

std::vector<std::set<int>> dial_plan(int nodes, const std::vector<api::Edge>& edges) {
  std::vector<std::set<int>> dials(static_cast<std::size_t>(std::max(nodes, 0)));
  if (nodes > 1 && edges.size() == static_cast<std::size_t>(nodes) * static_cast<std::size_t>(nodes - 1) / 2) {
    // A complete graph: node i dials the next n/2 nodes around the circle, which balances
    // outbound connections exactly (for even n the opposite pairs go to the lower half).
    for (int i = 0; i < nodes; ++i) {
      for (int k = 1; k <= (nodes - 1) / 2; ++k) dials[static_cast<std::size_t>(i)].insert((i + k) % nodes);
      if (nodes % 2 == 0 && i < nodes / 2) dials[static_cast<std::size_t>(i)].insert(i + nodes / 2);
    }
    return dials;
  }
  // Greedy orientation: each edge is dialled by whichever end dials fewer peers so far
  // (ties go to the lower ordinal). For a mesh this gives every node about n/2 outbound peers.
  for (const auto& e : edges) {
    if (e.from >= nodes || e.to >= nodes) continue;
    auto& a = dials[static_cast<std::size_t>(e.from)];
    auto& b = dials[static_cast<std::size_t>(e.to)];
    if (b.size() < a.size()) {
      b.insert(e.from);
    } else {
      a.insert(e.to);
    }
  }
  return dials;
}

std::string peer_address(std::string_view ip, int port) {
  return bitcoin::describe(std::string(ip), static_cast<std::uint16_t>(port));
}

std::string peer_host(std::string_view address) {
  if (address.starts_with('[')) {
    auto close = address.find(']');
    return std::string(close == std::string_view::npos ? address.substr(1) : address.substr(1, close - 1));
  }
  auto colon = address.find(':');
  if (colon == std::string_view::npos || address.find(':', colon + 1) != std::string_view::npos) {
    return std::string(address);  // no port, or a bare IPv6 address
  }
  return std::string(address.substr(0, colon));
}

PeerChanges plan_peer_changes(int self, const std::vector<std::set<int>>& dials,
                              const std::map<int, std::string>& ready_addresses,
                              const std::map<int, std::string>& current_addresses,
                              const std::vector<AddedNode>& added) {
  PeerChanges changes;
  std::set<int> wanted;
  if (self >= 0 && static_cast<std::size_t>(self) < dials.size()) wanted = dials[static_cast<std::size_t>(self)];

  // Addresses we keep: wanted peers at their current address (ready or restarting in place).
  std::set<std::string> keep_hosts;
  for (int peer : wanted) {
    if (auto it = current_addresses.find(peer); it != current_addresses.end()) keep_hosts.insert(peer_host(it->second));
  }
  std::set<std::string> added_hosts;
  std::map<std::string, const AddedNode*> unconnected;  // by host
  for (const auto& node : added) {
    auto host = peer_host(node.address);
    added_hosts.insert(host);
    if (!node.connected) unconnected[host] = &node;
    if (!keep_hosts.contains(host)) {
      changes.remove.push_back(node.address);
      if (node.connected) changes.disconnect.push_back(node.address);
    }
  }
  for (int peer : wanted) {
    auto it = ready_addresses.find(peer);
    if (it == ready_addresses.end()) continue;
    auto host = peer_host(it->second);
    if (!added_hosts.contains(host)) {
      changes.add.push_back(it->second);
    } else if (auto entry = unconnected.find(host); entry != unconnected.end()) {
      changes.redial.push_back(entry->second->address);
    }
  }
  return changes;
}

}  // namespace kb::controller
