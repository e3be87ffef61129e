// The REAL kube-apiserver of the local cluster is stopped and started again under an informer: the
// informer reconnects on its own and its handlers see every change made after the restart exactly
// once, and its store ends equal to the server's. (watch_test.cpp plays finer-grained cuts with a
// TCP proxy; this one uses the real process.)
#include "pkg/kube/informer.hpp"
#include "support/cluster.hpp"

#include <doctest/doctest.h>

#include <csignal>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

std::string cluster_dir() {
  const char* dir = std::getenv("LOCAL_CLUSTER_DIR");
  return dir && *dir ? dir : std::string(KB_SOURCE_DIR) + "/.local-cluster";
}

pid_t apiserver_pid() {
  std::ifstream in(cluster_dir() + "/run/kube-apiserver.pid");
  pid_t pid = 0;
  in >> pid;
  return pid;
}

json::value config_map(const std::string& ns, const std::string& name, const std::string& value) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", {{"kb-restart", "yes"}}}}},
                      {"data", {{"v", value}}}};
}

std::string value_of(const ObjectPtr& object) { return std::string(object->at("data").at("v").as_string()); }

}  // namespace

TEST_CASE("an informer survives a real API server restart: every later change seen once, store correct") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "a", "1"));
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "b", "1"));

  ClusterConfig config = admin_config();
  config.request_timeout = 5s;
  config.connect_timeout = 2s;
  Informer informer(Client(config), {.collection = refs::config_maps(ns.name()), .label_selector = "kb-restart=yes"});
  std::mutex mutex;
  std::map<std::string, int> seen;  // "add c", "update a 3", "delete b" -> count
  informer.add_handlers(
      {.on_add =
           [&](const ObjectPtr& o) {
             std::lock_guard lock(mutex);
             ++seen["add " + std::string(o->at("metadata").at("name").as_string())];
           },
       .on_update =
           [&](const ObjectPtr& old_object, const ObjectPtr& o) {
             if (value_of(old_object) == value_of(o)) return;  // resync or relist of an unchanged object
             std::lock_guard lock(mutex);
             ++seen["update " + std::string(o->at("metadata").at("name").as_string()) + " " + value_of(o)];
           },
       .on_delete =
           [&](const ObjectPtr& o) {
             std::lock_guard lock(mutex);
             ++seen["delete " + std::string(o->at("metadata").at("name").as_string())];
           }});
  informer.start();
  REQUIRE(informer.wait_for_sync(10s));

  pid_t pid = apiserver_pid();
  REQUIRE(pid > 0);
  REQUIRE(::kill(pid, SIGKILL) == 0);  // a crash: the hardest case for clients
  REQUIRE(eventually([&] { return ::kill(pid, 0) != 0; }, 60s));
  std::string up = std::string(KB_SOURCE_DIR) + "/hack/local-cluster.sh up >/dev/null 2>&1";
  REQUIRE(std::system(up.c_str()) == 0);
  REQUIRE(eventually(
      [&] {
        try {
          admin.get(refs::namespaces(ns.name()));
          return true;
        } catch (const std::exception&) {
          return false;
        }
      },
      60s));

  // Changes right after the restart, while the informer may still be reconnecting.
  admin.create(refs::config_maps(ns.name()), config_map(ns.name(), "c", "1"));
  admin.patch(refs::config_maps(ns.name(), "a"), PatchType::Merge, json::object{{"data", {{"v", "3"}}}});
  admin.remove(refs::config_maps(ns.name(), "b"));

  auto complete = [&] {
    std::lock_guard lock(mutex);
    return seen.count("add c") && seen.count("update a 3") && seen.count("delete b");
  };
  REQUIRE(eventually(complete, 60s));
  std::this_thread::sleep_for(1s);  // anything repeated would arrive now
  informer.stop();

  std::lock_guard lock(mutex);
  CHECK(seen["add c"] == 1);
  CHECK(seen["update a 3"] == 1);
  CHECK(seen["delete b"] == 1);
  CHECK(seen["add a"] == 1);  // the initial list only, never again
  CHECK(informer.store().size() == 2);
  REQUIRE(informer.store().get(ns.name() + "/a"));
  CHECK(value_of(informer.store().get(ns.name() + "/a")) == "3");
  CHECK(informer.store().get(ns.name() + "/b") == nullptr);
}
