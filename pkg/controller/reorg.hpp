#pragma once
// Reorgs: a node whose new tip does not descend from the tip it had when the controller last
// looked went through a reorg. Finding one takes the node's own answers:
//
//   1. The new tip is higher: `getblockhash <old height>` is the old tip → it descends (one call,
//      and the caller shares the answer between nodes that moved between the same two tips).
//   2. Otherwise the old tip is on a branch the node left. Bitcoin Core lists that branch in
//      `getchaintips` (status "valid-fork", "valid-headers" or "headers-only", with `branchlen`,
//      the blocks between it and the active chain): fork height = height - branchlen.
//   3. A node that does not list it (Bitcoin SV 1.0.13 lists only the active tip) is walked back
//      from the old tip with `getblockheader` (`previousblockhash`) until a block on the active
//      chain (`confirmations` >= 0), at most `max_walk` steps; a deeper reorg is reported as
//      "deeper than" that bound.
//   A node that does not know its old tip at all (`getblockheader` answers -5: a replaced pod
//   with a new data volume, a wiped node) did not reorg: it started a new chain.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/controller/fork_picture.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace kb::controller {

struct Reorg {
  ChainTip from;
  ChainTip to;
  ChainTip fork_point;     // the last block of the old branch still on the active chain
  bool fork_exact = true;  // false: the walk stopped at max_walk; fork_point is the lowest block seen
  std::int64_t depth() const { return from.height - fork_point.height; }
};

// The fork point of `old_tip`'s branch from a `getchaintips` answer (case 2): the height only
// (height - branchlen); nullopt when the answer does not list the tip off the active chain.
std::optional<std::int64_t> fork_height_from_chain_tips(const boost::json::value& chain_tips, const ChainTip& old_tip);

// The Event message: "node 2: reorg of depth 3 from 103/<hash12> to 105/<hash12> (fork at 100)".
std::string reorg_message(int ordinal, const Reorg& reorg);

// Cases 1-3 against one node. nullopt when `new_tip` descends from `old_tip` or the node does not
// know `old_tip`. Throws the node's RpcFailure.
std::optional<Reorg> find_reorg(bitcoin::RpcCaller& rpc, const ChainTip& old_tip, const ChainTip& new_tip,
                                int max_walk);

// Case 1 alone: whether the node's active chain holds `old_tip` (a higher tip then descends).
bool chain_holds(bitcoin::RpcCaller& rpc, const ChainTip& old_tip);

}  // namespace kb::controller
