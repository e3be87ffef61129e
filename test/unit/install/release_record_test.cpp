// Pure tests of the Helm-compatible release record and the install order; no fakes needed.
#include "pkg/install/release_record.hpp"
#include "pkg/install/manifest.hpp"

#include "pkg/base/base64.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::install;
namespace json = boost::json;

TEST_CASE("gzip round trip, and the output is a real gzip stream") {
  std::string text(10000, 'a');
  text += "the end";
  auto compressed = gzip_compress(text);
  CHECK(compressed.size() < 200);
  CHECK(static_cast<unsigned char>(compressed[0]) == 0x1f);
  CHECK(static_cast<unsigned char>(compressed[1]) == 0x8b);
  CHECK(gzip_decompress(compressed) == text);
  CHECK_FALSE(gzip_decompress(std::string("\x1f\x8bnot gzip", 10)).has_value());
}

TEST_CASE("release secret: Helm's name, type and labels; the record decodes back") {
  ReleaseRecord r;
  r.name = "bitcoin-controller";
  r.namespace_name = "bitcoin-controller";
  r.revision = 3;
  r.first_deployed = "2026-01-01T00:00:00Z";
  r.last_deployed = "2026-01-02T00:00:00Z";
  r.description = "Upgrade complete";
  r.manifest = "---\n# Source: x/templates/a.yaml\nkind: ConfigMap\n";
  r.chart_metadata = {{"name", "bitcoin-controller"}, {"version", "0.1.0"}, {"appVersion", "0.1.0"}};
  r.config = {{"replicaCount", 2}};
  auto secret = encode_release_secret(r);
  CHECK(secret.at("metadata").at("name") == "sh.helm.release.v1.bitcoin-controller.v3");
  CHECK(secret.at("type") == "helm.sh/release.v1");
  CHECK(secret.at("metadata").at("labels").at("owner") == "helm");
  CHECK(secret.at("metadata").at("labels").at("status") == "deployed");
  CHECK(secret.at("metadata").at("labels").at("version") == "3");
  std::string problem;
  auto back = decode_release_secret(secret, problem);
  REQUIRE(back);
  CHECK(back->revision == 3);
  CHECK(back->manifest == r.manifest);
  CHECK(back->config == r.config);
  CHECK(back->chart_metadata.at("name") == "bitcoin-controller");
  // Helm's own layout: data.release = base64(base64(gzip(json))).
  auto inner = kb::base::base64_decode(secret.at("data").at("release").as_string());
  REQUIRE(inner);
  auto gz = kb::base::base64_decode(*inner);
  REQUIRE(gz);
  auto release = json::parse(*gzip_decompress(*gz));
  CHECK(release.at("info").at("status") == "deployed");
  CHECK(release.at("version") == 3);
}

TEST_CASE("decoding something that is not a release names the problem") {
  std::string problem;
  CHECK_FALSE(decode_release_secret(json::value{{"data", json::object{}}}, problem));
  CHECK(problem == "the Secret has no data.release");
}

TEST_CASE("install order follows Helm: namespaces and RBAC before workloads") {
  std::vector<Manifest> manifests = {{"d", {{"kind", "Deployment"}}},     {"s", {{"kind", "Service"}}},
                                     {"x", {{"kind", "Unknown"}}},        {"r", {{"kind", "ClusterRole"}}},
                                     {"a", {{"kind", "ServiceAccount"}}}, {"n", {{"kind", "Namespace"}}}};
  sort_for_install(manifests);
  std::string order;
  for (const auto& m : manifests) order += m.source;
  CHECK(order == "narsdx");
  CHECK(describe(json::value{{"kind", "Deployment"}, {"metadata", {{"name", "c"}, {"namespace", "ns"}}}}) ==
        "Deployment ns/c");
  CHECK(identity(json::value{{"apiVersion", "apps/v1"}, {"kind", "Deployment"}, {"metadata", {{"name", "c"}}}}) ==
        "apps/Deployment//c");
}
