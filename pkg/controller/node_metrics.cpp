#include "pkg/controller/node_metrics.hpp"

#include "pkg/base/json_path.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

NodeDetail node_detail_from(const json::value& peer_info, const json::value& mempool_info,
                            const json::value& chain_tips) {
  NodeDetail detail;
  if (peer_info.is_array()) {
    for (const auto& peer : peer_info.as_array()) {
      if (base::bool_at(peer, "inbound").value_or(false))
        ++detail.peers_in;
      else
        ++detail.peers_out;
    }
  }
  detail.mempool_transactions = base::int_at(mempool_info, "size").value_or(0);
  detail.mempool_bytes = base::int_at(mempool_info, "bytes").value_or(0);
  if (chain_tips.is_array()) detail.chain_tips = static_cast<int>(chain_tips.as_array().size());
  return detail;
}

NodeDetail sample_node_detail(bitcoin::RpcCaller& rpc) {
  auto peers = rpc.call("getpeerinfo");
  auto mempool = rpc.call("getmempoolinfo");
  auto tips = rpc.call("getchaintips");
  return node_detail_from(peers, mempool, tips);
}

std::vector<double> block_arrival_buckets() { return {0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300}; }

namespace {

observe::Labels node_labels(const std::string& ns, const std::string& network, int ordinal) {
  return {{"namespace", ns}, {"network", network}, {"node", std::to_string(ordinal)}};
}

}  // namespace

void NodeMetrics::publish(const std::string& ns, const std::string& network, int ordinal,
                          const NodeObservation& observation, const std::optional<NodeDetail>& detail) {
  auto labels = node_labels(ns, network, ordinal);
  {
    std::lock_guard lock(mutex_);
    published_[{ns, network}].insert(ordinal);
  }
  registry_.gauge("bitcoin_node_blocks", "Height of the node's active chain (getblockchaininfo blocks).", labels)
      .set(static_cast<double>(observation.blocks));
  registry_.gauge("bitcoin_node_headers", "Height of the best header chain the node knows.", labels)
      .set(static_cast<double>(observation.headers));
  registry_
      .gauge("bitcoin_node_verification_progress",
             "The node's estimate of how much of the chain it has verified (0-1).", labels)
      .set(observation.verification_progress);
  if (!detail) return;
  auto direction = [&labels](const char* d) {
    auto with = labels;
    with["direction"] = d;
    return with;
  };
  const char* peers_help = "Connected peers by direction (getpeerinfo inbound), sampled at most every detail interval.";
  registry_.gauge("bitcoin_node_peers", peers_help, direction("in")).set(detail->peers_in);
  registry_.gauge("bitcoin_node_peers", peers_help, direction("out")).set(detail->peers_out);
  registry_
      .gauge("bitcoin_node_mempool_transactions", "Transactions in the node's mempool (getmempoolinfo size).", labels)
      .set(static_cast<double>(detail->mempool_transactions));
  registry_
      .gauge("bitcoin_node_mempool_bytes", "Size of the node's mempool transactions (getmempoolinfo bytes).", labels)
      .set(static_cast<double>(detail->mempool_bytes));
  registry_
      .gauge("bitcoin_node_chain_tips", "Chain tips the node knows, the active one included (getchaintips).", labels)
      .set(detail->chain_tips);
}

void NodeMetrics::retain_nodes(const std::string& ns, const std::string& network, const std::set<int>& ordinals) {
  std::set<int> gone;
  {
    std::lock_guard lock(mutex_);
    auto it = published_.find({ns, network});
    if (it == published_.end()) return;
    for (int ordinal : it->second) {
      if (!ordinals.contains(ordinal)) gone.insert(ordinal);
    }
    for (int ordinal : gone) it->second.erase(ordinal);
  }
  for (int ordinal : gone) registry_.remove_series(node_labels(ns, network, ordinal));
}

void NodeMetrics::observe_arrival(const std::string& ns, const std::string& network, double seconds) {
  registry_
      .histogram("bitcoin_network_block_arrival_delay_seconds",
                 "Time from the controller first seeing a node of the network at a tip to seeing another node at "
                 "it; as coarse as the time between the controller's looks.",
                 {{"namespace", ns}, {"network", network}}, block_arrival_buckets())
      .observe(seconds);
}

void NodeMetrics::forget_network(const std::string& ns, const std::string& network) {
  {
    std::lock_guard lock(mutex_);
    published_.erase({ns, network});
  }
  registry_.remove_series({{"namespace", ns}, {"network", network}});
}

}  // namespace kb::controller
