#pragma once
// Slows down guessing of a network's RPC credentials through the gateway. Through services/proxy
// every caller's address is the API server's, so failures are counted per network: after a few
// wrong proofs in a row the network's callers are refused (429, before any lookup) for a time
// that doubles with each further failure, up to a maximum; a right proof resets the count.
// The price is that a guesser can hold a network's legitimate callers off for that maximum.
// Thread-safe; time is passed in, so tests need no clock.
#include <chrono>
#include <cstddef>
#include <map>
#include <mutex>
#include <string>

namespace kb::bitcoin {

class CredentialThrottle {
 public:
  using Clock = std::chrono::steady_clock;
  struct Settings {
    int free_failures = 5;  // wrong proofs in a row before callers are held off
    std::chrono::milliseconds first_block{1'000};
    std::chrono::milliseconds max_block{30'000};
    std::size_t max_networks = 10'000;  // bounds memory; the oldest quiet entries go first
  };

  CredentialThrottle() : CredentialThrottle(Settings{}) {}
  explicit CredentialThrottle(Settings settings) : settings_(settings) {}

  // How long the network's callers must still wait; zero when their proof may be checked.
  std::chrono::milliseconds blocked_for(const std::string& network, Clock::time_point now) const;
  void failed(const std::string& network, Clock::time_point now);
  void succeeded(const std::string& network);

 private:
  struct Entry {
    int failures = 0;
    Clock::time_point blocked_until{};
    Clock::time_point last_failure{};
  };
  Settings settings_;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace kb::bitcoin
