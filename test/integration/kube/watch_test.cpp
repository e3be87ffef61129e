// Watches and informers against the REAL local cluster. "The API server went away" is played by a
// TCP proxy in front of it (support/cluster.hpp) that the test cuts: the cluster itself is left alone.
#include "pkg/kube/informer.hpp"
#include "support/cluster.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <mutex>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
json::value config_map(const std::string& ns, const std::string& name, const std::string& value) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"kb-watch", "yes"}}}}},
                      {"data", {{"v", value}}}};
}

ClusterConfig through(const TcpProxy& proxy) {
  ClusterConfig c = admin_config();
  c.server = "https://127.0.0.1:" + std::to_string(proxy.port());
  c.request_timeout = 5s;
  c.connect_timeout = 2s;
  return c;
}

int apiserver_port() {
  std::string server = admin_config().server;
  return std::stoi(server.substr(server.rfind(':') + 1));
}

struct Recorder {
  std::mutex mutex;
  std::vector<std::string> events;  // "TYPE name rv"
  std::map<std::string, int> seen;  // "TYPE name rv" -> count
  void add(const WatchEvent& e) {
    std::string line = std::string(to_string(e.type)) + " " +
                       std::string(e.object.at("metadata").at("name").as_string()) + " " +
                       resource_version_of(e.object);
    std::lock_guard lock(mutex);
    events.push_back(line);
    ++seen[line];
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return events.size();
  }
};
}  // namespace

TEST_CASE("a watch survives a dropped connection and resumes without missing or repeating events") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  TcpProxy proxy("127.0.0.1", apiserver_port());
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "a", "1"));
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "b", "1"));

  Recorder recorder;
  std::atomic<int> replaces{0};
  std::vector<std::string> errors;
  Reflector reflector(Client(through(proxy)),
                      {.collection = refs::config_maps(ns.name()),
                       .label_selector = "kb-watch=yes",
                       .backoff_base = 200ms,
                       .backoff_max = 1000ms},
                      {.replace =
                           [&](std::vector<json::value>&& items, const std::string&) {
                             ++replaces;
                             CHECK(items.size() == 2);
                           },
                       .apply = [&](WatchEvent&& e) { recorder.add(e); },
                       .on_error = [&](const std::string& m) { errors.push_back(m); }});
  std::jthread thread([&](std::stop_token stop) { reflector.run(stop); });
  REQUIRE(eventually([&] { return reflector.watch_count() >= 1 && replaces == 1; }, 10s));
  std::this_thread::sleep_for(300ms);  // let the watch request reach the server

  admin.patch(refs::config_maps(ns.name(), "a"), PatchType::Merge, json::object{{"data", {{"v", "2"}}}});
  REQUIRE(eventually([&] { return recorder.size() == 1; }, 10s));

  // The server "restarts": every connection is cut and nobody answers for a while.
  proxy.set_refusing(true);
  proxy.sever();
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "c", "1"));
  admin.patch(refs::config_maps(ns.name(), "a"), PatchType::Merge, json::object{{"data", {{"v", "3"}}}});
  admin.remove(refs::config_maps(ns.name(), "b"));
  std::this_thread::sleep_for(1500ms);
  proxy.set_refusing(false);

  REQUIRE(eventually([&] { return recorder.size() == 4; }, 20s));
  std::this_thread::sleep_for(500ms);
  thread.request_stop();
  thread.join();

  std::lock_guard lock(recorder.mutex);
  INFO("events: " << [&] {
    std::string s;
    for (auto& e : recorder.events) s += e + "; ";
    return s;
  }());
  REQUIRE(recorder.events.size() == 4);
  CHECK(recorder.events[0].starts_with("MODIFIED a"));
  CHECK(recorder.events[1].starts_with("ADDED c"));
  CHECK(recorder.events[2].starts_with("MODIFIED a"));
  CHECK(recorder.events[3].starts_with("DELETED b"));
  for (auto& [line, count] : recorder.seen) CHECK(count == 1);
  CHECK(replaces == 1);  // resumed from the resourceVersion, no relist
  CHECK(proxy.accepted() >= 2);
  CHECK_FALSE(errors.empty());  // the cut was noticed and reported
}

TEST_CASE("a resourceVersion older than the API server's watch cache is Gone (410 Expired)") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  std::string old_rv =
      resource_version_of(admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "before-the-crd", "1")));
  // A fresh CRD gets a fresh watch cache that starts after old_rv; etcd is compacted as well.
  const std::string group = unique_test_group();
  ResourceRef widgets = install_widget_crd(admin, group).in(ns.name());
  compact_etcd();
  try {
    admin.watch(widgets, {.resource_version = old_rv, .timeout_seconds = 5}, [](const WatchEvent& e) {
      MESSAGE("unexpected event " << to_string(e.type));
      return true;
    });
    FAIL("expected 410 Gone");
  } catch (const ApiError& e) {
    CHECK(is_gone(e));
    CHECK(is_resource_expired(e));
  }
  uninstall_widget_crd(admin, group);
}

TEST_CASE("informer: an expired resourceVersion after a long disconnect triggers a relist that ends right") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  const std::string group = unique_test_group();
  ResourceRef widgets = install_widget_crd(admin, group).in(ns.name());
  auto widget = [&](const std::string& name, int replicas) {
    return json::value{{"apiVersion", group + "/v1"},
                       {"kind", "Widget"},
                       {"metadata", {{"name", name}, {"namespace", ns.name()}}},
                       {"spec", {{"replicas", replicas}}}};
  };
  for (int i = 0; i < 5; ++i) admin.create(widgets, widget("w" + std::to_string(i), i));

  TcpProxy proxy("127.0.0.1", apiserver_port());
  std::mutex mutex;
  std::map<std::string, std::int64_t> seen;  // maintained from handler calls only
  std::vector<std::string> deletions;
  Informer informer(
      Client(through(proxy)),
      {.collection = widgets, .min_watch_timeout_seconds = 5, .backoff_base = 200ms, .backoff_max = 2000ms});
  auto record = [&](const ObjectPtr& o) {
    std::lock_guard lock(mutex);
    seen[std::string(o->at("metadata").at("name").as_string())] = o->at("spec").at("replicas").as_int64();
  };
  informer.add_handlers({.on_add = record,
                         .on_update = [&](const ObjectPtr&, const ObjectPtr& o) { record(o); },
                         .on_delete =
                             [&](const ObjectPtr& o) {
                               std::lock_guard lock(mutex);
                               std::string name(o->at("metadata").at("name").as_string());
                               seen.erase(name);
                               deletions.push_back(name);
                             }});
  informer.start();
  REQUIRE(informer.wait_for_sync(10s));
  CHECK(informer.store().size() == 5);

  // While we are cut off, the resource is deleted and recreated (a new watch cache on the server,
  // so our resourceVersion is expired there), objects change, and etcd is compacted.
  proxy.set_refusing(true);
  proxy.sever();
  uninstall_widget_crd(admin, group);
  install_widget_crd(admin, group);
  admin.create(widgets, widget("w1", 10));
  admin.create(widgets, widget("w9", 9));
  compact_etcd();
  proxy.set_refusing(false);

  std::map<std::string, std::int64_t> expected{{"w1", 10}, {"w9", 9}};
  REQUIRE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return seen == expected;
      },
      60s));
  CHECK(informer.store().keys() == std::vector<std::string>{ns.name() + "/w1", ns.name() + "/w9"});
  CHECK(informer.reflector().list_count() >= 2);  // relisted
  {
    std::lock_guard lock(mutex);
    std::sort(deletions.begin(), deletions.end());
    CHECK(deletions == std::vector<std::string>{"w0", "w2", "w3", "w4"});  // w1 came back: an update, not a delete
  }
  informer.stop();
  uninstall_widget_crd(admin, group);
}

TEST_CASE("informer: the store follows the server through a cut and an etcd compaction") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  TcpProxy proxy("127.0.0.1", apiserver_port());
  for (int i = 0; i < 5; ++i)
    admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "cm" + std::to_string(i), "0"));

  std::mutex mutex;
  std::map<std::string, std::string> seen;  // name -> value, maintained from handler calls only
  Informer informer(
      Client(through(proxy)),
      {.collection = refs::config_maps(ns.name()), .label_selector = "kb-watch=yes", .min_watch_timeout_seconds = 5});
  auto record = [&](const ObjectPtr& o) {
    std::lock_guard lock(mutex);
    seen[std::string(o->at("metadata").at("name").as_string())] = std::string(o->at("data").at("v").as_string());
  };
  informer.add_handlers({.on_add = record,
                         .on_update = [&](const ObjectPtr&, const ObjectPtr& o) { record(o); },
                         .on_delete =
                             [&](const ObjectPtr& o) {
                               std::lock_guard lock(mutex);
                               seen.erase(std::string(o->at("metadata").at("name").as_string()));
                             }});
  informer.start();
  REQUIRE(informer.wait_for_sync(10s));
  CHECK(informer.store().size() == 5);
  CHECK_FALSE(informer.store().get(ns.name() + "/cm0")->at("metadata").as_object().contains("managedFields"));

  proxy.set_refusing(true);
  proxy.sever();
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 5; ++i)
      admin.patch(refs::config_maps(ns.name(), "cm" + std::to_string(i)), PatchType::Merge,
                  json::object{{"data", {{"v", std::to_string(round + 1)}}}});
  admin.remove(refs::config_maps(ns.name(), "cm4"));
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "cm5", "new"));
  compact_etcd();
  proxy.set_refusing(false);

  auto expected =
      std::map<std::string, std::string>{{"cm0", "3"}, {"cm1", "3"}, {"cm2", "3"}, {"cm3", "3"}, {"cm5", "new"}};
  REQUIRE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return seen == expected;
      },
      30s));
  std::vector<std::string> keys;
  for (auto& [name, value] : expected) keys.push_back(ns.name() + "/" + name);
  CHECK(informer.store().keys() == keys);
  MESSAGE(
      "lists: " << informer.reflector().list_count() << ", watches: " << informer.reflector().watch_count()
                << " (a relist happens only when the API server's watch cache no longer holds our resourceVersion)");
  informer.stop();
}
