// Reflector/Informer against a FAKE API server (support/fake_api_server.hpp) that scripts a
// list, a watch, an expired resourceVersion and a relist.
#include "pkg/kube/informer.hpp"
#include "support/fake_api_server.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <thread>

using namespace kb::kube;
using namespace kb::kube::testing;
using namespace std::chrono_literals;

namespace {
std::string pod(const std::string& name, const std::string& rv, const std::string& owner = "owner-1") {
  return R"({"metadata":{"name":")" + name + R"(","namespace":"ns","resourceVersion":")" + rv +
         R"(","ownerReferences":[{"uid":")" + owner + R"("}],"managedFields":[{"manager":"big"}]}})";
}
std::string event(const std::string& type, const std::string& object) {
  return R"({"type":")" + type + R"(","object":)" + object + "}\n";
}
std::string list(const std::string& rv, const std::vector<std::string>& items) {
  std::string out = R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":")" + rv + R"("},"items":[)";
  for (std::size_t i = 0; i < items.size(); ++i) out += (i ? "," : "") + items[i];
  return out + "]}";
}

// A client configuration for the fake server, without client-side rate limiting.
ClusterConfig config_for(const FakeApiServer& server) {
  ClusterConfig config;
  config.server = server.url();
  config.qps = 0;
  return config;
}

template <class Predicate>
bool eventually(Predicate p, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (p()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return p();
}
}  // namespace

TEST_CASE("list, watch, resume from the last resourceVersion, relist after 410, handlers see it all") {
  std::atomic<int> lists{0};
  std::mutex mutex;
  std::vector<std::string> watch_rvs;
  FakeApiServer server([&](const FakeRequest& r) {
    if (r.query_param("watch").empty()) {
      if (++lists == 1) return FakeResponse::json(200, list("10", {pod("p1", "8"), pod("p2", "9")}));
      return FakeResponse::json(200, list("20", {pod("p1", "18"), pod("p4", "19", "owner-2")}));
    }
    std::string rv = r.query_param("resourceVersion");
    {
      std::lock_guard lock(mutex);
      watch_rvs.push_back(rv);
    }
    FakeResponse response;
    if (rv == "10") {
      std::string body = event("MODIFIED", pod("p1", "11")) + event("ADDED", pod("p3", "12")) +
                         event("DELETED", pod("p2", "13")) +
                         event("BOOKMARK", R"({"metadata":{"resourceVersion":"14"}})");
      response.chunks = {body.substr(0, 50), body.substr(50)};  // the watch ends: the server's timeout
    } else if (rv == "14") {
      response.chunks = {event("ERROR", R"({"kind":"Status","code":410,"reason":"Expired","message":"too old"})")};
    } else {
      response.hold_open = true;
    }
    return response;
  });
  ClusterConfig config = config_for(server);
  std::mutex log_mutex;
  std::vector<std::string> log;
  Informer informer(Client(config), {.collection = refs::pods("ns"), .min_watch_timeout_seconds = 5});
  informer.store().add_index("owner", index_by_owner_uid());
  auto name = [](const ObjectPtr& o) { return std::string(o->at("metadata").at("name").as_string()); };
  informer.add_handlers({
      .on_add =
          [&](const ObjectPtr& o) {
            std::lock_guard l(log_mutex);
            log.push_back("add " + name(o));
          },
      .on_update =
          [&](const ObjectPtr&, const ObjectPtr& o) {
            std::lock_guard l(log_mutex);
            log.push_back("update " + name(o));
          },
      .on_delete =
          [&](const ObjectPtr& o) {
            std::lock_guard l(log_mutex);
            log.push_back("delete " + name(o));
          },
  });
  CHECK_FALSE(informer.has_synced());
  informer.start();
  REQUIRE(informer.wait_for_sync(5s));
  REQUIRE(eventually([&] {
    std::lock_guard lock(mutex);
    return informer.last_resource_version() == "20" && informer.store().get("ns/p4") && watch_rvs.size() >= 3;
  }));
  informer.stop();

  CHECK(informer.store().keys() == std::vector<std::string>{"ns/p1", "ns/p4"});
  CHECK(informer.store().by_index("owner", "owner-2").size() == 1);
  CHECK_FALSE(informer.store().get("ns/p1")->at("metadata").as_object().contains("managedFields"));
  std::lock_guard lock(log_mutex);
  CHECK(log == std::vector<std::string>{"add p1", "add p2", "update p1", "add p3", "delete p2",
                                        // the relist: p1 changed, p3 vanished while we were not watching, p4 appeared
                                        "update p1", "add p4", "delete p3"});
  std::lock_guard l2(mutex);
  REQUIRE(watch_rvs.size() >= 3);
  CHECK(watch_rvs[0] == "10");
  CHECK(watch_rvs[1] == "14");  // resumed from the bookmark, no relist
  CHECK(watch_rvs[2] == "20");  // after the relist
  CHECK(lists == 2);
}

TEST_CASE("resync replays every cached object as an update") {
  FakeApiServer server([](const FakeRequest& r) {
    if (r.query_param("watch").empty()) return FakeResponse::json(200, list("5", {pod("a", "1"), pod("b", "2")}));
    FakeResponse response;
    response.hold_open = true;
    return response;
  });
  ClusterConfig config = config_for(server);
  std::atomic<int> updates{0};
  Informer informer(Client(config), {.collection = refs::pods("ns"), .resync_period = 100ms});
  informer.add_handlers({.on_update = [&](const ObjectPtr&, const ObjectPtr&) { ++updates; }});
  informer.start();
  CHECK(eventually([&] { return updates >= 4; }));
  informer.stop();
}

TEST_CASE("list errors are reported and retried with back-off") {
  std::atomic<int> calls{0};
  FakeApiServer server([&](const FakeRequest& r) {
    if (r.query_param("watch").empty() && ++calls < 3)
      return FakeResponse::json(500, status_json(500, "InternalError", "etcd is sad"));
    if (r.query_param("watch").empty()) return FakeResponse::json(200, list("5", {}));
    FakeResponse response;
    response.hold_open = true;
    return response;
  });
  ClusterConfig config = config_for(server);
  std::atomic<int> errors{0};
  Informer informer(Client(config), {.collection = refs::pods("ns"), .on_error = [&](const std::string& m) {
                                       CHECK(m.find("etcd is sad") != std::string::npos);
                                       ++errors;
                                     }});
  informer.start();
  CHECK(informer.wait_for_sync(10s));
  informer.stop();
  CHECK(errors == 2);
}

TEST_CASE("a watch that delivered events starts the back-off over: the next outage is met quickly") {
  // Five failed lists grow the back-off (20, 40, 80, 160, 320 ms); then a list and a watch that
  // delivers an event and fails. The reconnect after it waits the base delay, not 640 ms.
  std::atomic<int> lists{0}, watches{0};
  std::mutex mutex;
  std::vector<std::chrono::steady_clock::time_point> watch_times;
  FakeApiServer server([&](const FakeRequest& r) {
    if (r.query_param("watch").empty()) {
      if (++lists <= 5) return FakeResponse::json(500, status_json(500, "InternalError", "etcd is sad"));
      return FakeResponse::json(200, list("5", {pod("a", "4")}));
    }
    {
      std::lock_guard lock(mutex);
      watch_times.push_back(std::chrono::steady_clock::now());
    }
    FakeResponse response;
    if (++watches == 1) {
      response.chunks = {event("MODIFIED", pod("a", "6")) +
                         event("ERROR", R"({"kind":"Status","code":500,"reason":"InternalError","message":"cut"})")};
    } else {
      response.hold_open = true;
    }
    return response;
  });
  ClusterConfig config = config_for(server);
  Informer informer(Client(config),
                    {.collection = refs::pods("ns"), .backoff_base = 20ms, .backoff_max = 5000ms, .on_error = {}});
  informer.start();
  REQUIRE(eventually([&] { return watches >= 2; }));
  informer.stop();
  std::lock_guard lock(mutex);
  auto gap = std::chrono::duration_cast<std::chrono::milliseconds>(watch_times[1] - watch_times[0]);
  CHECK(gap < 250ms);  // base 20 ms (+-50 %); without the reset: 640 ms (+-50 %)
  CHECK(lists == 6);
}
