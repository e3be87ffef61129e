#pragma once
// Rate limiting and back-off primitives shared by the client and the work queue.
//
//   TokenBucket(qps, burst)   reserve() -> how long to wait before acting (the token is taken);
//                             wait(stop) sleeps that long. qps <= 0 disables limiting.
//   ExponentialBackoff        base * 2^n capped at max, optionally jittered (watch reconnects).
//   ItemBackoff               per-key exponential back-off with forget (the work queue's per-item limiter).
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <stop_token>
#include <string>

namespace kb::kube {

class TokenBucket {
 public:
  using Clock = std::chrono::steady_clock;
  TokenBucket(double qps, int burst);

  // Takes one token, now or in the future; returns how long the caller must wait before it is valid.
  Clock::duration reserve();
  // reserve() then sleep; returns false when stop was requested during the wait.
  bool wait(std::stop_token stop = {});
  double qps() const { return qps_; }
  int burst() const { return burst_; }

 private:
  std::mutex mutex_;
  double qps_;
  int burst_;
  double tokens_;
  Clock::time_point last_;
};

class ExponentialBackoff {
 public:
  ExponentialBackoff(std::chrono::milliseconds base, std::chrono::milliseconds max, double jitter = 0.0);
  std::chrono::milliseconds next();  // base, 2*base, ... (each with +-jitter fraction), capped
  void reset();
  int attempts() const { return attempts_; }

 private:
  std::chrono::milliseconds base_, max_;
  double jitter_;
  int attempts_ = 0;
  std::minstd_rand rng_;
};

class ItemBackoff {
 public:
  ItemBackoff(std::chrono::milliseconds base, std::chrono::milliseconds max);
  std::chrono::milliseconds when(const std::string& key);  // base * 2^failures, capped; counts a failure
  void forget(const std::string& key);
  int failures(const std::string& key) const;

 private:
  mutable std::mutex mutex_;
  std::chrono::milliseconds base_, max_;
  std::map<std::string, int> failures_;
};

// Sleeps for `duration` unless stop is requested first; returns false when stopped.
bool sleep_for(std::chrono::steady_clock::duration duration, std::stop_token stop);

}  // namespace kb::kube
