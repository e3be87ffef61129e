// manifests/crd.yaml states the resource's schema for the API server; pkg/api states it for the
// controller and the CLI. These tests read the CRD (and its copy in the chart) and hold every
// default, enum and limit it declares against the typed API, so the two cannot drift apart.
#include "pkg/api/bitcoin_network.hpp"
#include "test/unit/api/support/crd_file.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <map>

using namespace kb::api;
using namespace kb::testing;
namespace json = boost::json;

namespace {
// Every `default:` under a schema, by its field path ("mining.intervalSeconds").
void collect_defaults(const json::object& schema, const std::string& path, std::map<std::string, json::value>& out) {
  if (const auto* value = schema.if_contains("default")) out[path] = *value;
  if (const auto* properties = schema.if_contains("properties")) {
    for (const auto& [name, child] : properties->as_object()) {
      collect_defaults(child.as_object(), path.empty() ? std::string(name) : path + "." + std::string(name), out);
    }
  }
  if (const auto* items = schema.if_contains("items")) collect_defaults(items->as_object(), path + "[]", out);
}

// What the typed API makes of a spec that sets nothing it need not: its defaults, by the CRD's paths.
std::map<std::string, json::value> typed_defaults() {
  auto network = parse_network(json::parse(R"({"metadata": {"name": "n"}, "spec": {"nodes": 1, "mining": {}}})"));
  const auto& spec = network.spec;
  return {{"image", json::string(spec.image)},
          {"imagePullPolicy", json::string(spec.image_pull_policy)},
          {"topology", json::string(to_string(spec.topology))},
          {"hub", spec.hub},
          {"degree", spec.degree},
          {"seed", spec.seed},
          {"mining.enabled", spec.mining.enabled},
          {"mining.intervalSeconds", spec.mining.interval_seconds},
          {"mining.node", spec.mining.node}};
}
}  // namespace

TEST_CASE("the chart's CRD is the same file as manifests/crd.yaml") {
  CHECK(read_source_file("manifests/crd.yaml") == read_source_file("chart/bitcoin-controller/crds/crd.yaml"));
}

TEST_CASE("every default in the CRD's spec schema is the typed API's default") {
  std::map<std::string, json::value> in_crd;
  collect_defaults(spec_schema(read_crd()), "", in_crd);
  CHECK(in_crd == typed_defaults());
}

TEST_CASE("a default-constructed spec holds the same defaults as parsing") {
  NetworkSpec spec;
  auto parsed = parse_network(json::parse(R"({"metadata": {"name": "n"}, "spec": {"nodes": 1}})")).spec;
  CHECK(spec.image == parsed.image);
  CHECK(spec.image_pull_policy == parsed.image_pull_policy);
  CHECK(spec.topology == parsed.topology);
  CHECK(spec.hub == parsed.hub);
  CHECK(spec.degree == parsed.degree);
  CHECK(spec.seed == parsed.seed);
  CHECK(spec.mining.enabled == parsed.mining.enabled);
  CHECK(spec.mining.interval_seconds == parsed.mining.interval_seconds);
  CHECK(spec.mining.node == parsed.mining.node);
}

TEST_CASE("the CRD's enums and limits are the typed API's") {
  auto crd = read_crd();
  const auto& properties = spec_schema(crd).at("properties");
  json::array topologies;
  for (auto topology : kTopologies) topologies.emplace_back(to_string(topology));
  CHECK(properties.at("topology").at("enum") == topologies);
  CHECK(properties.at("nodes").at("maximum") == kMaxNodes);
  CHECK(properties.at("nodes").at("minimum") == 0);
  CHECK(properties.at("degree").at("minimum") == kMinDegree);
  CHECK(properties.at("degree").at("maximum") == kMaxDegree);
  CHECK(properties.at("partitions").at("maxItems") == kMaxPartitionGroups);
  const auto& group = properties.at("partitions").at("items");
  CHECK(json::serialize(group.at("x-kubernetes-validations")).find("'" + std::string(kRestGroup) + "'") !=
        std::string::npos);
}

TEST_CASE("the CRD names the group, version, kind and plural the typed API uses") {
  auto crd = read_crd();
  const auto& spec = crd.at("spec");
  CHECK(spec.at("group") == json::string(kGroup));
  CHECK(spec.at("names").at("kind") == json::string(kKind));
  CHECK(spec.at("names").at("plural") == json::string(kPlural));
  CHECK(spec.at("versions").at(0).at("name") == json::string(kVersion));
  CHECK(kApiVersion == std::string(kGroup) + "/" + std::string(kVersion));
  CHECK(crd.at("metadata").at("name") == json::string(std::string(kPlural) + "." + std::string(kGroup)));
}
