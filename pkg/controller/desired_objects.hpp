#pragma once
// Pure builders of the objects a network owns, in the form the controller server-side applies:
// only the fields it has an opinion on, so a second apply with the same input changes nothing.
#include "pkg/api/bitcoin_network.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

// The ownerReference that makes the object garbage-collected with its network.
boost::json::object owner_reference(const api::BitcoinNetwork& network);

// The metadata every object of the network has: name, namespace, the network's labels, its ownerReference.
boost::json::object object_meta(const api::BitcoinNetwork& network, const std::string& name);

// A NetworkPolicy ingress rule admitting TCP to the P2P port from `from` (a NetworkPolicyPeer).
boost::json::object p2p_ingress_rule(boost::json::object from);

// Headless Service <name>-svc: stable DNS names for the pods, P2P and RPC ports.
boost::json::value desired_service(const api::BitcoinNetwork& network);

// StatefulSet <name>-sts running bitcoind in regtest. `rpcauth_hash` is a digest of the rpcauth line;
// it is placed in the pod template so that changed credentials roll the pods.
boost::json::value desired_statefulset(const api::BitcoinNetwork& network, std::string_view rpcauth_hash);

// Secret <name>-rpc holding generated credentials (only when spec.secret is empty).
boost::json::value desired_generated_secret(const api::BitcoinNetwork& network, const std::string& user,
                                            const std::string& password);

// Secret <name>-rpcauth holding the rpcauth line that bitcoind reads from its environment.
boost::json::value desired_rpcauth_secret(const api::BitcoinNetwork& network, const std::string& rpcauth_line);

// NetworkPolicy <name>-peers: P2P only from the network's own pods, RPC only from the controller's
// pods in the controller's namespace (any namespace when `controller_namespace` is empty). While a
// partition is in force (`partitioned`) it admits no P2P: the groups' policies do (partition_policies.hpp).
boost::json::value desired_network_policy(const api::BitcoinNetwork& network, std::string_view controller_namespace,
                                          bool partitioned = false);

// Where each node keeps its chain: the network's volume (a PVC with spec.storage, else an emptyDir).
inline constexpr std::string_view kDataDir = "/data";
// The uid and gid of the `bitcoin` user in the bitcoin/bitcoin images.
inline constexpr int kBitcoinUid = 101;

// The bitcoind arguments (without the user's spec.args appended).
std::vector<std::string> bitcoind_base_args();

}  // namespace kb::controller
