#pragma once
// A freshly started bitcoind answers -28 ("Loading block index...", "Verifying blocks...")
// for seconds before it serves calls, and does not even listen for a moment before that.
// call_when_ready waits that out with exponential back-off, up to a deadline.
#include <chrono>
#include <functional>

#include "pkg/bitcoin/rpc_caller.hpp"

namespace kb::bitcoin {

struct WarmupPolicy {
  std::chrono::milliseconds timeout{60'000};  // total time before the last -28 is thrown
  std::chrono::milliseconds first_backoff{100};
  std::chrono::milliseconds max_backoff{2'000};
  // Also wait while the node refuses connections (it is starting, its RPC server not up yet).
  bool retry_connection_refused = false;
  // How to wait; tests pass a fake. Defaults to std::this_thread::sleep_for.
  std::function<void(std::chrono::milliseconds)> sleep;
};

// The result of `method` once the node is out of warm-up. Every other error is thrown at once;
// when the deadline passes, the last warm-up error (RpcError -28 or the refused connection)
// is thrown.
boost::json::value call_when_ready(RpcCaller& node, std::string_view method, boost::json::array params = {},
                                   const WarmupPolicy& policy = {});

}  // namespace kb::bitcoin
