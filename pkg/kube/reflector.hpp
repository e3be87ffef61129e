#pragma once
// Reflector: keeps a sink in step with the server by listing, then watching from the list's
// resourceVersion. Dropped connections resume from the last seen resourceVersion after a jittered
// back-off; an expired resourceVersion (410 Gone / Expired) triggers a fresh list; the server-side
// watch timeout renews idle watches. Runs on the caller's thread until stop is requested.
#include "pkg/kube/client.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <stop_token>
#include <string>
#include <vector>

namespace kb::kube {

struct ReflectorSink {
  std::function<void(std::vector<boost::json::value>&& items, const std::string& resource_version)> replace;
  std::function<void(WatchEvent&& event)> apply;             // Added / Modified / Deleted
  std::function<void(const std::string& message)> on_error;  // a list/watch failure that will be retried
};

struct ReflectorOptions {
  ResourceRef collection;  // namespace empty: all namespaces
  std::string label_selector;
  std::string field_selector;
  std::int64_t page_size = 500;
  int min_watch_timeout_seconds = 300;  // each watch asks the server for a timeout in [min, 2*min)
  std::chrono::milliseconds backoff_base{800};
  std::chrono::milliseconds backoff_max{30000};
};

class Reflector {
 public:
  Reflector(Client client, ReflectorOptions options, ReflectorSink sink);
  void run(std::stop_token stop);
  std::string last_resource_version() const;
  std::uint64_t list_count() const { return lists_.load(); }  // how many (re)lists happened
  std::uint64_t watch_count() const { return watches_.load(); }

 private:
  void list_and_replace(std::stop_token stop);

  Client client_;
  ReflectorOptions options_;
  ReflectorSink sink_;
  mutable std::mutex mutex_;
  std::string last_rv_;
  std::atomic<std::uint64_t> lists_{0};
  std::atomic<std::uint64_t> watches_{0};
};

}  // namespace kb::kube
