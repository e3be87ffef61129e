#pragma once
// Talks to one node: reads what it knows (height, tip, peers, added nodes) and moves its
// added-node list to the plan with `addnode` (and `disconnectnode` for edges that went away).
// bitcoind's "already added" (-23) and "not added" (-24) mean the work was done by someone else
// (a previous attempt, a restart) and are not errors.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/peer_plan.hpp"

#include <vector>

namespace kb::controller {

struct NodeSyncResult {
  NodeObservation observation;
  PeerChanges applied;  // what was changed on the node in this call
};

// Observation only (no changes).
NodeObservation observe_node(bitcoin::RpcCaller& rpc);

// The node's added-node list.
std::vector<AddedNode> added_nodes(bitcoin::RpcCaller& rpc);

// Applies `changes` to the node; returns what it actually changed (-23/-24 are skipped silently).
PeerChanges apply_peer_changes(bitcoin::RpcCaller& rpc, const PeerChanges& changes);

}  // namespace kb::controller
