#pragma once
// Waiting until something in the cluster reaches a state, by polling (client-go's
// wait.PollUntilContextTimeout, kube-rs's wait::await_condition without the watch).
//
//   auto r = kube::wait_until<State>(observe, is_done, {.timeout = 2min, .interval = 1s, .stop = token},
//                                    on_progress);
//   switch (r.outcome) { case WaitOutcome::met: ... case WaitOutcome::timed_out: use r.last ... }
//
//   auto crd = kube::wait_for_object(client, refs::custom_resource_definitions(name),
//                                    [](const std::optional<json::value>& o) { return o && ...; }, options);
//
// The first observation is made at once; the last one is made at the deadline, so a state reached
// just in time counts. An exception from `observe` ends the wait and reaches the caller unchanged:
// whether an API error is fatal is the caller's decision. Polling rather than watching keeps the
// helper small; every wait here is seconds to minutes on a handful of objects.
#include "pkg/kube/client.hpp"

#include <boost/json/value.hpp>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>
#include <stop_token>
#include <string_view>

namespace kb::kube {

// Time as the wait sees it; tests pass a fake that advances on sleep.
class WaitClock {
 public:
  using Clock = std::chrono::steady_clock;
  virtual ~WaitClock() = default;
  virtual Clock::time_point now() const = 0;
  // Returns false when stop was requested before the duration passed.
  virtual bool sleep_for(Clock::duration duration, std::stop_token stop) = 0;
};

// std::chrono::steady_clock and a sleep that a stop request interrupts. Stateless.
WaitClock& steady_wait_clock();

struct WaitOptions {
  std::chrono::steady_clock::duration timeout = std::chrono::minutes(5);
  std::chrono::steady_clock::duration interval = std::chrono::milliseconds(500);
  std::stop_token stop;
  WaitClock* clock = nullptr;  // nullptr: steady_wait_clock()
};

enum class WaitOutcome { met, timed_out, stopped };
std::string_view to_string(WaitOutcome outcome);

template <class State>
struct WaitResult {
  WaitOutcome outcome = WaitOutcome::timed_out;
  std::optional<State> last;  // the last observation (the one that met the condition, when met)
  int polls = 0;
  explicit operator bool() const { return outcome == WaitOutcome::met; }
};

template <class State>
using WaitProgress = std::function<void(const State& state)>;

template <class State>
WaitResult<State> wait_until(const std::function<State()>& observe, const std::function<bool(const State&)>& is_done,
                             const WaitOptions& options, const WaitProgress<State>& progress = {}) {
  WaitClock& clock = options.clock ? *options.clock : steady_wait_clock();
  const auto deadline = clock.now() + options.timeout;
  WaitResult<State> result;
  for (;;) {
    if (options.stop.stop_requested()) {
      result.outcome = WaitOutcome::stopped;
      return result;
    }
    result.last = observe();
    ++result.polls;
    if (is_done(*result.last)) {
      result.outcome = WaitOutcome::met;
      return result;
    }
    if (progress) progress(*result.last);
    const auto now = clock.now();
    if (now >= deadline) {
      result.outcome = WaitOutcome::timed_out;
      return result;
    }
    if (!clock.sleep_for(std::min<WaitClock::Clock::duration>(options.interval, deadline - now), options.stop)) {
      result.outcome = WaitOutcome::stopped;
      return result;
    }
  }
}

// One object by reference; the state is the object, or nullopt while it does not exist.
using ObjectState = std::optional<boost::json::value>;
WaitResult<ObjectState> wait_for_object(const Client& client, const ResourceRef& ref,
                                        const std::function<bool(const ObjectState&)>& is_done,
                                        const WaitOptions& options, const WaitProgress<ObjectState>& progress = {});

}  // namespace kb::kube
