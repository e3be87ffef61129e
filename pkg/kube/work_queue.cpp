#include "pkg/kube/work_queue.hpp"

#include <algorithm>

namespace kb::kube {

WorkQueue::WorkQueue(WorkQueueOptions options)
    : options_(std::move(options)),
      item_backoff_(options_.base_delay, options_.max_delay),
      bucket_(options_.qps, options_.burst) {}

void WorkQueue::push_locked(const std::string& key) {
  (dirty_high_.contains(key) ? urgent_ : queue_).push_back(key);
  cv_.notify_one();
}

void WorkQueue::add_locked(const std::string& key, Clock::time_point now, Priority priority) {
  if (shutting_down_) return;
  const bool processing = processing_.contains(key);
  if (dirty_.contains(key)) {
    // Waiting already: at most move it up (once; its place among the High keys is now).
    if (priority != Priority::High || dirty_high_.contains(key)) return;
    dirty_high_.insert(key);
    if (processing) return;
    if (auto it = std::find(queue_.begin(), queue_.end(), key); it != queue_.end()) queue_.erase(it);
    push_locked(key);
    return;
  }
  dirty_.insert(key);
  if (priority == Priority::High) dirty_high_.insert(key);
  ++counters_.adds;
  queued_at_[key] = now;
  // A key being processed is queued again only when its worker calls done().
  if (processing) return;
  push_locked(key);
}

void WorkQueue::add(const std::string& key, Priority priority) {
  std::lock_guard lock(mutex_);
  add_locked(key, Clock::now(), priority);
}

void WorkQueue::add_after(const std::string& key, Clock::duration delay) {
  if (delay <= Clock::duration::zero()) return add(key);
  std::lock_guard lock(mutex_);
  if (shutting_down_) return;
  auto due = Clock::now() + delay;
  auto existing = delayed_until_.find(key);
  if (existing != delayed_until_.end()) {
    if (existing->second <= due) return;  // already due sooner
    auto range = delayed_.equal_range(existing->second);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second == key) {
        delayed_.erase(it);
        break;
      }
    }
  }
  delayed_.emplace(due, key);
  delayed_until_[key] = due;
  // Waiting workers may be sleeping until a later due time.
  cv_.notify_all();
}

void WorkQueue::add_rate_limited(const std::string& key) {
  auto item_delay = std::chrono::duration_cast<Clock::duration>(item_backoff_.when(key));
  auto bucket_delay = bucket_.reserve();
  {
    std::lock_guard lock(mutex_);
    ++counters_.retries;
  }
  add_after(key, std::max(item_delay, bucket_delay));
}

void WorkQueue::forget(const std::string& key) { item_backoff_.forget(key); }

int WorkQueue::num_requeues(const std::string& key) const { return item_backoff_.failures(key); }

void WorkQueue::promote_due_locked(Clock::time_point now) {
  while (!delayed_.empty() && delayed_.begin()->first <= now) {
    std::string key = delayed_.begin()->second;
    delayed_.erase(delayed_.begin());
    delayed_until_.erase(key);
    add_locked(key, now, Priority::Normal);
  }
}

std::optional<std::string> WorkQueue::get() {
  std::unique_lock lock(mutex_);
  for (;;) {
    if (shutting_down_) return std::nullopt;
    auto now = Clock::now();
    promote_due_locked(now);
    if (!urgent_.empty() || !queue_.empty()) {
      auto& from = urgent_.empty() ? queue_ : urgent_;
      std::string key = std::move(from.front());
      from.pop_front();
      dirty_.erase(key);
      dirty_high_.erase(key);
      processing_[key] = now;
      if (auto it = queued_at_.find(key); it != queued_at_.end()) {
        counters_.queue_latency_seconds_sum += std::chrono::duration<double>(now - it->second).count();
        ++counters_.queue_latency_count;
        queued_at_.erase(it);
      }
      return key;
    }
    if (delayed_.empty()) {
      cv_.wait(lock);
    } else {
      // A copy: wait_until reads its deadline again after waking, and meanwhile add_after or
      // another worker may have erased the entry it would otherwise refer to.
      const Clock::time_point due = delayed_.begin()->first;
      cv_.wait_until(lock, due);
    }
  }
}

void WorkQueue::done(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = processing_.find(key);
  if (it == processing_.end()) return;
  counters_.work_duration_seconds_sum += std::chrono::duration<double>(Clock::now() - it->second).count();
  ++counters_.work_duration_count;
  processing_.erase(it);
  if (dirty_.contains(key) && !shutting_down_) push_locked(key);
}

void WorkQueue::shut_down() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
  urgent_.clear();
  queue_.clear();
  dirty_.clear();
  dirty_high_.clear();
  delayed_.clear();
  delayed_until_.clear();
  cv_.notify_all();
}

bool WorkQueue::shutting_down() const {
  std::lock_guard lock(mutex_);
  return shutting_down_;
}

std::size_t WorkQueue::len() const {
  std::lock_guard lock(mutex_);
  return urgent_.size() + queue_.size();
}

WorkQueueMetrics WorkQueue::metrics() const {
  std::lock_guard lock(mutex_);
  WorkQueueMetrics m = counters_;
  m.depth = urgent_.size() + queue_.size();
  m.delayed = delayed_.size();
  m.processing = processing_.size();
  auto now = Clock::now();
  for (auto& [key, started] : processing_)
    m.longest_running_seconds =
        std::max(m.longest_running_seconds, std::chrono::duration<double>(now - started).count());
  return m;
}

}  // namespace kb::kube
