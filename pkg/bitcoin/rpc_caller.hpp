#pragma once
// The one seam between "what to ask bitcoind" and "how to reach it": the typed helpers, the
// warm-up retry and the controller's peer sync take an RpcCaller, so tests hand them a fake.
#include <boost/json/array.hpp>
#include <boost/json/value.hpp>
#include <string_view>
#include <vector>

#include "pkg/bitcoin/rpc_protocol.hpp"

namespace kb::bitcoin {

class RpcCaller {
 public:
  virtual ~RpcCaller() = default;
  // The call's result; throws RpcError, RpcHttpError or RpcTransportError.
  virtual boost::json::value call(std::string_view method, boost::json::array params = {}) = 0;
  // One HTTP round trip for many calls; per-call errors are in the items, whole-batch
  // failures are thrown.
  virtual std::vector<BatchItem> call_batch(const std::vector<RpcRequest>& requests) = 0;
};

}  // namespace kb::bitcoin
