#include "pkg/kube/wait.hpp"

#include "pkg/kube/rate_limiter.hpp"

namespace kb::kube {

namespace {
class SteadyWaitClock final : public WaitClock {
 public:
  Clock::time_point now() const override { return Clock::now(); }
  bool sleep_for(Clock::duration duration, std::stop_token stop) override { return kube::sleep_for(duration, stop); }
};
}  // namespace

WaitClock& steady_wait_clock() {
  static SteadyWaitClock clock;  // no state: safe to share between threads
  return clock;
}

std::string_view to_string(WaitOutcome outcome) {
  switch (outcome) {
    case WaitOutcome::met:
      return "met";
    case WaitOutcome::timed_out:
      return "timed out";
    case WaitOutcome::stopped:
      return "stopped";
  }
  return "";
}

WaitResult<ObjectState> wait_for_object(const Client& client, const ResourceRef& ref,
                                        const std::function<bool(const ObjectState&)>& is_done,
                                        const WaitOptions& options, const WaitProgress<ObjectState>& progress) {
  return wait_until<ObjectState>([&] { return client.get_if_exists(ref); }, is_done, options, progress);
}

}  // namespace kb::kube
