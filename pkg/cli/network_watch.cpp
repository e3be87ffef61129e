#include "pkg/cli/network_watch.hpp"

#include "pkg/api/conditions.hpp"
#include "pkg/api/group_version.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/cli/fork_view.hpp"
#include "pkg/kube/reflector.hpp"

#include <boost/json.hpp>

#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace kb::cli {
namespace json = boost::json;

namespace {

constexpr std::size_t kShownEvents = 3;

// SIGINT and SIGTERM become a stop request. The signals are blocked in the calling thread before
// any other thread of the watch starts (they inherit the mask) and taken by one thread with
// sigwait; the destructor wakes it when the watch ends for another reason.
class InterruptStop {
 public:
  explicit InterruptStop(std::stop_source& source) {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
    thread_ = std::thread([this, &source] {
      int received = 0;
      sigwait(&signals_, &received);
      source.request_stop();
    });
  }
  ~InterruptStop() {
    pthread_kill(thread_.native_handle(), SIGTERM);  // ends sigwait; harmless if a signal already did
    thread_.join();
    // A signal that arrived after sigwait returned stays pending: drop it rather than die of it.
    timespec zero{};
    siginfo_t info;
    while (sigtimedwait(&signals_, &info, &zero) > 0) {
    }
    pthread_sigmask(SIG_SETMASK, &previous_, nullptr);
  }
  InterruptStop(const InterruptStop&) = delete;
  InterruptStop& operator=(const InterruptStop&) = delete;

 private:
  sigset_t signals_{};
  sigset_t previous_{};
  std::thread thread_;
};

// What the two reflectors last delivered, and whether it changed since the last frame.
class WatchedState {
 public:
  void set_network(std::optional<json::value> network) {
    std::lock_guard lock(mutex_);
    deleted_ = !network;
    network_ = std::move(network);
    changed_locked();
  }
  void put_event(const json::value& event) {
    std::lock_guard lock(mutex_);
    events_[base::string_at(event, "metadata", "uid").value_or("")] = event;
    changed_locked();
  }
  void drop_event(const json::value& event) {
    std::lock_guard lock(mutex_);
    events_.erase(base::string_at(event, "metadata", "uid").value_or(""));
    changed_locked();
  }
  void replace_events(std::vector<json::value>&& items) {
    std::lock_guard lock(mutex_);
    events_.clear();
    for (auto& item : items) events_[base::string_at(item, "metadata", "uid").value_or("")] = std::move(item);
    changed_locked();
  }
  void report(const std::string& problem) {
    std::lock_guard lock(mutex_);
    problem_ = problem;
    changed_locked();
  }

  struct Frame {
    std::optional<json::value> network;
    std::vector<json::value> events;  // oldest first
    bool deleted = false;
    std::string problem;
  };
  // Waits for a change (or stop); nullopt when stopped.
  std::optional<Frame> next(std::stop_token stop) {
    std::unique_lock lock(mutex_);
    changed_cv_.wait(lock, stop, [this] { return changed_; });
    if (stop.stop_requested()) return std::nullopt;
    changed_ = false;
    Frame frame{network_, {}, deleted_, std::exchange(problem_, "")};
    for (const auto& [uid, event] : events_) frame.events.push_back(event);
    std::ranges::stable_sort(frame.events, {}, [](const json::value& e) {
      for (const char* key : {"lastTimestamp", "eventTime", "firstTimestamp"}) {
        if (auto at = base::string_at(e, key); at && !at->empty()) return *at;
      }
      return std::string();
    });
    return frame;
  }

 private:
  void changed_locked() {
    changed_ = true;
    changed_cv_.notify_all();
  }
  std::mutex mutex_;
  std::condition_variable_any changed_cv_;
  bool changed_ = true;
  bool deleted_ = false;
  std::optional<json::value> network_;
  std::map<std::string, json::value> events_;
  std::string problem_;
};

}  // namespace

void watch_network(const kube::Client& client, const NetworkWatchTarget& target, std::ostream& out, std::ostream& err) {
  std::stop_source stop;
  InterruptStop interrupt(stop);
  WatchedState state;
  auto network_collection =
      kube::ResourceRef::of(std::string(api::kGroup), std::string(api::kVersion), std::string(api::kPlural))
          .in(target.namespace_name);
  kube::Reflector networks(
      client,
      {.collection = network_collection,
       .field_selector = "metadata.name=" + target.name,
       .min_watch_timeout_seconds = 60},
      {.replace =
           [&](std::vector<json::value>&& items, const std::string&) {
             state.set_network(items.empty() ? std::nullopt : std::optional(std::move(items.front())));
           },
       .apply =
           [&](kube::WatchEvent&& event) {
             state.set_network(event.type == kube::WatchEventType::Deleted ? std::nullopt
                                                                           : std::optional(std::move(event.object)));
           },
       .on_error = [&](const std::string& message) { state.report(message); }});
  kube::Reflector events(
      client,
      {.collection = kube::refs::core_events(target.namespace_name),
       .field_selector = "involvedObject.name=" + target.name + ",involvedObject.kind=" + std::string(api::kKind),
       .min_watch_timeout_seconds = 60},
      {.replace = [&](std::vector<json::value>&& items, const std::string&) { state.replace_events(std::move(items)); },
       .apply =
           [&](kube::WatchEvent&& event) {
             if (event.type == kube::WatchEventType::Deleted)
               state.drop_event(event.object);
             else
               state.put_event(event.object);
           },
       .on_error = {}});  // events are context: a view without them is still the answer
  std::jthread network_thread([&](std::stop_token) { networks.run(stop.get_token()); });
  std::jthread events_thread([&](std::stop_token) { events.run(stop.get_token()); });

  std::optional<std::string> shown;
  std::string last_problem;
  while (auto frame = state.next(stop.get_token())) {
    if (!frame->problem.empty() && frame->problem != last_problem) {
      err << "error: " << frame->problem << " (retrying)\n" << std::flush;
      last_problem = frame->problem;
    }
    if (frame->deleted) {
      out << (shown ? "\n" : "") << "network " << target.name << " was deleted\n" << std::flush;
      stop.request_stop();
      break;
    }
    if (!frame->network) continue;  // not listed yet
    // Compared without ages (a frame drawn at the epoch), so only a change of the objects shows.
    auto key = render_compact_network(*frame->network, frame->events, {}, kShownEvents);
    if (shown && key == *shown) continue;
    if (target.terminal)
      out << "\033[H\033[2J";
    else if (shown)
      out << "\n";
    out << render_compact_network(*frame->network, frame->events, std::chrono::system_clock::now(), kShownEvents)
        << std::flush;
    shown = key;
  }
  stop.request_stop();
}

}  // namespace kb::cli
