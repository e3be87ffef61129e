#pragma once
// Talks to one node: reads what it knows (height, tip, peers, added nodes) and moves its
// added-node list to the plan with `addnode` (and `disconnectnode` for edges that went away).
// bitcoind's "already added" (-23) and "not added" (-24) mean the work was done by someone else
// (a previous attempt, a restart) and are not errors.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/partition_plan.hpp"
#include "pkg/controller/peer_plan.hpp"

#include <optional>
#include <string>
#include <vector>

namespace kb::controller {

// The reason of a node that accepted the connection but did not answer within the call's deadline.
inline constexpr std::string_view kNodeNotResponding = "NodeNotResponding";
// The reason of a node that answers "still loading" (-28): alive, and about to serve.
inline constexpr std::string_view kWarmingUp = "WarmingUp";

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

// The node's ban list as `listbanned` gives it ("10.1.2.3/32", ...).
std::vector<std::string> listed_bans(bitcoin::RpcCaller& rpc);

// Applies `changes` with `setban`; returns what it actually changed ("already banned" (-23) and
// "not banned" (-30) mean the work was done before and are skipped). A ban also disconnects the
// peers at that address, on bitcoind's side, at once.
BanChanges apply_ban_changes(bitcoin::RpcCaller& rpc, const BanChanges& changes);

// A node failure that is not part of a node's ordinary life: the node answers, but not as
// bitcoind does (an answer over the client's size limit, an answer that is not JSON-RPC), or it
// accepted the connection and then said nothing within the call's deadline (a stopped or hung
// process): the reason the Degraded condition gives (NodeAnswerTooLarge, NodeBadAnswer,
// NodeNotResponding). nullopt for the failures of starting, warming up and restarting, which
// only delay Ready.
std::optional<std::string> persistent_failure_reason(const bitcoin::RpcFailure& failure);
// Any failure as the node's entry in status.nodes[] gives it: the persistent reasons above
// (degrading), WarmingUp (-28), NodeUnreachable (no connection within the connect deadline) or
// RpcNotAnswering (refused, closed, any other error); the message is the failure's own.
NodeFailure node_failure(const bitcoin::RpcFailure& failure);
// The same as a problem naming the node, e.g. "node 2: bitcoind at 10.0.0.3:18443 (...): answer too large: ...".
std::optional<ReconcileProblem> persistent_node_problem(int ordinal, const bitcoin::RpcFailure& failure);

}  // namespace kb::controller
