#pragma once
// The controller's calls to nodes, counted by method on /metrics
// (kubectl_bitcoin_node_rpc_calls_total{method}): what the reconciles cost the nodes, and the
// proof that a scrape of /metrics costs them nothing. The methods are the controller's own, a
// fixed set, so the label stays bounded.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/observe/metrics.hpp"

#include <memory>

namespace kb::controller {

inline constexpr const char* kNodeRpcCallsMetric = "kubectl_bitcoin_node_rpc_calls_total";

class CountedRpcCaller : public bitcoin::RpcCaller {
 public:
  CountedRpcCaller(std::unique_ptr<bitcoin::RpcCaller> inner, observe::MetricsRegistry& metrics)
      : inner_(std::move(inner)), metrics_(metrics) {}
  boost::json::value call(std::string_view method, boost::json::array params = {}) override;
  std::vector<bitcoin::BatchItem> call_batch(const std::vector<bitcoin::RpcRequest>& requests) override;

 private:
  void count(std::string_view method);
  std::unique_ptr<bitcoin::RpcCaller> inner_;
  observe::MetricsRegistry& metrics_;
};

}  // namespace kb::controller
