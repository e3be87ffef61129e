#pragma once
// The network-layer cut of a partition, as NetworkPolicies (pure builders).
//
// While a partition is in force the network's `<name>-peers` policy admits no P2P (see
// desired_network_policy) and one policy per group, `<name>-peers-<group>`, admits P2P to the
// group's pods only from the group's own pods. The pods are selected by the label the StatefulSet
// controller puts on every pod (statefulset.kubernetes.io/pod-name), so no pod is patched. On heal
// `<name>-peers` admits P2P again and the group policies are deleted (stale_partition_policies),
// so nothing of a partition stays behind. NetworkPolicies only add what they admit, so while both
// kinds exist a pod is reachable on the P2P port from exactly its own group.
#include "pkg/api/bitcoin_network.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

// Marks a policy as one group's (its value: the group's name); the controller deletes only
// policies it controls that carry this label.
inline constexpr std::string_view kPartitionGroupLabel = "bitcoin.kubectl-bitcoin.dev/partition-group";

// `<network>-peers-<group>`.
std::string partition_policy_name(std::string_view network, std::string_view group);

struct NamedPolicy {
  std::string name;
  boost::json::value object;
};

// One policy per group with at least one node (the groups as in force). Empty when `groups` is.
std::vector<NamedPolicy> desired_partition_policies(const api::BitcoinNetwork& network,
                                                    const std::vector<api::PartitionGroup>& groups);

// The names of the live policies (any of the namespace's, as the cache holds them) that are group
// policies controlled by this network and not among `desired`: to be deleted.
std::vector<std::string> stale_partition_policies(const api::BitcoinNetwork& network,
                                                  const std::vector<const boost::json::value*>& live,
                                                  const std::vector<NamedPolicy>& desired);

}  // namespace kb::controller
