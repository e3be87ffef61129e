// The gateway's limits as plain objects: the credential throttle (time passed in, no clock),
// the concurrency caps, the worker pool.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>

#include "pkg/bitcoin/call_admission.hpp"
#include "pkg/bitcoin/credential_throttle.hpp"
#include "pkg/bitcoin/worker_pool.hpp"

using namespace kb::bitcoin;
using namespace std::chrono_literals;

TEST_CASE("wrong credentials: a few are free, then the network is held off for a doubling time; a right one resets") {
  CredentialThrottle throttle({.free_failures = 3, .first_block = 1000ms, .max_block = 4000ms});
  auto t0 = CredentialThrottle::Clock::time_point{} + 1h;
  for (int i = 0; i < 2; ++i) throttle.failed("a/net", t0);
  CHECK(throttle.blocked_for("a/net", t0) == 0ms);
  throttle.failed("a/net", t0);
  CHECK(throttle.blocked_for("a/net", t0) == 1000ms);
  CHECK(throttle.blocked_for("a/net", t0 + 400ms) == 600ms);
  CHECK(throttle.blocked_for("a/net", t0 + 1000ms) == 0ms);
  throttle.failed("a/net", t0 + 1000ms);
  CHECK(throttle.blocked_for("a/net", t0 + 1000ms) == 2000ms);
  throttle.failed("a/net", t0 + 3000ms);
  throttle.failed("a/net", t0 + 7000ms);
  CHECK(throttle.blocked_for("a/net", t0 + 7000ms) == 4000ms);  // capped
  CHECK(throttle.blocked_for("b/other", t0 + 7000ms) == 0ms);   // per network
  throttle.succeeded("a/net");
  CHECK(throttle.blocked_for("a/net", t0 + 7000ms) == 0ms);
}

TEST_CASE("call admission: a per-network cap and a total cap; tickets give their place back") {
  CallAdmission admission({.total = 3, .per_network = 2});
  auto a1 = admission.try_admit("a");
  auto a2 = admission.try_admit("a");
  CallAdmission::Refusal why{};
  CHECK_FALSE(admission.try_admit("a", &why).has_value());
  CHECK(why == CallAdmission::Refusal::per_network);
  auto b1 = admission.try_admit("b");
  REQUIRE(b1.has_value());
  CHECK_FALSE(admission.try_admit("c", &why).has_value());
  CHECK(why == CallAdmission::Refusal::total);
  CHECK(admission.in_flight() == 3);
  a1.reset();
  CHECK(admission.in_flight("a") == 1);
  CHECK(admission.try_admit("c").has_value());  // the temporary ticket goes at once
  CHECK(admission.in_flight() == 2);
}

TEST_CASE("worker pool: bounded queue, exceptions stay in their task, stop drops what is queued") {
  std::atomic<int> errors{0};
  WorkerPool pool(1, 1, [&](const std::string&) { ++errors; });
  std::promise<void> release;
  auto released = release.get_future().share();
  std::promise<void> started;
  CHECK(pool.try_submit([&, released] {
    started.set_value();
    released.wait();
  }));
  started.get_future().wait();
  CHECK(pool.try_submit([] { throw std::runtime_error("boom"); }));
  CHECK_FALSE(pool.try_submit([] {}));  // queue full
  release.set_value();
  for (int i = 0; i < 500 && errors == 0; ++i) std::this_thread::sleep_for(10ms);
  CHECK(errors == 1);
  std::atomic<bool> ran{false};
  CHECK(pool.try_submit([&] { ran = true; }));
  for (int i = 0; i < 500 && !ran; ++i) std::this_thread::sleep_for(10ms);
  CHECK(ran);
  pool.stop();
  CHECK_FALSE(pool.try_submit([] {}));
}
