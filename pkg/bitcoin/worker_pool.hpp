#pragma once
// A fixed set of threads for work that blocks (the gateway's lookups and node calls), kept apart
// from the HTTP server's I/O thread so that a slow node never stalls accepting or answering
// others. The queue is bounded: try_submit says no instead of growing. A task's exception is
// reported and ends only that task. stop() drops queued tasks, waits for running ones, joins.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace kb::bitcoin {

class WorkerPool {
 public:
  using ErrorSink = std::function<void(const std::string&)>;
  WorkerPool(std::size_t threads, std::size_t max_queued, ErrorSink on_task_error = {});
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool try_submit(std::function<void()> task);
  void stop();

 private:
  void run(std::stop_token stop);
  void report(const std::string& error) noexcept;

  std::size_t max_queued_;
  ErrorSink on_task_error_;
  std::mutex mutex_;
  std::condition_variable_any wake_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  std::vector<std::jthread> threads_;
};

}  // namespace kb::bitcoin
