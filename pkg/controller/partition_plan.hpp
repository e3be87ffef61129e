#pragma once
// What a partition changes in the peer plan: the topology's edges restricted to each group (so the
// addnode plan never names a peer of another group), and the bans that keep the groups apart.
// Removing addnode entries is not enough on its own: bitcoind also dials addresses it learned by
// addr relay and accepts inbound connections, and a ban (`setban <ip> add`) refuses both. It does
// not stop an addnode entry (bitcoind dials those even when banned), which is why both are needed.
#include "pkg/api/bitcoin_network.hpp"

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

// The edges of `topology` whose two ends are in the same group, plus, for a group whose members
// the topology leaves in several pieces, one edge from the lowest ordinal of each piece to the
// lowest ordinal of the next (a chain), so a block mined anywhere in the group reaches all of it.
// Sorted, {a, b} with a < b. `groups` as api::resolve_partition_groups gives them (every node in
// exactly one group).
std::vector<api::Edge> partition_edges(const std::vector<api::Edge>& topology,
                                       const std::vector<api::PartitionGroup>& groups);

// The host a `listbanned` entry bans: "10.1.2.3" for "10.1.2.3/32", "fd00::3" for "fd00::3/128";
// a wider subnet ("10.1.0.0/16") stays as it is (the controller never sets one).
std::string banned_host(std::string_view listed);

struct BanChanges {
  std::vector<std::string> add;     // setban <host> add
  std::vector<std::string> remove;  // setban <host> remove
  bool empty() const { return add.empty() && remove.empty(); }
};

// The bans that move one node's ban list to the partition: every pod of another group banned
// (by its current address), and no other ban of a host the controller answers for. `owned_hosts`
// are those hosts: the network's pod IPs now, and those it banned before (a pod replaced since
// has a new IP; its old ban must go). Bans of other hosts (the user's, misbehaving peers) are left
// alone. With no groups (healed) every owned ban is removed.
BanChanges plan_bans(int self, const std::vector<api::PartitionGroup>& groups,
                     const std::map<int, std::string>& current_addresses, const std::set<std::string>& owned_hosts,
                     const std::vector<std::string>& listed_bans);

}  // namespace kb::controller
