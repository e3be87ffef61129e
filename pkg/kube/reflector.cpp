#include "pkg/kube/reflector.hpp"

#include "pkg/kube/rate_limiter.hpp"

#include <optional>
#include <random>

namespace kb::kube {
namespace {
// A watch open this long before it failed counts as healthy (client-go's reflector resets its
// back-off the same way).
constexpr std::chrono::seconds kHealthyWatch{30};
}  // namespace

Reflector::Reflector(Client client, ReflectorOptions options, ReflectorSink sink)
    : client_(std::move(client)), options_(std::move(options)), sink_(std::move(sink)) {}

std::string Reflector::last_resource_version() const {
  std::lock_guard lock(mutex_);
  return last_rv_;
}

void Reflector::list_and_replace(std::stop_token) {
  ListOptions list_options;
  list_options.label_selector = options_.label_selector;
  list_options.field_selector = options_.field_selector;
  list_options.limit = options_.page_size;
  ListResult result = client_.list(options_.collection, list_options);
  ++lists_;
  {
    std::lock_guard lock(mutex_);
    last_rv_ = result.resource_version;
  }
  if (sink_.replace) sink_.replace(std::move(result.items), result.resource_version);
}

void Reflector::run(std::stop_token stop) {
  ExponentialBackoff backoff(options_.backoff_base, options_.backoff_max, 0.5);
  std::mt19937 rng(std::random_device{}());
  const int min_timeout = std::max(1, options_.min_watch_timeout_seconds);
  std::uniform_int_distribution<int> timeout_dist(min_timeout, 2 * min_timeout - 1);
  bool need_list = true;
  int consecutive_relists = 0;  // relists forced by the server with no watch event in between
  // A watch that delivered an event, or stayed open for a while, shows the server is well again:
  // the back-off starts over, so that the next outage is not met with the last one's long delay.
  std::optional<std::chrono::steady_clock::time_point> watching_since;
  auto failed = [&] {
    if (watching_since && std::chrono::steady_clock::now() - *watching_since >= kHealthyWatch) backoff.reset();
    watching_since.reset();
    return backoff.next();
  };
  auto report = [&](const std::string& message) {
    if (sink_.on_error) sink_.on_error(options_.collection.describe() + ": " + message);
  };
  while (!stop.stop_requested()) {
    try {
      if (need_list) {
        list_and_replace(stop);
        need_list = false;
      }
      WatchOptions watch_options;
      watch_options.label_selector = options_.label_selector;
      watch_options.field_selector = options_.field_selector;
      watch_options.resource_version = last_resource_version();
      watch_options.allow_bookmarks = true;
      // Spread renewals so that many informers do not reconnect in lock-step.
      watch_options.timeout_seconds = timeout_dist(rng);
      auto started = std::chrono::steady_clock::now();
      std::uint64_t events = 0;
      ++watches_;
      watching_since = started;
      client_.watch(
          options_.collection, watch_options,
          [&](const WatchEvent& event) {
            if (++events == 1) backoff.reset();
            consecutive_relists = 0;
            std::string rv = resource_version_of(event.object);
            if (event.type != WatchEventType::Bookmark && sink_.apply)
              sink_.apply(WatchEvent{event.type, event.object});
            if (!rv.empty()) {
              std::lock_guard lock(mutex_);
              last_rv_ = rv;
            }
            return !stop.stop_requested();
          },
          stop);
      watching_since.reset();
      if (stop.stop_requested()) break;
      // A watch that the server ends at once, empty, would make us spin: treat it like an error.
      if (events == 0 && std::chrono::steady_clock::now() - started < std::chrono::seconds(1)) {
        sleep_for(backoff.next(), stop);
      } else {
        backoff.reset();
      }
    } catch (const ApiError& e) {
      // The resourceVersion we hold was compacted away (410), or is ahead of this API server
      // (another replica served the list): only a fresh list can tell what changed.
      const bool too_large = e.server_message().find("Too large resource version") != std::string::npos;
      if (is_gone(e) || too_large) {
        need_list = true;
        report(too_large ? "resourceVersion too large, relisting" : "resourceVersion expired, relisting");
        // Relist at once the first time; back off if the server keeps rejecting fresh lists.
        if (++consecutive_relists > 1) {
          sleep_for(failed(), stop);
        } else {
          watching_since.reset();
        }
        continue;
      }
      report(e.what());
      sleep_for(failed(), stop);
    } catch (const std::exception& e) {
      report(e.what());
      sleep_for(failed(), stop);
    }
  }
}

}  // namespace kb::kube
