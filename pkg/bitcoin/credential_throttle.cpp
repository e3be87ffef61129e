#include "pkg/bitcoin/credential_throttle.hpp"

#include <algorithm>

namespace kb::bitcoin {

std::chrono::milliseconds CredentialThrottle::blocked_for(const std::string& network, Clock::time_point now) const {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(network);
  if (it == entries_.end() || it->second.blocked_until <= now) return std::chrono::milliseconds{0};
  // Rounded up, so that "retry after" never says 0 while callers are still held off.
  return std::chrono::ceil<std::chrono::milliseconds>(it->second.blocked_until - now);
}

void CredentialThrottle::failed(const std::string& network, Clock::time_point now) {
  std::lock_guard lock(mutex_);
  if (entries_.size() >= settings_.max_networks && entries_.count(network) == 0) {
    auto oldest = std::min_element(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
      return a.second.last_failure < b.second.last_failure;
    });
    entries_.erase(oldest);
  }
  Entry& entry = entries_[network];
  entry.failures += 1;
  entry.last_failure = now;
  int over = entry.failures - settings_.free_failures;
  if (over < 0) return;
  auto block = settings_.first_block;
  for (int i = 0; i < over && block < settings_.max_block; ++i) block *= 2;
  entry.blocked_until = now + std::min(block, settings_.max_block);
}

void CredentialThrottle::succeeded(const std::string& network) {
  std::lock_guard lock(mutex_);
  entries_.erase(network);
}

}  // namespace kb::bitcoin
