#pragma once
// WorkQueue: client-go's rate-limited work queue for string keys.
//
//   queue.add(key)              dedup: a key waiting once is queued once
//   queue.add(key, Priority::High)  served before every Normal key (a Normal key waiting is moved up)
//   queue.add_after(key, d)     delayed add (requeue after the resync period)
//   queue.add_rate_limited(key) after max(per-item back-off 5 ms*2^n..1000 s, overall token bucket)
//   auto key = queue.get();     blocks; nullopt after shut_down(). A key being processed is never
//                               handed to a second worker; re-adds while processing are queued on done().
//   queue.done(key);  queue.forget(key) (on success: resets the key's back-off)
//   queue.metrics()             depth, adds, retries, latency and work duration totals
#include "pkg/kube/rate_limiter.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace kb::kube {

// Whose turn comes first. High is for changes users make to the primary object (created, spec
// changed, deleted): with many keys waiting on slow routine work (events of owned objects, polls
// of nodes that do not answer), a new network still gets its objects at once. Within a priority,
// first in first out.
enum class Priority { Normal, High };

struct WorkQueueOptions {
  std::string name;
  std::chrono::milliseconds base_delay{5};
  std::chrono::milliseconds max_delay{std::chrono::seconds(1000)};
  double qps = 10;  // overall bucket (client-go's default controller rate limiter: 10 qps, burst 100)
  int burst = 100;
};

struct WorkQueueMetrics {
  std::size_t depth = 0;    // keys waiting (not counting delayed ones)
  std::size_t delayed = 0;  // keys waiting for their delay
  std::size_t processing = 0;
  std::uint64_t adds = 0;                // add() calls that queued a key
  std::uint64_t retries = 0;             // add_rate_limited() calls
  double queue_latency_seconds_sum = 0;  // time from queued to get()
  std::uint64_t queue_latency_count = 0;
  double work_duration_seconds_sum = 0;  // time from get() to done()
  std::uint64_t work_duration_count = 0;
  double longest_running_seconds = 0;  // the oldest key currently processing
};

class WorkQueue {
 public:
  using Clock = std::chrono::steady_clock;
  explicit WorkQueue(WorkQueueOptions options = {});

  void add(const std::string& key, Priority priority = Priority::Normal);
  void add_after(const std::string& key, Clock::duration delay);
  void add_rate_limited(const std::string& key);
  void forget(const std::string& key);
  int num_requeues(const std::string& key) const;

  std::optional<std::string> get();
  void done(const std::string& key);

  void shut_down();  // wakes every get(); queued keys are dropped
  bool shutting_down() const;
  std::size_t len() const;
  WorkQueueMetrics metrics() const;
  const std::string& name() const { return options_.name; }

 private:
  void add_locked(const std::string& key, Clock::time_point now, Priority priority);
  void push_locked(const std::string& key);
  void promote_due_locked(Clock::time_point now);

  WorkQueueOptions options_;
  ItemBackoff item_backoff_;
  TokenBucket bucket_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::string> urgent_;                       // High keys, served first
  std::deque<std::string> queue_;                        // Normal keys
  std::set<std::string> dirty_;                          // queued or to be re-queued
  std::set<std::string> dirty_high_;                     // the subset of dirty_ added with Priority::High
  std::map<std::string, Clock::time_point> processing_;  // key -> start time
  std::map<std::string, Clock::time_point> queued_at_;
  std::multimap<Clock::time_point, std::string> delayed_;
  std::map<std::string, Clock::time_point> delayed_until_;  // earliest due time per delayed key
  bool shutting_down_ = false;
  WorkQueueMetrics counters_;
};

}  // namespace kb::kube
