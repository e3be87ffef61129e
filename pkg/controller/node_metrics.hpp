#pragma once
// Per-node series on the controller's /metrics, labelled {namespace, network, node}, from what the
// reconciles ask the nodes anyway; scraping /metrics reads these gauges and never calls a node.
//
//   bitcoin_node_blocks, bitcoin_node_headers, bitcoin_node_verification_progress
//                                    every pass (getblockchaininfo, asked for the status anyway)
//   bitcoin_node_peers{direction="in"|"out"}, bitcoin_node_mempool_transactions,
//   bitcoin_node_mempool_bytes, bitcoin_node_chain_tips
//                                    sampled at most once per detail interval per node
//                                    (getpeerinfo, getmempoolinfo, getchaintips)
//   bitcoin_network_block_arrival_delay_seconds{namespace, network}
//                                    histogram: when the controller sees a node at a tip, the time
//                                    since it first saw any node of the network at that tip
//
// A node's series go when it stops answering or leaves the network, a network's when it is
// deleted: the label sets stay bounded by the nodes that exist.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/observe/metrics.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace kb::controller {

// What the rate-limited calls say about a node.
struct NodeDetail {
  int peers_in = 0;
  int peers_out = 0;
  std::int64_t mempool_transactions = 0;
  std::int64_t mempool_bytes = 0;
  int chain_tips = 0;
};

// From the answers of getpeerinfo, getmempoolinfo and getchaintips (pure).
NodeDetail node_detail_from(const boost::json::value& peer_info, const boost::json::value& mempool_info,
                            const boost::json::value& chain_tips);
// Asks the node those three. Throws the node's RpcFailure.
NodeDetail sample_node_detail(bitcoin::RpcCaller& rpc);

// The block arrival histogram's bucket bounds, in seconds: the controller looks every few seconds
// at best, so sub-second buckets would only say "the same pass".
std::vector<double> block_arrival_buckets();

class NodeMetrics {
 public:
  explicit NodeMetrics(observe::MetricsRegistry& registry) : registry_(registry) {}

  // The node's series from this pass's observation, and its detail when sampled in this pass.
  void publish(const std::string& ns, const std::string& network, int ordinal, const NodeObservation& observation,
               const std::optional<NodeDetail>& detail);
  // Drops the series of the network's nodes not in `ordinals` (not answering, scaled away).
  void retain_nodes(const std::string& ns, const std::string& network, const std::set<int>& ordinals);
  void observe_arrival(const std::string& ns, const std::string& network, double seconds);
  // Drops every series of the network.
  void forget_network(const std::string& ns, const std::string& network);

 private:
  observe::MetricsRegistry& registry_;
  std::mutex mutex_;  // guards published_ (workers of different networks publish at once)
  std::map<std::pair<std::string, std::string>, std::set<int>> published_;
};

}  // namespace kb::controller
