#pragma once
// LeaderElector: leader election on a coordination.k8s.io/v1 Lease, with client-go's semantics
// and defaults (lease 15 s, renew deadline 10 s, retry period 2 s). The lease is taken when it is
// free, ours, or its holder has not renewed it for lease_duration as observed by this process.
// Updates use the Lease's resourceVersion, so two candidates never both win. On orderly shutdown
// the holder clears holderIdentity, so a successor takes over at once.
//
//   LeaderElector elector(client, {.lease_namespace = ns, .lease_name = "bitcoin-controller",
//                                  .identity = pod_name,
//                                  .on_started_leading = [&](std::stop_token lead) { run_controllers(lead); },
//                                  .on_stopped_leading = [&] { ... }});
//   elector.run(stop);   // blocks until stop is requested (or leadership is lost when exit_on_loss)
//
// on_started_leading runs on its own thread with a stop token that fires when leadership ends.
//
// Never two leaders: a candidate takes over only lease_duration after it last saw the record
// change, while the leader stops acting renew_deadline (< lease_duration) after the start of its
// last successful renew, measured by a watchdog thread, so a renew stuck on a dead connection cannot
// keep it acting. The Lease requests also go through their own client whose connect and request
// timeouts are a quarter of the renew deadline (a renew is a GET and a PUT), so a stuck request
// fails instead of holding the elector.
//
// Acting is fenced, not only signalled: the elector holds `write_fence` open exactly until the
// current term's renew deadline, so the writes of a Client made with with_write_fence(fence) are
// refused after it, and a write in flight is given up at it, whether or not the code doing the
// work has looked at its stop token yet.
#include "pkg/kube/client.hpp"

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>

namespace kb::kube {

struct LeaderElectionConfig {
  std::string lease_namespace;
  std::string lease_name;
  std::string identity;
  std::chrono::milliseconds lease_duration{15000};
  std::chrono::milliseconds renew_deadline{10000};
  std::chrono::milliseconds retry_period{2000};
  bool release_on_cancel = true;
  bool exit_on_loss = false;                // return from run() when leadership is lost instead of campaigning again
  std::shared_ptr<WriteFence> write_fence;  // optional: open while this replica may act
  std::function<void(std::stop_token)> on_started_leading;
  std::function<void()> on_stopped_leading;
  std::function<void(const std::string& leader)> on_new_leader;  // observed holder changed
  std::function<void(const std::string& message)> on_error;
};

class LeaderElector {
 public:
  LeaderElector(Client client, LeaderElectionConfig config);
  void run(std::stop_token stop);
  bool is_leader() const { return leading_.load(); }
  std::string current_leader() const;

 private:
  bool try_acquire_or_renew();
  // Time left of the lease another holder was last seen renewing; nullopt when free or ours.
  std::optional<std::chrono::steady_clock::duration> until_expiry() const;
  void release();

  Client client_;  // the caller's, with timeouts bounded by the renew deadline
  LeaderElectionConfig config_;
  std::atomic<bool> leading_{false};
  mutable std::mutex mutex_;
  std::string observed_holder_;
  std::string observed_rv_;
  std::string observed_renew_time_;
  std::chrono::steady_clock::time_point observed_at_{};
  std::chrono::seconds observed_duration_{0};
  boost::json::value observed_lease_;
};

}  // namespace kb::kube
