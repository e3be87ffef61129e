#include "pkg/kube/rate_limiter.hpp"

#include <algorithm>
#include <condition_variable>
#include <thread>

namespace kb::kube {

TokenBucket::TokenBucket(double qps, int burst)
    : qps_(qps), burst_(std::max(burst, 1)), tokens_(double(std::max(burst, 1))), last_(Clock::now()) {}

TokenBucket::Clock::duration TokenBucket::reserve() {
  if (qps_ <= 0) return Clock::duration::zero();
  std::lock_guard lock(mutex_);
  auto now = Clock::now();
  double elapsed = std::chrono::duration<double>(now - last_).count();
  last_ = now;
  tokens_ = std::min(double(burst_), tokens_ + elapsed * qps_);
  // Tokens may go negative: each reservation queues behind the earlier ones.
  tokens_ -= 1.0;
  if (tokens_ >= 0) return Clock::duration::zero();
  return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

bool TokenBucket::wait(std::stop_token stop) {
  auto delay = reserve();
  if (delay <= Clock::duration::zero()) return !stop.stop_requested();
  return sleep_for(delay, stop);
}

ExponentialBackoff::ExponentialBackoff(std::chrono::milliseconds base, std::chrono::milliseconds max, double jitter)
    : base_(base), max_(max), jitter_(jitter), rng_(std::random_device{}()) {}

std::chrono::milliseconds ExponentialBackoff::next() {
  double delay = double(base_.count());
  for (int i = 0; i < attempts_ && delay < double(max_.count()); ++i) delay *= 2;
  delay = std::min(delay, double(max_.count()));
  ++attempts_;
  if (jitter_ > 0) {
    std::uniform_real_distribution<double> dist(1.0 - jitter_, 1.0 + jitter_);
    delay *= dist(rng_);
  }
  return std::chrono::milliseconds(static_cast<long long>(delay));
}

void ExponentialBackoff::reset() { attempts_ = 0; }

ItemBackoff::ItemBackoff(std::chrono::milliseconds base, std::chrono::milliseconds max) : base_(base), max_(max) {}

std::chrono::milliseconds ItemBackoff::when(const std::string& key) {
  std::lock_guard lock(mutex_);
  int n = failures_[key]++;
  double delay = double(base_.count());
  for (int i = 0; i < n && delay < double(max_.count()); ++i) delay *= 2;
  return std::chrono::milliseconds(static_cast<long long>(std::min(delay, double(max_.count()))));
}

void ItemBackoff::forget(const std::string& key) {
  std::lock_guard lock(mutex_);
  failures_.erase(key);
}

int ItemBackoff::failures(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = failures_.find(key);
  return it == failures_.end() ? 0 : it->second;
}

bool sleep_for(std::chrono::steady_clock::duration duration, std::stop_token stop) {
  if (!stop.stop_possible()) {
    std::this_thread::sleep_for(duration);
    return true;
  }
  std::mutex m;
  std::condition_variable_any cv;
  std::unique_lock lock(m);
  return !cv.wait_for(lock, stop, duration, [] { return false; }) && !stop.stop_requested();
}

}  // namespace kb::kube
