#include "pkg/kube/resource_ref.hpp"
#include "pkg/kube/client.hpp"

#include <doctest/doctest.h>

using namespace kb::kube;

TEST_CASE("paths for core, grouped and custom resources") {
  CHECK(refs::pods("ns", "p").path() == "/api/v1/namespaces/ns/pods/p");
  CHECK(refs::pods().path() == "/api/v1/pods");
  CHECK(refs::namespaces("x").path() == "/api/v1/namespaces/x");
  CHECK(refs::stateful_sets("ns", "s").sub("scale").path() == "/apis/apps/v1/namespaces/ns/statefulsets/s/scale");
  CHECK(ResourceRef::of("bitcoin.example.io", "v1alpha1", "bitcoinnetworks").in("n").named("a").sub("status").path() ==
        "/apis/bitcoin.example.io/v1alpha1/namespaces/n/bitcoinnetworks/a/status");
  CHECK(refs::custom_resource_definitions("a.b").path() ==
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/a.b");
  CHECK(refs::pods("ns", "p").collection().path() == "/api/v1/namespaces/ns/pods");
  CHECK(refs::leases("ns").api_version() == "coordination.k8s.io/v1");
  CHECK(refs::pods().api_version() == "v1");
}

TEST_CASE("refs from objects and apiVersions") {
  boost::json::value object = {
      {"apiVersion", "apps/v1"}, {"kind", "StatefulSet"}, {"metadata", {{"name", "s"}, {"namespace", "ns"}}}};
  auto ref = ResourceRef::for_object(object, "statefulsets");
  CHECK(ref.path() == "/apis/apps/v1/namespaces/ns/statefulsets/s");
  CHECK(ResourceRef::of_api_version("v1", "pods").group.empty());
  CHECK(object_key(object) == "ns/s");
  CHECK(object_key("", "cluster-thing") == "cluster-thing");
}

TEST_CASE("names and query values are percent-encoded") {
  CHECK(url_encode("app in (a,b)") == "app%20in%20%28a%2Cb%29");
  ListOptions options;
  options.label_selector = "app=x,tier!=db";
  options.limit = 500;
  options.continue_token = "abc=";
  CHECK(list_query(options) == "?labelSelector=app%3Dx%2Ctier%21%3Ddb&limit=500&continue=abc%3D");
  WatchOptions watch;
  watch.resource_version = "42";
  watch.timeout_seconds = 300;
  CHECK(watch_query(watch) == "?watch=1&resourceVersion=42&allowWatchBookmarks=true&timeoutSeconds=300");
}
