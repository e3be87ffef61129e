#include "pkg/kube/work_queue.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <optional>
#include <set>
#include <thread>

using namespace kb::kube;
using namespace std::chrono_literals;

TEST_CASE("a key queued twice is handed out once") {
  WorkQueue queue;
  queue.add("a");
  queue.add("a");
  queue.add("b");
  CHECK(queue.len() == 2);
  CHECK(queue.get() == "a");
  CHECK(queue.get() == "b");
  CHECK(queue.len() == 0);
  CHECK(queue.metrics().adds == 2);
}

TEST_CASE("a key re-added while processing waits for done()") {
  WorkQueue queue;
  queue.add("a");
  auto key = queue.get();
  REQUIRE(key == "a");
  queue.add("a");
  CHECK(queue.len() == 0);  // not handed to a second worker
  queue.done("a");
  CHECK(queue.len() == 1);
  CHECK(queue.get() == "a");
  queue.done("a");
  CHECK(queue.metrics().processing == 0);
}

TEST_CASE("add_after delays, keeps the earliest due time, and wakes a waiting worker") {
  WorkQueue queue;
  auto start = std::chrono::steady_clock::now();
  queue.add_after("late", 300ms);
  queue.add_after("soon", 50ms);
  queue.add_after("soon", 2s);  // later than the pending one: ignored
  CHECK(queue.metrics().delayed == 2);
  CHECK(queue.get() == "soon");
  auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(elapsed >= 50ms);
  CHECK(elapsed < 250ms);
  CHECK(queue.get() == "late");
  CHECK(std::chrono::steady_clock::now() - start >= 300ms);
}

// A worker sleeps until the earliest due time while another thread moves that key sooner, which
// replaces the entry the due time was read from. The sleeping worker must not refer to the old
// entry when it wakes (the controller under ASan found a heap-use-after-free there).
TEST_CASE("a waiting worker wakes for a key moved sooner, and the entry it slept on may go") {
  WorkQueue queue;
  queue.add_after("k", 10s);
  std::optional<std::string> got;
  std::thread worker([&] { got = queue.get(); });
  std::this_thread::sleep_for(100ms);  // the worker is waiting until the 10 s due time
  auto moved = std::chrono::steady_clock::now();
  queue.add_after("k", 20ms);
  worker.join();
  CHECK(got == "k");
  CHECK(std::chrono::steady_clock::now() - moved < 5s);
}

TEST_CASE("per-item back-off doubles from 5 ms and forget resets it") {
  WorkQueueOptions options;
  options.qps = 0;  // only the per-item limiter
  WorkQueue queue(options);
  ItemBackoff backoff(5ms, 1000s);
  CHECK(backoff.when("k") == 5ms);
  CHECK(backoff.when("k") == 10ms);
  CHECK(backoff.when("k") == 20ms);
  CHECK(backoff.failures("k") == 3);
  for (int i = 0; i < 40; ++i) backoff.when("k");
  CHECK(backoff.when("k") == std::chrono::milliseconds(1000s));
  backoff.forget("k");
  CHECK(backoff.when("k") == 5ms);

  queue.add_rate_limited("x");
  queue.add_rate_limited("x");
  CHECK(queue.num_requeues("x") == 2);
  CHECK(queue.metrics().retries == 2);
  CHECK(queue.get() == "x");
  queue.forget("x");
  CHECK(queue.num_requeues("x") == 0);
}

TEST_CASE("the overall token bucket limits a flood of retries") {
  WorkQueueOptions options;
  options.qps = 100;
  options.burst = 5;
  WorkQueue queue(options);
  for (int i = 0; i < 15; ++i) queue.add_rate_limited("k" + std::to_string(i));
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 15; ++i) {
    auto key = queue.get();
    REQUIRE(key);
    queue.done(*key);
  }
  // 5 at once, 10 more at 100/s: at least ~100 ms.
  CHECK(std::chrono::steady_clock::now() - start >= 80ms);
}

TEST_CASE("shut_down wakes every worker") {
  WorkQueue queue;
  std::atomic<int> finished{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 3; ++i)
    workers.emplace_back([&] {
      while (auto key = queue.get()) queue.done(*key);
      ++finished;
    });
  queue.add("a");
  std::this_thread::sleep_for(20ms);
  queue.shut_down();
  for (auto& t : workers) t.join();
  CHECK(finished == 3);
  CHECK(queue.shutting_down());
  queue.add("b");
  CHECK(queue.len() == 0);
}

TEST_CASE("many workers never process the same key at the same time") {
  WorkQueue queue;
  std::mutex mutex;
  std::set<std::string> in_progress;
  std::atomic<bool> overlap{false};
  std::atomic<int> processed{0};
  std::vector<std::thread> workers;
  for (int i = 0; i < 4; ++i) {
    workers.emplace_back([&] {
      while (auto key = queue.get()) {
        {
          std::lock_guard lock(mutex);
          if (!in_progress.insert(*key).second) overlap = true;
        }
        std::this_thread::sleep_for(100us);
        {
          std::lock_guard lock(mutex);
          in_progress.erase(*key);
        }
        ++processed;
        queue.done(*key);
      }
    });
  }
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p)
    producers.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) queue.add("key" + std::to_string(i % 10));
    });
  for (auto& t : producers) t.join();
  while (queue.len() > 0 || queue.metrics().processing > 0) std::this_thread::sleep_for(1ms);
  queue.shut_down();
  for (auto& t : workers) t.join();
  CHECK_FALSE(overlap);
  CHECK(processed > 0);
  auto m = queue.metrics();
  CHECK(m.work_duration_count == std::uint64_t(processed.load()));
  CHECK(m.queue_latency_count == std::uint64_t(processed.load()));
}

TEST_CASE("High keys are served before Normal ones, first in first out within each") {
  WorkQueue queue;
  queue.add("poll-1");
  queue.add("poll-2");
  queue.add("new-1", Priority::High);
  queue.add("new-2", Priority::High);
  CHECK(queue.len() == 4);
  CHECK(queue.get() == "new-1");
  CHECK(queue.get() == "new-2");
  CHECK(queue.get() == "poll-1");
  CHECK(queue.get() == "poll-2");
}

TEST_CASE("a waiting Normal key added again as High moves up, and is still queued once") {
  WorkQueue queue;
  queue.add("a");
  queue.add("b");
  queue.add("b", Priority::High);
  queue.add("b", Priority::High);
  queue.add("b");  // Normal again does not move it back
  CHECK(queue.len() == 2);
  CHECK(queue.metrics().adds == 2);
  CHECK(queue.get() == "b");
  CHECK(queue.get() == "a");
  CHECK(queue.len() == 0);
}

TEST_CASE("a key re-added as High while processing is served first after done()") {
  WorkQueue queue;
  queue.add("busy");
  REQUIRE(queue.get() == "busy");
  queue.add("other");
  queue.add("busy", Priority::High);
  CHECK(queue.len() == 1);  // not handed to a second worker meanwhile
  queue.done("busy");
  CHECK(queue.get() == "busy");
  CHECK(queue.get() == "other");
}

TEST_CASE("a High key served once goes back to Normal when added plainly later") {
  WorkQueue queue;
  queue.add("k", Priority::High);
  REQUIRE(queue.get() == "k");
  queue.done("k");
  queue.add("first");
  queue.add("k");
  CHECK(queue.get() == "first");
  CHECK(queue.get() == "k");
}
