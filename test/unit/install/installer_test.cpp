// Installer::install against a FAKE API server (test/unit/kube/support) fronting FakeCluster below:
// an in-memory map from URL path to object that answers discovery, GET, list by label, server-side
// apply (the body becomes the object; CRDs come back Established) and DELETE, and can be told to
// refuse one path. The server records every request, so the tests assert the order of the writes.
// Not Kubernetes: no defaulting, no field ownership, no admission.
#include "pkg/install/installer.hpp"

#include "test/unit/kube/support/fake_api_server.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <map>
#include <mutex>
#include <string>
#include <vector>

using namespace kb::install;
using kb::kube::testing::FakeApiServer;
using kb::kube::testing::FakeRequest;
using kb::kube::testing::FakeResponse;
using kb::kube::testing::status_json;
namespace json = boost::json;

namespace {

constexpr const char* kNamespace = "ns";

std::string resource_list(std::string_view group_version,
                          std::vector<std::tuple<const char*, const char*, bool>> kinds) {
  json::array resources;
  for (auto [name, kind, namespaced] : kinds) {
    resources.push_back({{"name", name},
                         {"kind", kind},
                         {"namespaced", namespaced},
                         {"verbs", json::array{"get", "list", "patch", "delete"}}});
  }
  return json::serialize(
      json::object{{"kind", "APIResourceList"}, {"groupVersion", group_version}, {"resources", std::move(resources)}});
}

bool labels_match(const json::value& object, std::string_view selector) {
  while (!selector.empty()) {
    auto comma = selector.find(',');
    auto term = selector.substr(0, comma);
    selector = comma == std::string_view::npos ? std::string_view{} : selector.substr(comma + 1);
    auto eq = term.find('=');
    if (kb::kube::label_of(object, term.substr(0, eq)) != term.substr(eq + 1)) return false;
  }
  return true;
}

class FakeCluster {
 public:
  FakeCluster() {
    objects_["/api/v1/namespaces/ns"] = {
        {"apiVersion", "v1"}, {"kind", "Namespace"}, {"metadata", {{"name", kNamespace}}}};
  }

  // Every request to `path` other than GET answers `status` with a Status naming `message`; with
  // `dry_runs_pass`, server-side dry runs still pass (a failure only the real write meets).
  void refuse_writes_to(std::string path, int status, std::string message, bool dry_runs_pass = false) {
    std::lock_guard lock(mutex_);
    refused_[std::move(path)] = {status, std::move(message)};
    dry_runs_pass_ = dry_runs_pass;
  }
  bool has(const std::string& path) const {
    std::lock_guard lock(mutex_);
    return objects_.contains(path);
  }

  FakeResponse answer(const FakeRequest& request) {
    if (request.path == "/api/v1")
      return FakeResponse::json(200, resource_list("v1", {{"namespaces", "Namespace", false},
                                                          {"serviceaccounts", "ServiceAccount", true},
                                                          {"secrets", "Secret", true},
                                                          {"configmaps", "ConfigMap", true},
                                                          {"services", "Service", true}}));
    if (request.path == "/apis/apiextensions.k8s.io/v1")
      return FakeResponse::json(200, resource_list("apiextensions.k8s.io/v1",
                                                   {{"customresourcedefinitions", "CustomResourceDefinition", false}}));
    std::lock_guard lock(mutex_);
    const bool dry_run = !request.query_param("dryRun").empty();
    if (request.method != "GET" && !(dry_run && dry_runs_pass_)) {
      if (auto it = refused_.find(request.path); it != refused_.end())
        return FakeResponse::json(it->second.first, status_json(it->second.first, "Forbidden", it->second.second));
    }
    if (request.method == "GET") {
      if (auto it = objects_.find(request.path); it != objects_.end())
        return FakeResponse::json(200, json::serialize(it->second));
      if (request.path.ends_with("/secrets")) return list(request);
      return FakeResponse::json(404, status_json(404, "NotFound", request.path + " not found"));
    }
    if (request.method == "PATCH") {
      json::value object = json::parse(request.body);
      if (dry_run) return FakeResponse::json(objects_.contains(request.path) ? 200 : 201, json::serialize(object));
      if (kb::kube::kind_of(object) == "CustomResourceDefinition") {
        object.as_object()["status"] = {{"conditions", json::array{{{"type", "Established"}, {"status", "True"}}}}};
      }
      const bool existed = objects_.contains(request.path);
      objects_[request.path] = object;
      return FakeResponse::json(existed ? 200 : 201, json::serialize(object));
    }
    if (request.method == "DELETE") {
      if (objects_.erase(request.path) == 0)
        return FakeResponse::json(404, status_json(404, "NotFound", request.path + " not found"));
      return FakeResponse::json(200, status_json(200, "", "deleted"));
    }
    return FakeResponse::json(405, status_json(405, "MethodNotAllowed", request.method));
  }

 private:
  FakeResponse list(const FakeRequest& request) {
    json::array items;
    const std::string prefix = request.path + "/";
    for (const auto& [path, object] : objects_) {
      if (path.starts_with(prefix) && path.find('/', prefix.size()) == std::string::npos &&
          labels_match(object, request.query_param("labelSelector")))
        items.push_back(object);
    }
    return FakeResponse::json(200, json::serialize(json::object{{"apiVersion", "v1"},
                                                                {"kind", "SecretList"},
                                                                {"metadata", {{"resourceVersion", "1"}}},
                                                                {"items", std::move(items)}}));
  }

  mutable std::mutex mutex_;
  std::map<std::string, json::value> objects_;
  std::map<std::string, std::pair<int, std::string>> refused_;
  bool dry_runs_pass_ = false;
};

struct Harness {
  FakeCluster cluster;
  FakeApiServer api{[this](const FakeRequest& request) { return cluster.answer(request); }};
  std::vector<std::string> progress;
  Installer installer{make_client(), [this](const std::string& line) { progress.push_back(line); }};

  kb::kube::Client make_client() const {
    kb::kube::ClusterConfig config;
    config.server = api.url();
    config.namespace_name = kNamespace;
    config.qps = 0;
    return kb::kube::Client(config);
  }

  // "PATCH /api/v1/namespaces/ns/configmaps/cm", for every request that is not a read (server-side
  // dry runs, which change nothing, only when asked for).
  std::vector<std::string> writes(bool with_dry_runs = false) const {
    std::vector<std::string> out;
    for (const auto& r : api.requests()) {
      const bool dry_run = !r.query_param("dryRun").empty();
      if (r.method != "GET" && (with_dry_runs || !dry_run))
        out.push_back(r.method + " " + r.path + (dry_run ? " (dry run)" : ""));
    }
    return out;
  }
};

json::value crd() {
  return {{"apiVersion", "apiextensions.k8s.io/v1"},
          {"kind", "CustomResourceDefinition"},
          {"metadata", {{"name", "bitcoinnetworks.example.dev"}}},
          {"spec", {{"group", "example.dev"}}}};
}

json::value config_map(std::string_view name, std::string_view value) {
  return {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}, {"data", {{"key", value}}}};
}

json::value service_account() {
  return {{"apiVersion", "v1"}, {"kind", "ServiceAccount"}, {"metadata", {{"name", "sa"}}}};
}

json::value service() {
  return {
      {"apiVersion", "v1"}, {"kind", "Service"}, {"metadata", {{"name", "svc"}}}, {"spec", {{"type", "ClusterIP"}}}};
}

// A rendered chart: the objects in the order a template directory would give them.
InstallRequest request_of(std::vector<json::value> objects) {
  InstallRequest request;
  request.release_name = "rel";
  request.namespace_name = kNamespace;
  request.crds.push_back({"crds/crd.yaml", crd()});
  for (auto& object : objects) {
    if (!request.manifest_text.empty()) request.manifest_text += "---\n";
    request.manifest_text += json::serialize(object) + "\n";  // JSON is YAML
    request.objects.push_back({"templates/" + kb::kube::name_of(object) + ".yaml", std::move(object)});
  }
  request.wait = false;  // no Deployments here; the waits have their own tests
  return request;
}

std::vector<std::pair<std::string, ChangeAction>> changes_of(const InstallReport& report) {
  std::vector<std::pair<std::string, ChangeAction>> out;
  for (const auto& c : report.changes) out.emplace_back(c.object, c.action);
  return out;
}

using Changes = std::vector<std::pair<std::string, ChangeAction>>;
const std::string kCrd = "CustomResourceDefinition bitcoinnetworks.example.dev";
const std::string kCrdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/bitcoinnetworks.example.dev";

}  // namespace

TEST_CASE("fresh install: the CRD first, then Helm's order, then the release record") {
  Harness h;
  // ConfigMap before ServiceAccount on purpose: Helm installs ServiceAccounts first.
  auto report = h.installer.install(request_of({config_map("cm", "1"), service_account()}));
  CHECK(h.writes() == std::vector<std::string>{
                          "PATCH " + kCrdPath,
                          "PATCH /api/v1/namespaces/ns/serviceaccounts/sa",
                          "PATCH /api/v1/namespaces/ns/configmaps/cm",
                          "PATCH /api/v1/namespaces/ns/secrets/sh.helm.release.v1.rel.v1",
                      });
  CHECK(changes_of(report) == Changes{{kCrd, ChangeAction::created},
                                      {"ServiceAccount sa", ChangeAction::created},
                                      {"ConfigMap cm", ChangeAction::created}});
  CHECK(report.changed);
  CHECK(report.revision == 1);
  auto record = h.installer.current_release("rel", kNamespace);
  REQUIRE(record.has_value());
  CHECK(record->revision == 1);
  CHECK(record->status == "deployed");
  CHECK(record->description == "Install complete");
  // The CRD was waited for before anything used it.
  CHECK(std::find(h.progress.begin(), h.progress.end(),
                  "waiting for CustomResourceDefinition bitcoinnetworks.example.dev to be Established") !=
        h.progress.end());
}

TEST_CASE("unchanged: a second install of the same rendering writes nothing") {
  Harness h;
  h.installer.install(request_of({config_map("cm", "1"), service_account()}));
  const auto writes_before = h.writes().size();
  auto report = h.installer.install(request_of({config_map("cm", "1"), service_account()}));
  CHECK(h.writes().size() == writes_before);
  CHECK_FALSE(report.changed);
  CHECK(report.revision == 1);
  CHECK(changes_of(report) == Changes{{kCrd, ChangeAction::unchanged},
                                      {"ServiceAccount sa", ChangeAction::unchanged},
                                      {"ConfigMap cm", ChangeAction::unchanged}});
}

TEST_CASE("changed: only the changed object is applied; revision 2 supersedes revision 1") {
  Harness h;
  h.installer.install(request_of({config_map("cm", "1"), service_account()}));
  const auto writes_before = h.writes().size();
  auto report = h.installer.install(request_of({config_map("cm", "2"), service_account()}));
  auto writes = h.writes();
  writes.erase(writes.begin(), writes.begin() + static_cast<std::ptrdiff_t>(writes_before));
  CHECK(writes == std::vector<std::string>{
                      "PATCH /api/v1/namespaces/ns/configmaps/cm",
                      "PATCH /api/v1/namespaces/ns/secrets/sh.helm.release.v1.rel.v1",  // marked superseded
                      "PATCH /api/v1/namespaces/ns/secrets/sh.helm.release.v1.rel.v2",
                  });
  CHECK(changes_of(report) == Changes{{kCrd, ChangeAction::unchanged},
                                      {"ServiceAccount sa", ChangeAction::unchanged},
                                      {"ConfigMap cm", ChangeAction::configured}});
  CHECK(report.revision == 2);
  auto record = h.installer.current_release("rel", kNamespace);
  REQUIRE(record.has_value());
  CHECK(record->revision == 2);
  CHECK(record->description == "Upgrade complete");
}

TEST_CASE("prune: an object the previous revision had and this one does not is deleted") {
  Harness h;
  h.installer.install(request_of({config_map("cm", "1"), config_map("old", "x"), service_account()}));
  REQUIRE(h.cluster.has("/api/v1/namespaces/ns/configmaps/old"));
  auto report = h.installer.install(request_of({config_map("cm", "1"), service_account()}));
  CHECK_FALSE(h.cluster.has("/api/v1/namespaces/ns/configmaps/old"));
  CHECK(h.cluster.has("/api/v1/namespaces/ns/configmaps/cm"));
  auto writes = h.writes();
  CHECK(std::count(writes.begin(), writes.end(), "DELETE /api/v1/namespaces/ns/configmaps/old") == 1);
  CHECK(changes_of(report) == Changes{{kCrd, ChangeAction::unchanged},
                                      {"ServiceAccount sa", ChangeAction::unchanged},
                                      {"ConfigMap cm", ChangeAction::unchanged},
                                      {"ConfigMap ns/old", ChangeAction::pruned}});
  CHECK(report.changed);
  CHECK(report.revision == 2);
}

TEST_CASE("fresh install: every object is checked by a server-side dry run before anything is written") {
  Harness h;
  h.installer.install(request_of({config_map("cm", "1"), service_account()}));
  CHECK(h.writes(true) == std::vector<std::string>{
                              "PATCH /api/v1/namespaces/ns/serviceaccounts/sa (dry run)",
                              "PATCH /api/v1/namespaces/ns/configmaps/cm (dry run)",
                              "PATCH " + kCrdPath,
                              "PATCH /api/v1/namespaces/ns/serviceaccounts/sa",
                              "PATCH /api/v1/namespaces/ns/configmaps/cm",
                              "PATCH /api/v1/namespaces/ns/secrets/sh.helm.release.v1.rel.v1",
                          });
}

TEST_CASE("an object the API server refuses, or a kind it does not serve: nothing is applied") {
  Harness h;
  h.cluster.refuse_writes_to("/api/v1/namespaces/ns/configmaps/cm", 422,
                             "ConfigMap \"cm\" is invalid: data: Invalid value");
  try {
    h.installer.install(request_of({service(), config_map("cm", "1"), service_account()}));
    FAIL("install succeeded against a refusing server");
  } catch (const InstallError& e) {
    CHECK(std::string(e.what()).starts_with("nothing was applied: ConfigMap cm: "));
    CHECK(std::string(e.what()).find("data: Invalid value") != std::string::npos);
    CHECK(changes_of(e.report()) == Changes{{kCrd, ChangeAction::skipped},
                                            {"ServiceAccount sa", ChangeAction::skipped},
                                            {"ConfigMap cm", ChangeAction::failed},
                                            {"Service svc", ChangeAction::skipped}});
  }
  CHECK(h.writes().empty());

  Harness unknown_kind;
  json::value widget = {{"apiVersion", "example.com/v1"}, {"kind", "Widget"}, {"metadata", {{"name", "w"}}}};
  try {
    unknown_kind.installer.install(request_of({config_map("cm", "1"), widget}));
    FAIL("install succeeded with a kind the server does not serve");
  } catch (const InstallError& e) {
    CHECK(
        std::string(e.what()).starts_with("nothing was applied: Widget w: the cluster does not serve Widget in "
                                          "example.com/v1"));
  }
  CHECK(unknown_kind.writes(true).empty());
}

TEST_CASE("failure half way: the run stops, and the report says what was and was not applied") {
  Harness h;
  // Refused only when really written (e.g. a quota or a conflict that a dry run does not meet).
  h.cluster.refuse_writes_to("/api/v1/namespaces/ns/configmaps/cm", 403, "configmaps \"cm\" is forbidden", true);
  auto request = request_of({service(), config_map("cm", "1"), service_account()});
  try {
    h.installer.install(request);
    FAIL("install succeeded against a refusing server");
  } catch (const InstallError& e) {
    CHECK(std::string(e.what()).find("ConfigMap cm") != std::string::npos);
    CHECK(std::string(e.what()).find("forbidden") != std::string::npos);
    const auto& changes = e.report().changes;
    CHECK(changes_of(e.report()) == Changes{{kCrd, ChangeAction::created},
                                            {"ServiceAccount sa", ChangeAction::created},
                                            {"ConfigMap cm", ChangeAction::failed},
                                            {"Service svc", ChangeAction::skipped}});
    REQUIRE(changes.size() == 4);
    CHECK(changes[2].detail.find("forbidden") != std::string::npos);
  }
  CHECK_FALSE(h.cluster.has("/api/v1/namespaces/ns/services/svc"));
  CHECK_FALSE(h.installer.current_release("rel", kNamespace).has_value());  // no record of a half install
}
