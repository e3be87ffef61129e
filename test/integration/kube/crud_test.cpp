// CRUD, typed errors, pagination and server-side apply against the REAL local cluster.
#include "pkg/kube/client.hpp"
#include "support/cluster.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;

namespace {
json::value config_map(const std::string& ns, const std::string& name, json::object data, json::object labels = {}) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "ConfigMap"},
                      {"metadata", {{"name", name}, {"namespace", ns}, {"labels", std::move(labels)}}},
                      {"data", std::move(data)}};
}
std::string rv(const json::value& object) { return resource_version_of(object); }
}  // namespace

TEST_CASE("core CRUD with typed errors") {
  Client client = admin_client();
  TestNamespace ns(client);
  auto ref = refs::config_maps(ns.name(), "one");

  json::value created = client.create(ref.collection(), config_map(ns.name(), "one", {{"a", "1"}}));
  CHECK(created.at("data").at("a") == "1");
  try {
    client.create(ref.collection(), config_map(ns.name(), "one", {}));
    FAIL("expected AlreadyExists");
  } catch (const ApiError& e) {
    CHECK(is_already_exists(e));
    CHECK(e.code() == 409);
  }

  json::value fetched = client.get(ref);
  fetched.at("data").as_object()["a"] = "2";
  json::value updated = client.update(ref, fetched);
  CHECK(updated.at("data").at("a") == "2");
  CHECK(rv(updated) != rv(created));

  // Writing the stale copy again: 409 Conflict, typed.
  json::value stale = created;
  stale.at("data").as_object()["a"] = "3";
  try {
    client.update(ref, stale);
    FAIL("expected Conflict");
  } catch (const ApiError& e) {
    CHECK(is_conflict(e));
    CHECK_FALSE(is_already_exists(e));
    CHECK(e.reason() == "Conflict");
  }

  json::value patched = client.patch(ref, PatchType::Merge, json::object{{"data", {{"b", "x"}}}});
  CHECK(patched.at("data").at("b") == "x");
  patched = client.patch(ref, PatchType::Json, json::array{json::object{{"op", "remove"}, {"path", "/data/b"}}});
  CHECK_FALSE(patched.at("data").as_object().contains("b"));
  patched = client.patch(ref, PatchType::StrategicMerge, json::object{{"metadata", {{"labels", {{"l", "v"}}}}}});
  CHECK(patched.at("metadata").at("labels").at("l") == "v");

  // Dry run: validated and answered, not stored.
  client.create(ref.collection(), config_map(ns.name(), "dry", {}), {.dry_run = true});
  CHECK_FALSE(client.get_if_exists(refs::config_maps(ns.name(), "dry")));

  // Invalid carries the field causes.
  try {
    client.create(ref.collection(), config_map(ns.name(), "Not_A_Valid_Name", {}));
    FAIL("expected Invalid");
  } catch (const ApiError& e) {
    CHECK(is_invalid(e));
    REQUIRE_FALSE(e.causes().empty());
    CHECK(e.causes()[0].field == "metadata.name");
  }

  // Delete with a wrong UID precondition is refused; with the right one it goes.
  try {
    client.remove(ref, {.precondition_uid = "00000000-0000-0000-0000-000000000000"});
    FAIL("expected a precondition failure");
  } catch (const ApiError& e) {
    CHECK(is_conflict(e));
  }
  client.remove(ref, {.propagation_policy = "Foreground",
                      .precondition_uid = std::string(patched.at("metadata").at("uid").as_string())});
  CHECK(eventually([&] { return !client.get_if_exists(ref); }, std::chrono::seconds(10)));
  try {
    client.get(ref);
    FAIL("expected NotFound");
  } catch (const ApiError& e) {
    CHECK(is_not_found(e));
  }
}

TEST_CASE("list with selectors and pagination") {
  Client client = admin_client();
  TestNamespace ns(client);
  for (int i = 0; i < 7; ++i)
    client.create(refs::config_maps(ns.name()),
                  config_map(ns.name(), "cm-" + std::to_string(i), {}, {{"kb-page", i % 2 ? "odd" : "even"}}));
  ListResult all = client.list(refs::config_maps(ns.name()), {.label_selector = "kb-page", .limit = 3});
  CHECK(all.items.size() == 7);
  CHECK_FALSE(all.resource_version.empty());
  CHECK(all.items[0].at("kind") == "ConfigMap");
  ListResult page = client.list_page(refs::config_maps(ns.name()), {.label_selector = "kb-page", .limit = 3});
  CHECK(page.items.size() == 3);
  CHECK_FALSE(page.continue_token.empty());
  CHECK(client.list(refs::config_maps(ns.name()), {.label_selector = "kb-page=odd"}).items.size() == 3);
  CHECK(client.list(refs::config_maps(ns.name()), {.field_selector = "metadata.name=cm-4"}).items.size() == 1);
}

TEST_CASE("server-side apply: the second identical apply changes nothing; conflicts are typed; force takes over") {
  Client client = admin_client();
  TestNamespace ns(client);
  auto ref = refs::config_maps(ns.name(), "applied");
  json::value desired = config_map(ns.name(), "applied", {{"k", "v"}});
  json::value first = client.apply(ref, desired, {.field_manager = "kubectl-bitcoin"});
  json::value second = client.apply(ref, desired, {.field_manager = "kubectl-bitcoin"});
  CHECK(rv(first) == rv(second));

  json::value other = config_map(ns.name(), "applied", {{"k", "theirs"}});
  try {
    client.apply(ref, other, {.field_manager = "someone-else"});
    FAIL("expected an apply conflict");
  } catch (const ApiError& e) {
    CHECK(is_conflict(e));
    CHECK_FALSE(e.causes().empty());  // one cause per conflicting field
  }
  json::value forced = client.apply(ref, other, {.field_manager = "someone-else", .force = true});
  CHECK(forced.at("data").at("k") == "theirs");

  // dryRun apply does not persist.
  client.apply(ref, config_map(ns.name(), "applied", {{"k", "dry"}}),
               {.field_manager = "someone-else", .force = true, .dry_run = true});
  CHECK(client.get(ref).at("data").at("k") == "theirs");
}

TEST_CASE("raw requests: version and a 404 path") {
  Client client = admin_client();
  auto version = json::parse(client.request("GET", "/version"));
  CHECK(version.at("major").is_string());
  RawResponse missing = client.raw({.path = "/apis/no.such.group/v1"});
  CHECK(missing.status == 404);
}
