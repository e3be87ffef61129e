#include "pkg/controller/counted_rpc.hpp"

namespace kb::controller {

void CountedRpcCaller::count(std::string_view method) {
  metrics_
      .counter(kNodeRpcCallsMetric, "JSON-RPC calls the controller made to nodes, by method (answered or not).",
               {{"method", std::string(method)}})
      .inc();
}

boost::json::value CountedRpcCaller::call(std::string_view method, boost::json::array params) {
  count(method);
  return inner_->call(method, std::move(params));
}

std::vector<bitcoin::BatchItem> CountedRpcCaller::call_batch(const std::vector<bitcoin::RpcRequest>& requests) {
  for (const auto& request : requests) count(request.method);
  return inner_->call_batch(requests);
}

}  // namespace kb::controller
