#pragma once
// Caps on the gateway's calls in flight: in total (so the worker pool never queues) and per
// network (so one network's slow node or busy script cannot take every worker from the others).
// A call over a cap is refused at once (429) rather than queued: a queue would only move the wait
// to where no deadline covers it. Thread-safe.
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace kb::bitcoin {

class CallAdmission {
 public:
  struct Limits {
    std::size_t total = 16;
    std::size_t per_network = 4;
  };

  // Holds one admitted call's place; the place is given back when the last copy goes.
  class Ticket {
   public:
    struct Place;
    explicit Ticket(std::shared_ptr<Place> place) : place_(std::move(place)) {}

   private:
    std::shared_ptr<Place> place_;
  };

  enum class Refusal { total, per_network };

  explicit CallAdmission(Limits limits);
  // A ticket, or why not (total or per-network cap reached).
  std::optional<Ticket> try_admit(const std::string& network, Refusal* why = nullptr);
  std::size_t in_flight() const;
  std::size_t in_flight(const std::string& network) const;
  const Limits& limits() const { return limits_; }

 private:
  struct Counts;
  Limits limits_;
  std::shared_ptr<Counts> counts_;  // shared with the tickets, which may outlive this object
};

}  // namespace kb::bitcoin
