#pragma once
// Names and labels of everything the controller creates for a network. One place, so the
// builders, the reconciler, the CLI and the tests agree.
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace kb::api {

inline constexpr int kRpcPort = 18443;  // Bitcoin Core's regtest RPC port
inline constexpr int kP2pPort = 18444;  // Bitcoin Core's regtest P2P port
inline constexpr std::string_view kNetworkLabel = "bitcoin.kubectl-bitcoin.dev/network";
inline constexpr std::string_view kFieldManager = "kubectl-bitcoin";
inline constexpr std::string_view kRpcUserKey = "BC_RPC_USER";
inline constexpr std::string_view kRpcPasswordKey = "BC_RPC_PASSWORD";
inline constexpr std::string_view kRpcAuthKey = "BC_RPC_AUTH";

std::string service_name(std::string_view network);           // <network>-svc (as in the original design)
std::string statefulset_name(std::string_view network);       // <network>-sts
std::string generated_secret_name(std::string_view network);  // <network>-rpc: credentials when spec.secret is empty
std::string rpcauth_secret_name(std::string_view network);    // <network>-rpcauth: the salted hash bitcoind reads
std::string network_policy_name(std::string_view network);    // <network>-peers
std::string pod_name(std::string_view network, int ordinal);  // <network>-sts-<ordinal>
std::string dns_name(std::string_view network, int ordinal);  // <pod>.<service>

// Labels on every object and pod of the network; the selector is the single network label.
boost::json::object network_labels(std::string_view network);
boost::json::object selector_labels(std::string_view network);
std::string label_selector(std::string_view network);  // "bitcoin.kubectl-bitcoin.dev/network=<network>"

// Parses "<network>-sts-<n>" back to n for pods of this network; -1 otherwise.
int ordinal_of_pod(std::string_view network, std::string_view pod);

}  // namespace kb::api
