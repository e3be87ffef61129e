#pragma once
// EventRecorder: posts Kubernetes Events about objects, like client-go's recorder.
// Uses events.k8s.io/v1 and falls back to core/v1 when that API is not served. A repeat of the same
// event (same object, type, reason, action, note) bumps the existing Event's count/series instead of
// creating a new object. Posting happens on the recorder's own thread; record() never blocks on the
// network and drops events when its small queue is full (events are best effort).
//
//   EventRecorder events(client, {.controller = "bitcoin.example.io/controller", .instance = pod_name});
//   events.record(network_object, EventKind::Normal, "Reconciled", "Reconcile", "3 nodes ready");
#include "pkg/kube/client.hpp"

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace kb::kube {

enum class EventKind { Normal, Warning };

struct EventRecorderOptions {
  std::string controller;  // reportingController (and source.component for core/v1)
  std::string instance;    // reportingInstance (e.g. the pod name)
  std::size_t max_queue = 1000;
  std::function<void(const std::string&)> on_error;  // posting failed (not retried)
};

class EventRecorder {
 public:
  EventRecorder(Client client, EventRecorderOptions options);
  ~EventRecorder();  // posts what is queued, then stops
  EventRecorder(const EventRecorder&) = delete;
  EventRecorder& operator=(const EventRecorder&) = delete;

  // `regarding` is the object (apiVersion, kind, metadata.name/namespace/uid/resourceVersion are used).
  void record(const boost::json::value& regarding, EventKind kind, std::string reason, std::string action,
              std::string note);
  // Blocks until everything recorded so far was posted (for tests and orderly shutdown).
  void flush();
  std::uint64_t posted() const;      // creates + updates that succeeded
  std::uint64_t aggregated() const;  // how many of them bumped an existing Event

 private:
  struct Pending;
  struct Series;
  void run(std::stop_token stop);
  void post(const Pending& pending);
  bool patch_series(const Pending& pending, Series& series);
  boost::json::object new_event(const Pending& pending, const std::string& name) const;
  boost::json::object new_core_event(const Pending& pending, const std::string& name) const;

  Client client_;
  EventRecorderOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable_any cv_;
  std::deque<std::shared_ptr<Pending>> queue_;
  std::size_t in_flight_ = 0;
  std::map<std::string, std::shared_ptr<Series>> series_;  // aggregation key -> the Event we created
  int api_ = 0;                                            // 0 unknown, 1 events.k8s.io/v1, 2 core/v1
  std::uint64_t posted_ = 0;
  std::uint64_t aggregated_ = 0;
  std::jthread thread_;
};

}  // namespace kb::kube
