#pragma once
// Which node dials which: the topology's edges, oriented so that each edge is dialled by exactly
// one of its ends (one P2P connection per edge, visible in `getpeerinfo` on both), and balanced so
// that no node needs more outbound `addnode` slots than necessary (bitcoind serves at most 8).
#include "pkg/api/bitcoin_network.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

// Undirected edges {a, b} with a < b of the topology over `nodes` nodes, sorted.
std::vector<api::Edge> topology_edges(const api::NetworkSpec& spec);

// For each ordinal, the ordinals it dials. Deterministic: orientation depends only on the edges.
std::vector<std::set<int>> dial_plan(int nodes, const std::vector<api::Edge>& edges);

// The address a node dials a peer at: "10.1.2.3:18444", or "[fd00::3]:18444" for an IPv6 pod
// (bitcoind reads an unbracketed "fd00::3:18444" as an address without a port).
std::string peer_address(std::string_view ip, int port);

// The host part of an address as `addnode` takes it and `getaddednodeinfo` gives it back:
// "10.1.2.3" for "10.1.2.3:18444" or "10.1.2.3", "fd00::3" for "[fd00::3]:18444" or "fd00::3".
std::string peer_host(std::string_view address);

// What one node has in its added-node list, as `getaddednodeinfo` reports it.
struct AddedNode {
  std::string address;  // "ip:port", "[ipv6]:port" or "ip"
  bool connected = false;
};

// The `addnode` calls that move one node's added-node list to the desired one.
struct PeerChanges {
  std::vector<std::string> add;     // addnode <address> add
  std::vector<std::string> remove;  // addnode <address> remove (and disconnect when connected)
  std::vector<std::string> disconnect;
  // addnode <address> onetry: wanted, ready and added, but not connected. bitcoind retries an added
  // node by itself only about a minute later; a dial that met a closed door (a ban not yet lifted,
  // a NetworkPolicy not yet applied by the network plugin) is tried again at the next pass.
  std::vector<std::string> redial;
  // Changes to the added-node list (a redial changes nothing in it).
  bool empty() const { return add.empty() && remove.empty() && disconnect.empty(); }
};

// `ready_addresses` maps ordinal → peer_address() for nodes that are ready now; peers that are not ready
// are neither added (they would be dialled in vain) nor removed if already added with their
// current address (a node that restarts in place keeps its entry).
// `current_addresses` maps ordinal → peer_address() of every existing pod with an IP, ready or not.
PeerChanges plan_peer_changes(int self, const std::vector<std::set<int>>& dials,
                              const std::map<int, std::string>& ready_addresses,
                              const std::map<int, std::string>& current_addresses, const std::vector<AddedNode>& added);

}  // namespace kb::controller
