#include "pkg/kube/store.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <thread>

using namespace kb::kube;
namespace json = boost::json;

namespace {
ObjectPtr pod(const std::string& ns, const std::string& name, const std::string& owner = "",
              const std::string& app = "") {
  json::object meta{{"name", name}, {"namespace", ns}};
  if (!owner.empty())
    meta["ownerReferences"] = json::array{json::object{{"uid", owner}, {"controller", true}, {"kind", "StatefulSet"}}};
  if (!app.empty()) meta["labels"] = json::object{{"app", app}};
  return std::make_shared<const json::value>(json::object{{"kind", "Pod"}, {"metadata", std::move(meta)}});
}
}  // namespace

TEST_CASE("keys, get, list by namespace") {
  Store store;
  CHECK(store.upsert(pod("a", "p1")) == nullptr);
  store.upsert(pod("a", "p2"));
  store.upsert(pod("b", "p1"));
  store.upsert(std::make_shared<const json::value>(json::object{{"metadata", {{"name", "cluster-scoped"}}}}));
  CHECK(store.size() == 4);
  CHECK(store.get("a/p1") != nullptr);
  CHECK(store.get("b", "p1") != nullptr);
  CHECK(store.get("cluster-scoped") != nullptr);
  CHECK(store.get("c/p1") == nullptr);
  CHECK(store.list_namespace("a").size() == 2);
  CHECK(store.keys() == std::vector<std::string>{"a/p1", "a/p2", "b/p1", "cluster-scoped"});
  auto old = store.upsert(pod("a", "p1", "u1"));
  REQUIRE(old != nullptr);
  CHECK(store.erase("a/p1") != nullptr);
  CHECK(store.erase("a/p1") == nullptr);
}

TEST_CASE("indexes by owner and label follow updates, deletes and replace") {
  Store store;
  store.add_index("owner", index_by_owner_uid());
  store.add_index("controller", index_by_controller_uid());
  store.upsert(pod("a", "p1", "u1", "x"));
  store.add_index("app", index_by_label("app"));  // added late: indexes what is there
  store.upsert(pod("a", "p2", "u1", "y"));
  CHECK(store.by_index("owner", "u1").size() == 2);
  CHECK(store.by_index("controller", "u1").size() == 2);
  CHECK(store.by_index("app", "x").size() == 1);
  store.upsert(pod("a", "p2", "u2", "x"));  // owner and label changed
  CHECK(store.by_index("owner", "u1").size() == 1);
  CHECK(store.by_index("owner", "u2").size() == 1);
  CHECK(store.by_index("app", "x").size() == 2);
  CHECK(store.index_values("app") == std::vector<std::string>{"x"});
  store.erase("a/p1");
  CHECK(store.by_index("owner", "u1").empty());
  auto removed = store.replace({pod("a", "p3", "u3")});
  CHECK(removed.size() == 1);
  CHECK(store.by_index("owner", "u2").empty());
  CHECK(store.by_index("owner", "u3").size() == 1);
  CHECK(store.by_index("nope", "x").empty());
}

TEST_CASE("drop_managed_fields removes the bulk") {
  json::value object = json::parse(R"({"metadata":{"name":"a","managedFields":[{"manager":"x"}],
    "annotations":{"kubectl.kubernetes.io/last-applied-configuration":"{...}"}},"spec":{}})");
  drop_managed_fields(object);
  CHECK(object == json::parse(R"({"metadata":{"name":"a"},"spec":{}})"));
}

TEST_CASE("concurrent readers and writers see whole objects") {
  Store store;
  store.add_index("owner", index_by_owner_uid());
  std::atomic<bool> stop{false};
  std::atomic<long> reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop) {
        for (auto& object : store.by_index("owner", "u")) CHECK(object->at("metadata").at("name").is_string());
        store.list();
        ++reads;
      }
    });
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < 2; ++w) {
    writers.emplace_back([&, w] {
      for (int i = 0; i < 2000; ++i) {
        std::string name = "p" + std::to_string(i % 50);
        store.upsert(pod("ns" + std::to_string(w), name, i % 2 ? "u" : "v"));
        if (i % 7 == 0) store.erase("ns" + std::to_string(w) + "/" + name);
      }
    });
  }
  for (auto& t : writers) t.join();
  stop = true;
  for (auto& t : readers) t.join();
  // The index agrees with the objects after the storm.
  std::size_t owned = 0;
  for (auto& object : store.list()) owned += index_by_owner_uid()(*object) == std::vector<std::string>{"u"};
  CHECK(store.by_index("owner", "u").size() == owned);
  CHECK(reads > 0);
}
