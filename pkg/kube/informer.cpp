#include "pkg/kube/informer.hpp"

#include "pkg/kube/rate_limiter.hpp"

namespace kb::kube {
namespace json = boost::json;

namespace {
ReflectorOptions reflector_options(const InformerOptions& options) {
  ReflectorOptions r;
  r.collection = options.collection;
  r.label_selector = options.label_selector;
  r.field_selector = options.field_selector;
  r.page_size = options.page_size;
  r.min_watch_timeout_seconds = options.min_watch_timeout_seconds;
  r.backoff_base = options.backoff_base;
  r.backoff_max = options.backoff_max;
  return r;
}
}  // namespace

Informer::Informer(Client client, InformerOptions options)
    : options_(std::move(options)),
      reflector_(std::move(client), reflector_options(options_),
                 ReflectorSink{[this](std::vector<json::value>&& items, const std::string& rv) {
                                 on_replace(std::move(items), rv);
                               },
                               [this](WatchEvent&& event) { on_event(std::move(event)); },
                               [this](const std::string& message) {
                                 if (options_.on_error) options_.on_error(message);
                               }}) {}

Informer::~Informer() { stop(); }

void Informer::add_handlers(InformerHandlers handlers) {
  std::lock_guard lock(dispatch_mutex_);
  handlers_.push_back(std::move(handlers));
}

void Informer::start() {
  if (watch_thread_.joinable()) return;
  watch_thread_ = std::jthread([this](std::stop_token stop) { reflector_.run(stop); });
  if (options_.resync_period.count() > 0)
    resync_thread_ = std::jthread([this](std::stop_token stop) { resync_loop(stop); });
}

void Informer::stop() {
  if (resync_thread_.joinable()) {
    resync_thread_.request_stop();
    resync_thread_.join();
  }
  if (watch_thread_.joinable()) {
    watch_thread_.request_stop();
    watch_thread_.join();
  }
}

bool Informer::wait_for_sync(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(sync_mutex_);
  return sync_cv_.wait_for(lock, timeout, [this] { return synced_.load(); });
}

void Informer::on_replace(std::vector<json::value>&& items, const std::string&) {
  std::vector<ObjectPtr> objects;
  objects.reserve(items.size());
  for (auto& item : items) {
    if (options_.transform) options_.transform(item);
    objects.push_back(std::make_shared<const json::value>(std::move(item)));
  }
  std::lock_guard lock(dispatch_mutex_);
  // Compare with what we had so handlers see a relist as the adds, updates and deletes it implies.
  std::vector<std::pair<ObjectPtr, ObjectPtr>> changes;  // (old, new); old null = add
  for (auto& object : objects) {
    ObjectPtr old = store_.get(object_key(*object));
    if (!old || resource_version_of(*old) != resource_version_of(*object)) changes.emplace_back(old, object);
  }
  std::vector<ObjectPtr> removed = store_.replace(objects);
  for (auto& [old, fresh] : changes) {
    for (auto& h : handlers_) {
      if (!old && h.on_add) h.on_add(fresh);
      if (old && h.on_update) h.on_update(old, fresh);
    }
  }
  for (auto& gone : removed)
    for (auto& h : handlers_)
      if (h.on_delete) h.on_delete(gone);
  if (!synced_.exchange(true)) {
    std::lock_guard sync_lock(sync_mutex_);
    sync_cv_.notify_all();
  }
}

void Informer::on_event(WatchEvent&& event) {
  if (options_.transform) options_.transform(event.object);
  auto object = std::make_shared<const json::value>(std::move(event.object));
  std::lock_guard lock(dispatch_mutex_);
  if (event.type == WatchEventType::Deleted) {
    ObjectPtr old = store_.erase(object_key(*object));
    // The DELETED event carries the final state; prefer it over what we cached.
    for (auto& h : handlers_)
      if (h.on_delete) h.on_delete(object);
    (void)old;
    return;
  }
  ObjectPtr old = store_.upsert(object);
  for (auto& h : handlers_) {
    if (!old && h.on_add) h.on_add(object);
    if (old && h.on_update) h.on_update(old, object);
  }
}

void Informer::resync_loop(std::stop_token stop) {
  while (sleep_for(options_.resync_period, stop)) {
    if (!has_synced()) continue;
    std::lock_guard lock(dispatch_mutex_);
    for (auto& object : store_.list())
      for (auto& h : handlers_)
        if (h.on_update) h.on_update(object, object);
  }
}

}  // namespace kb::kube
