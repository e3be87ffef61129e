// LeaderElector against a FAKE API server (support/fake_api_server.hpp) that keeps one Lease in
// memory with resourceVersion checks, as the API server does for PUT.
#include "pkg/kube/leader_elector.hpp"
#include "support/fake_api_server.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

using namespace kb::kube;
using namespace kb::kube::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
class FakeLeases {
 public:
  FakeResponse handle(const FakeRequest& r) {
    if (r.method == "PUT") {
      // A dead connection: the request arrives, no answer comes (until the test ends).
      std::unique_lock hold(hang_mutex_);
      hang_released_.wait_for(hold, 10s, [&] { return !hanging_; });
    }
    std::lock_guard lock(mutex_);
    if (r.method == "GET") {
      if (!lease_) return FakeResponse::json(404, status_json(404, "NotFound", "not found"));
      return FakeResponse::json(200, json::serialize(*lease_));
    }
    json::value body = json::parse(r.body);
    if (r.method == "POST") {
      if (lease_) return FakeResponse::json(409, status_json(409, "AlreadyExists", "exists"));
      return store(std::move(body), 201);
    }
    if (r.method == "PUT") {
      if (!lease_ || body.at("metadata").at("resourceVersion") != lease_->at("metadata").at("resourceVersion"))
        return FakeResponse::json(409, status_json(409, "Conflict", "the object has been modified"));
      return store(std::move(body), 200);
    }
    return FakeResponse::json(405, "");
  }
  std::string holder() {
    std::lock_guard lock(mutex_);
    if (!lease_) return "<none>";
    return std::string(lease_->at("spec").at("holderIdentity").as_string());
  }
  void hang(bool on) {
    {
      std::lock_guard lock(hang_mutex_);
      hanging_ = on;
    }
    hang_released_.notify_all();
  }
  std::int64_t transitions() {
    std::lock_guard lock(mutex_);
    return lease_ ? lease_->at("spec").at("leaseTransitions").as_int64() : -1;
  }

 private:
  FakeResponse store(json::value body, int status) {
    body.as_object()["metadata"].as_object()["resourceVersion"] = std::to_string(++rv_);
    lease_ = body;
    return FakeResponse::json(status, json::serialize(body));
  }
  std::mutex mutex_;
  std::mutex hang_mutex_;
  std::condition_variable hang_released_;
  bool hanging_ = false;
  std::optional<json::value> lease_;
  int rv_ = 0;
};

LeaderElectionConfig fast(const std::string& id, std::atomic<int>& started, std::atomic<int>& stopped) {
  LeaderElectionConfig c;
  c.lease_namespace = "ns";
  c.lease_name = "lock";
  c.identity = id;
  c.lease_duration = 1500ms;
  c.renew_deadline = 1000ms;
  c.retry_period = 100ms;
  c.on_started_leading = [&started](std::stop_token lead) {
    ++started;
    while (!lead.stop_requested()) std::this_thread::sleep_for(5ms);
  };
  c.on_stopped_leading = [&stopped] { ++stopped; };
  return c;
}

template <class P>
bool eventually(P p, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return p();
}
}  // namespace

TEST_CASE("one leader at a time; release on shutdown hands over at once") {
  FakeLeases leases;
  FakeApiServer server([&](const FakeRequest& r) { return leases.handle(r); });
  ClusterConfig config;
  config.server = server.url();
  config.qps = 0;
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0}, b_stopped{0};
  LeaderElector a(Client(config), fast("a", a_started, a_stopped));
  LeaderElector b(Client(config), fast("b", b_started, b_stopped));
  std::jthread run_a([&](std::stop_token stop) { a.run(stop); });
  REQUIRE(eventually([&] { return a.is_leader(); }, 3s));
  std::jthread run_b([&](std::stop_token stop) { b.run(stop); });
  std::this_thread::sleep_for(2500ms);  // longer than the lease: a keeps renewing, b keeps waiting
  CHECK(a.is_leader());
  CHECK_FALSE(b.is_leader());
  CHECK(b.current_leader() == "a");
  CHECK(leases.holder() == "a");

  auto released = std::chrono::steady_clock::now();
  run_a.request_stop();
  run_a.join();
  CHECK(a_stopped == 1);
  REQUIRE(eventually([&] { return b.is_leader(); }, 3s));
  // Released, so b did not have to wait for the lease to expire (1.5 s); it retries every 100-220 ms.
  CHECK(std::chrono::steady_clock::now() - released < 1000ms);
  CHECK(leases.holder() == "b");
  CHECK(leases.transitions() == 1);
  run_b.request_stop();
  run_b.join();
  CHECK(leases.holder() == "");
  CHECK(a_started == 1);
  CHECK(b_started == 1);
}

TEST_CASE("a crashed leader (no release) is replaced after the lease expires") {
  FakeLeases leases;
  FakeApiServer server([&](const FakeRequest& r) { return leases.handle(r); });
  ClusterConfig config;
  config.server = server.url();
  config.qps = 0;
  std::atomic<int> a_started{0}, a_stopped{0}, b_started{0}, b_stopped{0};
  auto ca = fast("a", a_started, a_stopped);
  ca.release_on_cancel = false;
  LeaderElector a(Client(config), ca);
  LeaderElector b(Client(config), fast("b", b_started, b_stopped));
  std::jthread run_a([&](std::stop_token stop) { a.run(stop); });
  REQUIRE(eventually([&] { return a.is_leader(); }, 3s));
  std::jthread run_b([&](std::stop_token stop) { b.run(stop); });
  std::this_thread::sleep_for(300ms);
  run_a.request_stop();
  run_a.join();
  auto crashed = std::chrono::steady_clock::now();
  CHECK(leases.holder() == "a");
  REQUIRE(eventually([&] { return b.is_leader(); }, 5s));
  auto took = std::chrono::steady_clock::now() - crashed;
  CHECK(took >= 1000ms);
  // The Lease advertises the duration rounded up to whole seconds (2 s). b tries again the moment
  // the lease it observed expires: at most that plus one attempt interval (110 ms) after a's last
  // renew, which came before the crash.
  CHECK(took <= 2000ms + 110ms + 150ms);
  run_b.request_stop();
}

TEST_CASE("a renew stuck on a dead connection: the leader stops acting at the renew deadline") {
  FakeLeases leases;
  FakeApiServer server([&](const FakeRequest& r) { return leases.handle(r); });
  ClusterConfig config;
  config.server = server.url();
  config.qps = 0;  // and no request timeout: the elector must bound its own requests
  std::atomic<int> started{0}, stopped{0};
  std::atomic<std::int64_t> acting_until_ms{0};
  auto c = fast("a", started, stopped);
  c.exit_on_loss = true;
  auto fence = std::make_shared<WriteFence>();
  c.write_fence = fence;
  std::atomic<bool> fence_open_at_start{false};
  auto t0 = std::chrono::steady_clock::now();
  auto since_t0 = [t0] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
  };
  c.on_started_leading = [&](std::stop_token lead) {
    ++started;
    fence_open_at_start = fence->remaining().has_value();
    while (!lead.stop_requested()) std::this_thread::sleep_for(1ms);
    acting_until_ms = since_t0();
  };
  LeaderElector a(Client(config), c);
  std::atomic<bool> returned{false};
  std::jthread run_a([&](std::stop_token stop) {
    a.run(stop);
    returned = true;
  });
  REQUIRE(eventually([&] { return a.is_leader(); }, 3s));
  std::this_thread::sleep_for(300ms);  // a few successful renews
  auto hung_at = since_t0();
  leases.hang(true);
  // The last renew that succeeded started at most one retry period (100 ms) before the hang, so
  // acting must end by hung_at + 1000 ms; allow scheduling slack, but stay well under the
  // 1500 ms after which another candidate could take the lease.
  REQUIRE(eventually([&] { return acting_until_ms.load() > 0; }, 3s));
  CHECK(acting_until_ms.load() - hung_at <= 1250);
  CHECK(acting_until_ms.load() - hung_at >= 700);
  CHECK_FALSE(a.is_leader());
  // The fence opened with the term and closed when it ended (by its own deadline, at the latest
  // when the watchdog stopped the work).
  CHECK(fence_open_at_start.load());
  CHECK_FALSE(fence->remaining().has_value());
  // The stuck PUT times out (a quarter of the renew deadline), so run() gives up promptly.
  CHECK(eventually([&] { return returned.load(); }, 2s));
  CHECK(stopped == 1);
  leases.hang(false);
}
