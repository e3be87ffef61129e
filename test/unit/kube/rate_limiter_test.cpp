#include "pkg/kube/rate_limiter.hpp"

#include <doctest/doctest.h>

using namespace kb::kube;
using namespace std::chrono_literals;

TEST_CASE("token bucket: burst at once, then qps") {
  TokenBucket bucket(50, 3);
  CHECK(bucket.reserve() == TokenBucket::Clock::duration::zero());
  CHECK(bucket.reserve() == TokenBucket::Clock::duration::zero());
  CHECK(bucket.reserve() == TokenBucket::Clock::duration::zero());
  auto wait = bucket.reserve();
  CHECK(wait > 10ms);
  CHECK(wait <= 21ms);
  auto next = bucket.reserve();  // queues behind the previous reservation
  CHECK(next > 30ms);
  TokenBucket unlimited(0, 1);
  for (int i = 0; i < 100; ++i) CHECK(unlimited.reserve() == TokenBucket::Clock::duration::zero());
}

TEST_CASE("token bucket wait is interrupted by a stop request") {
  TokenBucket bucket(0.1, 1);
  bucket.reserve();
  std::stop_source stop;
  stop.request_stop();
  CHECK_FALSE(bucket.wait(stop.get_token()));
}

TEST_CASE("exponential back-off doubles, caps and jitters") {
  ExponentialBackoff plain(100ms, 1000ms);
  CHECK(plain.next() == 100ms);
  CHECK(plain.next() == 200ms);
  CHECK(plain.next() == 400ms);
  CHECK(plain.next() == 800ms);
  CHECK(plain.next() == 1000ms);
  plain.reset();
  CHECK(plain.next() == 100ms);
  ExponentialBackoff jittered(1000ms, 30000ms, 0.5);
  for (int i = 0; i < 20; ++i) {
    auto d = jittered.next();
    CHECK(d >= 500ms);
    CHECK(d <= 45000ms);
  }
}
