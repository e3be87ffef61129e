// A CustomResourceDefinition created by the test, then CRUD, status and scale on its objects,
// against the REAL local cluster.
#include "pkg/kube/client.hpp"
#include "pkg/kube/discovery.hpp"
#include "support/cluster.hpp"

#include <boost/json/parse.hpp>
#include <doctest/doctest.h>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
const char* kGroup = "kube-it.kubectl-bitcoin.test";

json::value widget_crd() {
  return json::parse(std::string(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.)") + kGroup + R"("},
    "spec": {"group": ")" + kGroup + R"(", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 0}, "color": {"type": "string"}}},
          "status": {"type": "object", "properties": {"replicas": {"type": "integer"}, "phase": {"type": "string"}}}}}}}]}})");
}

bool established(const json::value& crd) {
  auto* status = crd.as_object().if_contains("status");
  if (!status) return false;
  auto* conditions = status->as_object().if_contains("conditions");
  if (!conditions || !conditions->is_array()) return false;
  for (auto& c : conditions->as_array())
    if (c.at("type") == "Established" && c.at("status") == "True") return true;
  return false;
}
}  // namespace

TEST_CASE("custom resources: CRD, discovery, CRUD, status and scale subresources") {
  Client client = admin_client();
  auto crd_ref = refs::custom_resource_definitions(std::string("widgets.") + kGroup);
  if (!client.get_if_exists(crd_ref)) client.create(crd_ref.collection(), widget_crd());
  REQUIRE(eventually([&] { return established(client.get(crd_ref)); }, 30s));

  Discovery discovery(client);
  REQUIRE(eventually([&] {
    discovery.invalidate();
    return discovery.has_resource(kGroup, "v1", "widgets");
  }, 30s));
  auto resource = discovery.resource_for_kind(std::string(kGroup) + "/v1", "Widget");
  REQUIRE(resource);
  CHECK(resource->namespaced);
  CHECK(resource->subresources == std::vector<std::string>{"scale", "status"});
  CHECK(discovery.preferred_version(kGroup) == "v1");

  TestNamespace ns(client);
  auto widgets = ResourceRef::of(kGroup, "v1", "widgets").in(ns.name());
  json::value widget = {{"apiVersion", std::string(kGroup) + "/v1"},
                        {"kind", "Widget"},
                        {"metadata", {{"name", "w"}, {"namespace", ns.name()}}},
                        {"spec", {{"replicas", 1}, {"color", "orange"}}}};
  json::value created = client.create(widgets, widget);
  auto ref = widgets.named("w");
  CHECK(client.get(ref).at("spec").at("color") == "orange");

  // Status is a separate subresource: a main-resource update ignores it, update_status sets it.
  json::value with_status = created;
  with_status.as_object()["status"] = {{"replicas", 1}, {"phase", "Ready"}};
  json::value stored = client.update_status(ref, with_status);
  CHECK(stored.at("status").at("phase") == "Ready");

  json::value scale = client.get_scale(ref);
  CHECK(scale.at("kind") == "Scale");
  CHECK(scale.at("spec").at("replicas") == 1);
  client.update_scale(ref, 3);
  CHECK(client.get(ref).at("spec").at("replicas") == 3);

  // Schema validation errors arrive as Invalid with the field.
  json::value bad = widget;
  bad.at("metadata").as_object()["name"] = "bad";
  bad.at("spec").as_object()["replicas"] = -1;
  try {
    client.create(widgets, bad);
    FAIL("expected Invalid");
  } catch (const ApiError& e) {
    CHECK(is_invalid(e));
    REQUIRE_FALSE(e.causes().empty());
    CHECK(e.causes()[0].field == "spec.replicas");
  }

  json::value again = client.apply(ref, widget, {.field_manager = "kube-it", .force = true});
  json::value again2 = client.apply(ref, widget, {.field_manager = "kube-it", .force = true});
  CHECK(resource_version_of(again) == resource_version_of(again2));

  client.remove(ref);
  CHECK(eventually([&] { return !client.get_if_exists(ref); }, 10s));
  client.remove(crd_ref);
}
