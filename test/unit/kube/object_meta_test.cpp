#include "pkg/kube/object_meta.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

using namespace kb::kube;
namespace json = boost::json;

TEST_CASE("object metadata accessors read TypeMeta and ObjectMeta") {
  const json::value pod = json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {
      "name": "demo-0", "namespace": "btc", "uid": "u-1", "resourceVersion": "42",
      "labels": {"app": "bitcoin"}, "annotations": {"note": "x"},
      "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "other", "uid": "u-cm"},
        {"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "demo", "uid": "u-sts", "controller": true},
        {"kind": "NoUid", "name": "skipped", "controller": true}
      ]
    }
  })");
  CHECK(api_version_of(pod) == "v1");
  CHECK(kind_of(pod) == "Pod");
  CHECK(name_of(pod) == "demo-0");
  CHECK(namespace_of(pod) == "btc");
  CHECK(uid_of(pod) == "u-1");
  CHECK(resource_version_of(pod) == "42");
  REQUIRE(labels_of(pod) != nullptr);
  CHECK(labels_of(pod)->size() == 1);
  CHECK(label_of(pod, "app") == "bitcoin");
  CHECK(label_of(pod, "tier") == std::nullopt);
  CHECK(annotation_of(pod, "note") == "x");
  REQUIRE(annotations_of(pod) != nullptr);
  CHECK(metadata_of(pod) != nullptr);

  auto owners = owner_references_of(pod);
  REQUIRE(owners.size() == 2);  // the entry without a uid is not an owner
  CHECK(owners[0].kind == "ConfigMap");
  CHECK_FALSE(owners[0].controller);
  auto controller = controller_of(pod);
  REQUIRE(controller.has_value());
  CHECK(controller->kind == "StatefulSet");
  CHECK(controller->api_version == "apps/v1");
  CHECK(controller->name == "demo");
  CHECK(controller->uid == "u-sts");
  CHECK_FALSE(is_terminating(pod));
}

TEST_CASE("malformed objects read as empty rather than throwing") {
  for (const char* text : {R"(null)", R"([])", R"({"metadata": 7})", R"({"metadata": {"name": 1, "labels": []}})"}) {
    const json::value v = json::parse(text);
    CAPTURE(text);
    CHECK(name_of(v).empty());
    CHECK(kind_of(v).empty());
    CHECK(labels_of(v) == nullptr);
    CHECK(label_of(v, "app") == std::nullopt);
    CHECK(owner_references_of(v).empty());
    CHECK(controller_of(v) == std::nullopt);
    CHECK_FALSE(is_terminating(v));
  }
}

TEST_CASE("is_terminating: a deletionTimestamp that is set, not null") {
  CHECK(is_terminating(json::parse(R"({"metadata": {"deletionTimestamp": "2024-01-02T03:04:05Z"}})")));
  CHECK_FALSE(is_terminating(json::parse(R"({"metadata": {"deletionTimestamp": null}})")));
}

TEST_CASE("spec_or_lifecycle_changed: a new generation or a deletion, not a status write") {
  const auto v1 = json::parse(R"({"metadata": {"generation": 1, "resourceVersion": "10"}, "status": {"a": 1}})");
  const auto status_written =
      json::parse(R"({"metadata": {"generation": 1, "resourceVersion": "11"}, "status": {"a": 2}})");
  const auto spec_changed = json::parse(R"({"metadata": {"generation": 2, "resourceVersion": "12"}})");
  const auto deleting = json::parse(R"({"metadata": {"generation": 1, "deletionTimestamp": "2024-01-02T03:04:05Z"}})");
  CHECK(generation_of(v1) == 1);
  CHECK(generation_of(json::parse(R"({"metadata": {}})")) == 0);
  CHECK_FALSE(spec_or_lifecycle_changed(v1, status_written));
  CHECK(spec_or_lifecycle_changed(v1, spec_changed));
  CHECK(spec_or_lifecycle_changed(v1, deleting));
}
