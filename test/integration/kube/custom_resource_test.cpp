// A CustomResourceDefinition created by the test, then CRUD, status and scale on its objects,
// against the REAL local cluster.
#include "pkg/kube/client.hpp"
#include "pkg/kube/discovery.hpp"
#include "support/cluster.hpp"

#include <doctest/doctest.h>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;
using namespace std::chrono_literals;

TEST_CASE("custom resources: CRD, discovery, CRUD, status and scale subresources") {
  Client client = admin_client();
  const std::string group = unique_test_group();
  const char* kGroup = group.c_str();
  install_widget_crd(client, group);
  struct Cleanup {
    const Client& client;
    const std::string& group;
    ~Cleanup() {
      try {
        client.remove(refs::custom_resource_definitions("widgets." + group));
      } catch (...) {
      }
    }
  } cleanup{client, group};

  Discovery discovery(client);
  REQUIRE(eventually(
      [&] {
        discovery.invalidate();
        return discovery.has_resource(kGroup, "v1", "widgets");
      },
      30s));
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
}
