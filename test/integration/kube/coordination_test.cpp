// Leader election handover and Event aggregation against the REAL local cluster.
#include "pkg/kube/event_recorder.hpp"
#include "pkg/kube/leader_elector.hpp"
#include "support/cluster.hpp"

#include <doctest/doctest.h>

#include <mutex>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
LeaderElectionConfig quick(const std::string& ns, const std::string& id) {
  LeaderElectionConfig c;
  c.lease_namespace = ns;
  c.lease_name = "kb-it-lock";
  c.identity = id;
  c.lease_duration = 4s;
  c.renew_deadline = 3s;
  c.retry_period = 500ms;
  c.on_started_leading = [](std::stop_token lead) {
    while (!lead.stop_requested()) std::this_thread::sleep_for(10ms);
  };
  return c;
}
std::string holder(const Client& client, const std::string& ns) {
  auto lease = client.get(refs::leases(ns, "kb-it-lock"));
  auto* h = lease.at("spec").as_object().if_contains("holderIdentity");
  return h && h->is_string() ? std::string(h->as_string()) : "";
}
}  // namespace

TEST_CASE("Lease handover between two electors") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  std::mutex log_mutex;
  std::vector<std::string> log;
  auto logged = [&](std::string who, LeaderElectionConfig c) {
    c.on_error = [&, who](const std::string& m) {
      std::lock_guard l(log_mutex);
      log.push_back(who + ": " + m);
    };
    c.on_new_leader = [&, who](const std::string& m) {
      std::lock_guard l(log_mutex);
      log.push_back(who + " sees leader " + m);
    };
    return c;
  };
  auto dump = [&] {
    std::lock_guard l(log_mutex);
    std::string s;
    for (auto& line : log) s += line + "\n";
    return s;
  };
  LeaderElector first(admin_client(), logged("first", quick(ns.name(), "first")));
  LeaderElector second(admin_client(), logged("second", quick(ns.name(), "second")));
  // The threads use their own stop tokens, so a failed REQUIRE still stops and joins them.
  std::jthread run_first([&](std::stop_token stop) { first.run(stop); });
  REQUIRE(eventually([&] { return first.is_leader(); }, 10s));
  std::jthread run_second([&](std::stop_token stop) { second.run(stop); });
  std::this_thread::sleep_for(5s);  // more than a lease duration: the leader keeps renewing
  INFO(dump());
  CHECK(first.is_leader());
  CHECK_FALSE(second.is_leader());
  CHECK(holder(admin, ns.name()) == "first");

  auto handover = std::chrono::steady_clock::now();
  run_first.request_stop();
  run_first.join();
  CHECK(holder(admin, ns.name()).empty());  // released
  REQUIRE_MESSAGE(eventually([&] { return second.is_leader(); }, 10s), dump());
  CHECK(std::chrono::steady_clock::now() - handover < 3s);  // released, not expired
  CHECK(holder(admin, ns.name()) == "second");
  auto lease = admin.get(refs::leases(ns.name(), "kb-it-lock"));
  CHECK(lease.at("spec").at("leaseTransitions").as_int64() >= 1);
  run_second.request_stop();
  run_second.join();
  CHECK(holder(admin, ns.name()).empty());
}

TEST_CASE("EventRecorder aggregates repeats into one Event") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  json::value cm = admin.create(
      refs::config_maps(ns.name()),
      json::object{
          {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "subject"}, {"namespace", ns.name()}}}});
  {
    EventRecorder recorder(admin, {.controller = "kubectl-bitcoin.test/kube-it", .instance = "it-0"});
    for (int i = 0; i < 3; ++i) recorder.record(cm, EventKind::Normal, "Tested", "Test", "repeated note");
    recorder.record(cm, EventKind::Warning, "Other", "Test", "different");
    recorder.flush();
    CHECK(recorder.posted() == 4);
    CHECK(recorder.aggregated() == 2);
  }
  auto events = admin.list(refs::events(ns.name())).items;
  REQUIRE(events.size() == 2);
  bool found = false;
  for (auto& e : events) {
    if (e.at("reason") != "Tested") continue;
    found = true;
    CHECK(e.at("series").at("count") == 3);
    CHECK(e.at("regarding").at("name") == "subject");
    CHECK(e.at("reportingController") == "kubectl-bitcoin.test/kube-it");
  }
  CHECK(found);
}
