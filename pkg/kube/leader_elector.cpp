#include "pkg/kube/leader_elector.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/kube/rate_limiter.hpp"

#include <algorithm>
#include <condition_variable>
#include <random>
#include <thread>

namespace kb::kube {
namespace json = boost::json;
using namespace std::chrono;

namespace {
std::string spec_string(const json::value& lease, std::string_view key) {
  return base::string_at(lease, "spec", key).value_or("");
}
std::int64_t spec_int(const json::value& lease, std::string_view key) {
  return base::int_at(lease, "spec", key).value_or(0);
}
// A client of the same cluster whose Lease requests cannot outlive the renew deadline.
Client lease_client(const Client& client, milliseconds renew_deadline) {
  ClusterConfig config = client.config();
  auto bound = std::max(milliseconds(1), renew_deadline / 4);
  config.request_timeout = config.request_timeout.count() > 0 ? std::min(config.request_timeout, bound) : bound;
  config.connect_timeout = config.connect_timeout.count() > 0 ? std::min(config.connect_timeout, bound) : bound;
  return Client(std::move(config));
}
}  // namespace

LeaderElector::LeaderElector(Client client, LeaderElectionConfig config)
    : client_(lease_client(client, config.renew_deadline)), config_(std::move(config)) {}

std::string LeaderElector::current_leader() const {
  std::lock_guard lock(mutex_);
  return observed_holder_;
}

bool LeaderElector::try_acquire_or_renew() {
  const auto now = system_clock::now();
  // Rounded up: a Lease that advertised less than the configured duration would let a candidate
  // take over before this replica's renew deadline.
  const std::int64_t duration_seconds = std::max<std::int64_t>(1, ceil<seconds>(config_.lease_duration).count());
  const ResourceRef ref = refs::leases(config_.lease_namespace, config_.lease_name);
  auto lease = client_.get_if_exists(ref);
  std::string new_leader;
  if (!lease) {
    json::value fresh =
        json::object{{"apiVersion", "coordination.k8s.io/v1"},
                     {"kind", "Lease"},
                     {"metadata", json::object{{"name", config_.lease_name}, {"namespace", config_.lease_namespace}}},
                     {"spec", json::object{{"holderIdentity", config_.identity},
                                           {"leaseDurationSeconds", duration_seconds},
                                           {"acquireTime", base::format_micro_time(now)},
                                           {"renewTime", base::format_micro_time(now)},
                                           {"leaseTransitions", 0}}}};
    try {
      json::value created = client_.create(ref.collection(), fresh);
      std::lock_guard lock(mutex_);
      observed_holder_ = config_.identity;
      observed_renew_time_ = spec_string(created, "renewTime");
      observed_at_ = steady_clock::now();
      observed_lease_ = std::move(created);
    } catch (const ApiError& e) {
      if (is_already_exists(e) || is_conflict(e)) return false;  // someone else was faster
      throw;
    }
    if (config_.on_new_leader) config_.on_new_leader(config_.identity);
    return true;
  }

  const std::string holder = spec_string(*lease, "holderIdentity");
  const std::string renew_time = spec_string(*lease, "renewTime");
  std::int64_t record_duration = spec_int(*lease, "leaseDurationSeconds");
  if (record_duration <= 0) record_duration = duration_seconds;
  bool expired;
  {
    std::lock_guard lock(mutex_);
    // Expiry is judged by when *we* saw the record change, not by the holder's clock.
    if (holder != observed_holder_ || renew_time != observed_renew_time_) {
      if (holder != observed_holder_) new_leader = holder;
      observed_holder_ = holder;
      observed_renew_time_ = renew_time;
      observed_at_ = steady_clock::now();
    }
    observed_lease_ = *lease;
    observed_duration_ = seconds(record_duration);
    expired = observed_at_ + observed_duration_ <= steady_clock::now();
  }
  if (!new_leader.empty() && config_.on_new_leader) config_.on_new_leader(new_leader);
  if (!holder.empty() && holder != config_.identity && !expired) return false;

  json::value updated = *lease;
  auto& spec = updated.as_object()["spec"];
  if (!spec.is_object()) spec = json::object{};
  auto& s = spec.as_object();
  s["holderIdentity"] = config_.identity;
  s["leaseDurationSeconds"] = duration_seconds;
  s["renewTime"] = base::format_micro_time(now);
  if (holder != config_.identity) {
    s["acquireTime"] = base::format_micro_time(now);
    s["leaseTransitions"] = spec_int(*lease, "leaseTransitions") + 1;
  }
  try {
    // PUT carries metadata.resourceVersion: if another candidate wrote first, we get a 409.
    json::value stored = client_.update(ref, updated);
    std::lock_guard lock(mutex_);
    observed_holder_ = config_.identity;
    observed_renew_time_ = spec_string(stored, "renewTime");
    observed_at_ = steady_clock::now();
    observed_lease_ = std::move(stored);
  } catch (const ApiError& e) {
    if (is_conflict(e)) return false;
    throw;
  }
  if (holder != config_.identity && config_.on_new_leader) config_.on_new_leader(config_.identity);
  return true;
}

std::optional<steady_clock::duration> LeaderElector::until_expiry() const {
  std::lock_guard lock(mutex_);
  if (observed_holder_.empty() || observed_holder_ == config_.identity) return std::nullopt;
  return observed_at_ + observed_duration_ - steady_clock::now();
}

void LeaderElector::release() {
  const ResourceRef ref = refs::leases(config_.lease_namespace, config_.lease_name);
  auto lease = client_.get_if_exists(ref);
  if (!lease || spec_string(*lease, "holderIdentity") != config_.identity) return;
  auto now = base::format_micro_time(system_clock::now());
  auto& s = lease->as_object()["spec"].as_object();
  // An empty holder is free for the taking at once; a 1 s duration covers older clients.
  s["holderIdentity"] = "";
  s["leaseDurationSeconds"] = 1;
  s["renewTime"] = now;
  s["acquireTime"] = now;
  client_.update(ref, *lease);
}

void LeaderElector::run(std::stop_token stop) {
  std::mt19937 rng(std::random_device{}());
  // Candidates spread their attempts over 1.0-1.1 retry periods (client-go: 1.0-2.2) and try
  // again the moment the lease they observe expires, so a crashed leader is replaced at most
  // lease_duration + 1.1 retry periods after its last renew (the observation lags the renew by one
  // attempt at most).
  std::uniform_real_distribution<double> jitter(1.0, 1.1);
  auto attempt = [&]() {
    try {
      return try_acquire_or_renew();
    } catch (const std::exception& e) {
      if (config_.on_error) config_.on_error(std::string("leader election: ") + e.what());
      return false;
    }
  };
  while (!stop.stop_requested()) {
    auto acquired_at = steady_clock::now();
    while (!stop.stop_requested()) {
      acquired_at = steady_clock::now();
      if (attempt()) break;
      auto wait = duration_cast<steady_clock::duration>(config_.retry_period * jitter(rng));
      if (auto left = until_expiry(); left && *left > steady_clock::duration::zero() && *left < wait)
        wait = *left + milliseconds(5);
      sleep_for(wait, stop);
    }
    if (stop.stop_requested()) return;

    auto deadline = acquired_at + config_.renew_deadline;
    if (config_.write_fence) config_.write_fence->open_until(deadline);
    leading_ = true;
    std::stop_source lead;
    // Acting ends at `deadline` unless a renew that started before it succeeds; the watchdog
    // enforces it even while a renew is still waiting for an answer.
    std::mutex deadline_mutex;
    std::condition_variable_any deadline_changed;
    std::jthread watchdog([&](std::stop_token quit) {
      std::unique_lock lock(deadline_mutex);
      while (!quit.stop_requested()) {
        if (steady_clock::now() >= deadline) {
          if (config_.write_fence) config_.write_fence->close();
          leading_ = false;
          lead.request_stop();
          if (config_.on_error) config_.on_error("leader election: no successful renew within the renew deadline");
          return;
        }
        auto until = deadline;
        deadline_changed.wait_until(lock, quit, until, [&] { return deadline != until; });
      }
    });
    std::jthread work;
    if (config_.on_started_leading)
      work = std::jthread([&, token = lead.get_token()] { config_.on_started_leading(token); });
    while (!stop.stop_requested() && !lead.stop_requested()) {
      if (!sleep_for(config_.retry_period, stop)) break;
      if (lead.stop_requested()) break;
      auto started = steady_clock::now();
      if (attempt()) {
        {
          std::lock_guard lock(deadline_mutex);
          // Once the watchdog ended the term, a late renew must not reopen the fence for the
          // work that is winding down.
          if (lead.stop_requested()) break;
          deadline = started + config_.renew_deadline;  // from when the renew was sent, not answered
          if (config_.write_fence) config_.write_fence->open_until(deadline);
        }
        deadline_changed.notify_all();
        continue;
      }
      std::lock_guard lock(deadline_mutex);
      if (steady_clock::now() >= deadline) break;  // lost the lease
    }
    watchdog.request_stop();
    watchdog.join();
    leading_ = false;
    lead.request_stop();
    if (work.joinable()) work.join();  // on a stop (not a loss) the work may still finish its writes
    if (config_.write_fence) config_.write_fence->close();
    if (stop.stop_requested() && config_.release_on_cancel) {
      try {
        release();
      } catch (const std::exception& e) {
        if (config_.on_error) config_.on_error(std::string("releasing the lease: ") + e.what());
      }
    }
    if (config_.on_stopped_leading) config_.on_stopped_leading();
    if (stop.stop_requested() || config_.exit_on_loss) return;
  }
}

}  // namespace kb::kube
