#include "pkg/kube/event_recorder.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/kube/object_meta.hpp"

#include <cstdio>

namespace kb::kube {
namespace json = boost::json;
using namespace std::chrono;

namespace {
// How long a repeat still bumps the earlier Event rather than creating a new one (the API server
// garbage-collects Events after an hour by default).
constexpr auto kSeriesWindow = minutes(30);
constexpr std::size_t kMaxNote = 1024;  // events.k8s.io/v1 rejects longer notes
}  // namespace

struct EventRecorder::Pending {
  json::object regarding;  // an ObjectReference
  std::string namespace_name;
  std::string type, reason, action, note;
  system_clock::time_point when;
  std::string key;  // aggregation key
};

struct EventRecorder::Series {
  std::string name;
  std::string namespace_name;
  std::int64_t count = 1;
  int api = 0;
  system_clock::time_point last;
};

EventRecorder::EventRecorder(Client client, EventRecorderOptions options)
    : client_(std::move(client)), options_(std::move(options)) {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

EventRecorder::~EventRecorder() {
  thread_.request_stop();
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventRecorder::record(const json::value& regarding, EventKind kind, std::string reason, std::string action,
                           std::string note) {
  auto pending = std::make_shared<Pending>();
  json::object ref;
  for (auto key : {"apiVersion", "kind"}) {
    std::string v = base::string_at(regarding, key).value_or("");
    if (!v.empty()) ref[key] = v;
  }
  for (auto key : {"name", "namespace", "uid", "resourceVersion"}) {
    std::string v = base::string_at(regarding, "metadata", key).value_or("");
    if (!v.empty()) ref[key] = v;
  }
  pending->namespace_name = namespace_of(regarding);
  if (pending->namespace_name.empty()) pending->namespace_name = "default";
  pending->type = kind == EventKind::Warning ? "Warning" : "Normal";
  pending->reason = std::move(reason);
  pending->action = std::move(action);
  pending->note = note.size() > kMaxNote ? note.substr(0, kMaxNote - 3) + "..." : std::move(note);
  pending->when = system_clock::now();
  pending->key = uid_of(regarding) + "|" + kind_of(regarding) + "|" + pending->namespace_name + "|" +
                 name_of(regarding) + "|" + pending->type + "|" + pending->reason + "|" + pending->action + "|" +
                 pending->note;
  pending->regarding = std::move(ref);
  std::lock_guard lock(mutex_);
  if (queue_.size() >= options_.max_queue) return;  // best effort: never block the caller
  queue_.push_back(std::move(pending));
  cv_.notify_all();
}

void EventRecorder::flush() {
  std::unique_lock lock(mutex_);
  cv_.wait(lock, [this] { return queue_.empty() && in_flight_ == 0; });
}

std::uint64_t EventRecorder::posted() const {
  std::lock_guard lock(mutex_);
  return posted_;
}

std::uint64_t EventRecorder::aggregated() const {
  std::lock_guard lock(mutex_);
  return aggregated_;
}

void EventRecorder::run(std::stop_token stop) {
  for (;;) {
    std::shared_ptr<Pending> next;
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, stop, [this] { return !queue_.empty(); });
      if (queue_.empty()) return;  // stopped with nothing left to post
      next = std::move(queue_.front());
      queue_.pop_front();
      ++in_flight_;
    }
    try {
      post(*next);
    } catch (const std::exception& e) {
      if (options_.on_error) options_.on_error("posting event " + next->reason + ": " + e.what());
    }
    {
      std::lock_guard lock(mutex_);
      --in_flight_;
    }
    cv_.notify_all();
  }
}

// The first Event of a series, in events.k8s.io/v1 and in core/v1 (clusters without the former).
json::object EventRecorder::new_event(const Pending& p, const std::string& name) const {
  return json::object{{"apiVersion", "events.k8s.io/v1"},
                      {"kind", "Event"},
                      {"metadata", json::object{{"name", name}, {"namespace", p.namespace_name}}},
                      {"eventTime", base::format_micro_time(p.when)},
                      {"reportingController", options_.controller},
                      {"reportingInstance", options_.instance},
                      {"action", p.action},
                      {"reason", p.reason},
                      {"note", p.note},
                      {"type", p.type},
                      {"regarding", p.regarding}};
}

json::object EventRecorder::new_core_event(const Pending& p, const std::string& name) const {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Event"},
                      {"metadata", json::object{{"name", name}, {"namespace", p.namespace_name}}},
                      {"involvedObject", p.regarding},
                      {"reason", p.reason},
                      {"message", p.note},
                      {"type", p.type},
                      {"action", p.action},
                      {"source", json::object{{"component", options_.controller}}},
                      {"reportingComponent", options_.controller},
                      {"reportingInstance", options_.instance},
                      {"firstTimestamp", base::format_time(p.when)},
                      {"lastTimestamp", base::format_time(p.when)},
                      {"count", 1}};
}

// A repeat within the window: bump the series' count. False when its Event expired meanwhile (a
// new one is then created).
bool EventRecorder::patch_series(const Pending& p, Series& series) {
  json::value patch;
  if (series.api == 1) {
    patch = json::object{
        {"series", json::object{{"count", series.count + 1}, {"lastObservedTime", base::format_micro_time(p.when)}}}};
  } else {
    patch = json::object{{"count", series.count + 1}, {"lastTimestamp", base::format_time(p.when)}};
  }
  ResourceRef ref = series.api == 1 ? refs::events(series.namespace_name, series.name)
                                    : refs::core_events(series.namespace_name, series.name);
  try {
    client_.patch(ref, PatchType::Merge, patch);
  } catch (const ApiError& e) {
    if (!is_not_found(e)) throw;
    return false;
  }
  std::lock_guard lock(mutex_);
  ++series.count;
  series.last = p.when;
  ++posted_;
  ++aggregated_;
  return true;
}

void EventRecorder::post(const Pending& p) {
  int api;
  std::shared_ptr<Series> series;
  {
    std::lock_guard lock(mutex_);
    api = api_;
    if (auto it = series_.find(p.key); it != series_.end() && p.when - it->second->last < kSeriesWindow)
      series = it->second;
  }
  if (api == 0) {
    RawRequest probe;
    probe.path = "/apis/events.k8s.io/v1";
    api = client_.raw(probe).status == 200 ? 1 : 2;
    std::lock_guard lock(mutex_);
    api_ = api;
  }
  if (series && patch_series(p, *series)) return;
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%llx",
                static_cast<unsigned long long>(duration_cast<nanoseconds>(p.when.time_since_epoch()).count()));
  std::string base = p.regarding.contains("name") ? std::string(p.regarding.at("name").as_string()) : "event";
  std::string name = base.substr(0, 200) + suffix;
  if (api == 1) {
    client_.create(refs::events(p.namespace_name), new_event(p, name));
  } else {
    client_.create(refs::core_events(p.namespace_name), new_core_event(p, name));
  }
  auto fresh = std::make_shared<Series>();
  fresh->name = name;
  fresh->namespace_name = p.namespace_name;
  fresh->api = api;
  fresh->last = p.when;
  std::lock_guard lock(mutex_);
  series_[p.key] = fresh;
  ++posted_;
  // Keep the aggregation cache bounded: forget series nobody repeated within the window.
  if (series_.size() > 4096) {
    for (auto it = series_.begin(); it != series_.end();)
      it = p.when - it->second->last > kSeriesWindow ? series_.erase(it) : std::next(it);
  }
}

}  // namespace kb::kube
