#include "pkg/bitcoin/worker_pool.hpp"

#include <exception>

namespace kb::bitcoin {

WorkerPool::WorkerPool(std::size_t threads, std::size_t max_queued, ErrorSink on_task_error)
    : max_queued_(max_queued), on_task_error_(std::move(on_task_error)) {
  for (std::size_t i = 0; i < std::max<std::size_t>(1, threads); ++i) {
    threads_.emplace_back([this](std::stop_token stop) { run(stop); });
  }
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::try_submit(std::function<void()> task) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || queue_.size() >= max_queued_) return false;
    queue_.push_back(std::move(task));
  }
  wake_.notify_one();
  return true;
}

void WorkerPool::stop() {
  std::deque<std::function<void()>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queue_);
  }
  for (auto& thread : threads_) thread.request_stop();
  wake_.notify_all();
  for (auto& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  // Destroyed outside the lock: a task's captures may do work when they go (answer "stopping").
  dropped.clear();
}

void WorkerPool::report(const std::string& error) noexcept {
  try {
    if (on_task_error_) on_task_error_(error);
  } catch (...) {
    // Reporting must not end the worker either.
  }
}

void WorkerPool::run(std::stop_token stop) {
  for (;;) {
    std::function<void()> task;
    {
      std::unique_lock lock(mutex_);
      if (!wake_.wait(lock, stop, [this] { return !queue_.empty(); })) return;
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    try {
      task();
    } catch (const std::exception& error) {
      report(error.what());
    } catch (...) {
      report("unknown exception");
    }
  }
}

}  // namespace kb::bitcoin
