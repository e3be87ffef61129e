// kube::wait_until against a FAKE clock (FakeClock below: time advances only when the wait
// sleeps, so no test sleeps for real) and a FAKE getter (a lambda returning scripted states).
#include "pkg/kube/wait.hpp"

#include <doctest/doctest.h>

#include <stdexcept>
#include <thread>
#include <vector>

using namespace kb::kube;
using namespace std::chrono_literals;

namespace {

class FakeClock final : public WaitClock {
 public:
  Clock::time_point now() const override { return now_; }
  bool sleep_for(Clock::duration duration, std::stop_token stop) override {
    sleeps.push_back(duration);
    if (on_sleep) on_sleep();
    if (stop.stop_requested()) return false;
    now_ += duration;
    return true;
  }
  std::vector<Clock::duration> sleeps;
  std::function<void()> on_sleep;

 private:
  Clock::time_point now_{};  // the epoch of steady_clock: any start will do
};

}  // namespace

TEST_CASE("met: returns the observation that satisfied the condition, polling every interval") {
  FakeClock clock;
  int ready = 0;
  std::vector<int> progress;
  auto result =
      wait_until<int>([&] { return ready++; }, [](const int& n) { return n == 3; },
                      {.timeout = 10s, .interval = 1s, .clock = &clock}, [&](const int& n) { progress.push_back(n); });
  CHECK(result.outcome == WaitOutcome::met);
  CHECK(bool(result));
  REQUIRE(result.last.has_value());
  CHECK(*result.last == 3);
  CHECK(result.polls == 4);
  CHECK(progress == std::vector<int>{0, 1, 2});  // every observation that did not meet it
  CHECK(clock.sleeps == std::vector<WaitClock::Clock::duration>{1s, 1s, 1s});
}

TEST_CASE("timed out: the last state is kept and the final poll happens at the deadline") {
  FakeClock clock;
  auto result = wait_until<std::string>([] { return std::string("Pending"); },
                                        [](const std::string& s) { return s == "Running"; },
                                        {.timeout = 2500ms, .interval = 1s, .clock = &clock});
  CHECK(result.outcome == WaitOutcome::timed_out);
  CHECK_FALSE(bool(result));
  CHECK(result.last == "Pending");
  // 0 s, 1 s, 2 s, then a shortened sleep to poll once more exactly at 2.5 s.
  CHECK(clock.sleeps == std::vector<WaitClock::Clock::duration>{1s, 1s, 500ms});
  CHECK(result.polls == 4);
  CHECK(to_string(result.outcome) == "timed out");
}

TEST_CASE("a zero timeout still observes once") {
  FakeClock clock;
  auto result = wait_until<bool>([] { return false; }, [](const bool& b) { return b; },
                                 {.timeout = 0s, .interval = 1s, .clock = &clock});
  CHECK(result.outcome == WaitOutcome::timed_out);
  CHECK(result.polls == 1);
  CHECK(clock.sleeps.empty());
}

TEST_CASE("stopped: a stop request before or during the wait ends it without another poll") {
  FakeClock clock;
  std::stop_source source;
  int polls = 0;
  clock.on_sleep = [&] {
    if (polls == 2) source.request_stop();
  };
  auto result = wait_until<int>([&] { return ++polls; }, [](const int&) { return false; },
                                {.timeout = 1h, .interval = 1s, .stop = source.get_token(), .clock = &clock});
  CHECK(result.outcome == WaitOutcome::stopped);
  CHECK(polls == 2);
  CHECK(result.last == 2);

  std::stop_source already;
  already.request_stop();
  auto early = wait_until<int>([&] { return ++polls; }, [](const int&) { return true; },
                               {.timeout = 1h, .stop = already.get_token(), .clock = &clock});
  CHECK(early.outcome == WaitOutcome::stopped);
  CHECK_FALSE(early.last.has_value());
  CHECK(polls == 2);
}

TEST_CASE("an exception from the observer reaches the caller") {
  FakeClock clock;
  auto failing = []() -> int { throw std::runtime_error("403 Forbidden"); };
  CHECK_THROWS_WITH_AS(wait_until<int>(failing, [](const int&) { return true; }, {.clock = &clock}), "403 Forbidden",
                       std::runtime_error);
}

TEST_CASE("the steady clock: a stop request interrupts the sleep at once") {
  std::stop_source source;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(50ms);
    source.request_stop();
  });
  const auto started = std::chrono::steady_clock::now();
  auto result = wait_until<int>([] { return 0; }, [](const int&) { return false; },
                                {.timeout = 1h, .interval = 1h, .stop = source.get_token()});
  CHECK(result.outcome == WaitOutcome::stopped);
  CHECK(std::chrono::steady_clock::now() - started < 10s);
}
