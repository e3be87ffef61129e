#pragma once
// Informer: a Reflector feeding a Store, with event handlers and an optional periodic resync.
//
//   Informer pods(client, {.collection = refs::pods("ns"), .label_selector = "app=x"});
//   pods.store().add_index("owner", index_by_owner_uid());
//   pods.add_handlers({.on_add = ..., .on_update = ..., .on_delete = ...});
//   pods.start();  pods.wait_for_sync(10s);  ... pods.stop();   (the destructor stops too)
//
// Handlers run on the informer's thread, in event order, and must be quick (enqueue a key).
// on_delete gets the final state known to the store. Resync calls on_update(obj, obj) for every
// cached object. The transform (default drop_managed_fields) runs before an object is stored.
#include "pkg/kube/reflector.hpp"
#include "pkg/kube/store.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace kb::kube {

struct InformerHandlers {
  std::function<void(const ObjectPtr&)> on_add;
  std::function<void(const ObjectPtr& old_object, const ObjectPtr& new_object)> on_update;
  std::function<void(const ObjectPtr& final_state)> on_delete;
};

struct InformerOptions {
  ResourceRef collection;
  std::string label_selector;
  std::string field_selector;
  std::chrono::milliseconds resync_period{0};  // 0: never
  std::function<void(boost::json::value&)> transform = drop_managed_fields;
  std::int64_t page_size = 500;
  int min_watch_timeout_seconds = 300;
  std::chrono::milliseconds backoff_base{800};  // reconnect back-off after failures (jittered)
  std::chrono::milliseconds backoff_max{30000};
  std::function<void(const std::string&)> on_error;  // list/watch failures (retried automatically)
};

class Informer {
 public:
  Informer(Client client, InformerOptions options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  Store& store() { return store_; }
  const Store& store() const { return store_; }
  void add_handlers(InformerHandlers handlers);  // before start()

  void start();
  void stop();  // joins the threads; idempotent
  bool has_synced() const { return synced_.load(); }
  bool wait_for_sync(std::chrono::milliseconds timeout) const;
  std::string last_resource_version() const { return reflector_.last_resource_version(); }
  const Reflector& reflector() const { return reflector_; }
  const InformerOptions& options() const { return options_; }

 private:
  void on_replace(std::vector<boost::json::value>&& items, const std::string& rv);
  void on_event(WatchEvent&& event);
  void resync_loop(std::stop_token stop);

  InformerOptions options_;
  Store store_;
  std::vector<InformerHandlers> handlers_;
  Reflector reflector_;
  std::mutex dispatch_mutex_;  // serialises handler calls between the watch and resync threads
  std::atomic<bool> synced_{false};
  mutable std::mutex sync_mutex_;
  mutable std::condition_variable sync_cv_;
  std::jthread watch_thread_;
  std::jthread resync_thread_;
};

}  // namespace kb::kube
