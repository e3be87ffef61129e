#include "pkg/bitcoin/call_when_ready.hpp"

#include <algorithm>
#include <thread>

namespace kb::bitcoin {

namespace {
bool is_warming_up(const RpcFailure& failure, const WarmupPolicy& policy) {
  if (const auto* rpc = dynamic_cast<const RpcError*>(&failure)) return rpc->code() == rpc_code::kInWarmup;
  if (const auto* transport = dynamic_cast<const RpcTransportError*>(&failure)) {
    return policy.retry_connection_refused && transport->kind() == RpcTransportError::Kind::connect_refused;
  }
  return false;
}
}  // namespace

boost::json::value call_when_ready(RpcCaller& node, std::string_view method, boost::json::array params,
                                   const WarmupPolicy& policy) {
  using Clock = std::chrono::steady_clock;
  const auto started = Clock::now();
  // Time passes by the clock and by what was slept, whichever says more, so that a fake sleep
  // (tests) still reaches the deadline.
  std::chrono::milliseconds slept{0};
  auto backoff = policy.first_backoff;
  for (;;) {
    try {
      return node.call(method, params);
    } catch (const RpcFailure& failure) {
      if (!is_warming_up(failure, policy)) throw;
      auto elapsed = std::max(slept, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
      auto left = policy.timeout - elapsed;
      if (left <= std::chrono::milliseconds::zero()) throw;
      auto wait = std::min(backoff, left);
      if (policy.sleep) {
        policy.sleep(wait);
      } else {
        std::this_thread::sleep_for(wait);
      }
      slept += wait;
      backoff = std::min(backoff * 2, policy.max_backoff);
    }
  }
}

}  // namespace kb::bitcoin
