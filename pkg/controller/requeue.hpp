#pragma once
// What a reconcile asks of the work queue once it succeeded (kube-rs's `Action`): look again after
// a delay, or only when something the controller watches changes. A failed reconcile throws
// instead, and the queue backs off.
#include <chrono>
#include <optional>

namespace kb::controller {

class Requeue {
 public:
  static Requeue after(std::chrono::milliseconds delay) { return Requeue(delay); }
  static Requeue await_change() { return Requeue(std::nullopt); }

  bool awaits_change() const { return !delay_.has_value(); }
  // When to look again; only for a Requeue that does not await a change.
  std::chrono::milliseconds delay() const { return delay_.value_or(std::chrono::milliseconds::zero()); }

  friend bool operator==(const Requeue&, const Requeue&) = default;

 private:
  explicit Requeue(std::optional<std::chrono::milliseconds> delay) : delay_(delay) {}
  std::optional<std::chrono::milliseconds> delay_;
};

}  // namespace kb::controller
