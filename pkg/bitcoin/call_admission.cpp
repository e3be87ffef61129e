#include "pkg/bitcoin/call_admission.hpp"

#include <utility>

namespace kb::bitcoin {

struct CallAdmission::Counts {
  std::mutex mutex;
  std::size_t total = 0;
  std::map<std::string, std::size_t> per_network;
};

// One admitted call's place in the counts, given back when the last copy of its ticket goes. Not
// copyable: each place is counted once and given back once.
struct CallAdmission::Ticket::Place {
  Place(std::shared_ptr<Counts> counts_in, std::string network_in)
      : counts(std::move(counts_in)), network(std::move(network_in)) {}
  Place(const Place&) = delete;
  Place& operator=(const Place&) = delete;
  std::shared_ptr<Counts> counts;
  std::string network;
  ~Place() {
    std::lock_guard lock(counts->mutex);
    counts->total -= 1;
    auto it = counts->per_network.find(network);
    if (--it->second == 0) counts->per_network.erase(it);
  }
};

CallAdmission::CallAdmission(Limits limits) : limits_(limits), counts_(std::make_shared<Counts>()) {}

std::optional<CallAdmission::Ticket> CallAdmission::try_admit(const std::string& network, Refusal* why) {
  std::lock_guard lock(counts_->mutex);
  if (counts_->total >= limits_.total) {
    if (why) *why = Refusal::total;
    return std::nullopt;
  }
  auto it = counts_->per_network.find(network);
  if (it != counts_->per_network.end() && it->second >= limits_.per_network) {
    if (why) *why = Refusal::per_network;
    return std::nullopt;
  }
  counts_->total += 1;
  counts_->per_network[network] += 1;
  return Ticket(std::make_shared<Ticket::Place>(counts_, network));
}

std::size_t CallAdmission::in_flight() const {
  std::lock_guard lock(counts_->mutex);
  return counts_->total;
}

std::size_t CallAdmission::in_flight(const std::string& network) const {
  std::lock_guard lock(counts_->mutex);
  auto it = counts_->per_network.find(network);
  return it == counts_->per_network.end() ? 0 : it->second;
}

}  // namespace kb::bitcoin
