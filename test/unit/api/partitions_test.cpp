// spec.partitions: the rules check_partitions states again for objects that predate the CRD's, the
// groups in force, and the spec's shape. Pure; no fakes.
#include "pkg/api/partitions.hpp"
#include "pkg/api/bitcoin_network.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::api;
namespace json = boost::json;

namespace {
std::string problem_of(const std::vector<PartitionGroup>& groups) { return check_partitions(groups).value_or(""); }
}  // namespace

TEST_CASE("check_partitions names the field and the rule it breaks") {
  CHECK_FALSE(check_partitions({}).has_value());
  CHECK_FALSE(check_partitions({{"left", {0, 1}}, {"right", {2, 3}}, {"far-away-9", {150}}}).has_value());

  CHECK(problem_of({{"left", {0}}, {"Left", {1}}}) ==
        "spec.partitions[1].name \"Left\" must be a DNS label (lower-case letters, digits and '-')");
  CHECK(problem_of({{"-x", {0}}}).starts_with("spec.partitions[0].name \"-x\" must be a DNS label"));
  CHECK(problem_of({{"", {0}}}).starts_with("spec.partitions[0].name \"\" must be a DNS label"));
  CHECK(problem_of({{std::string(64, 'a'), {0}}}).starts_with("spec.partitions[0].name"));
  CHECK(problem_of({{"rest", {0}}}) == "spec.partitions[0].name \"rest\" is reserved for the nodes listed in no group");
  CHECK(problem_of({{"a", {0}}, {"a", {1}}}) == "spec.partitions[1].name \"a\" is used by an earlier group");
  CHECK(problem_of({{"a", {}}}) == "spec.partitions[0].nodes must list at least one node ordinal");
  CHECK(problem_of({{"a", {0, -1}}}) == "spec.partitions[0].nodes[1] must not be negative (got -1)");
  CHECK(problem_of({{"a", {0, 1}}, {"b", {2, 1}}}) ==
        "spec.partitions[1].nodes[1]: node 1 is already in group \"a\"; a node may be in at most one group");
  CHECK(problem_of({{"a", {3, 3}}}) ==
        "spec.partitions[0].nodes[1]: node 3 is already in group \"a\"; a node may be in at most one group");
  std::vector<PartitionGroup> many;
  for (int i = 0; i <= kMaxPartitionGroups; ++i) many.push_back({"g" + std::to_string(i), {i}});
  CHECK(problem_of(many) == "spec.partitions has 11 groups; at most 10 are allowed");
}

TEST_CASE("the groups in force: listed order, ordinals below spec.nodes sorted, the rest last, empty groups dropped") {
  CHECK(resolve_partition_groups({}, 4).empty());
  auto groups = resolve_partition_groups({{"right", {3, 2}}, {"left", {0}}, {"gone", {7, 9}}}, 5);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0] == PartitionGroup{"right", {2, 3}});
  CHECK(groups[1] == PartitionGroup{"left", {0}});
  CHECK(groups[2] == PartitionGroup{"rest", {1, 4}});
  // Every node listed: no rest.
  auto all = resolve_partition_groups({{"a", {0, 1}}, {"b", {2, 3}}}, 4);
  CHECK(all.size() == 2);
  CHECK(describe_groups(all) == "a [0 1], b [2 3]");
  // A scaled-down network: the listed ordinals above it are ignored.
  CHECK(describe_groups(resolve_partition_groups({{"a", {0, 1}}, {"b", {2, 3}}}, 2)) == "a [0 1]");
}

TEST_CASE("parse_spec reads spec.partitions and spec.partitionDurationSeconds; a wrong shape names the field") {
  auto spec = parse_spec(json::parse(
      R"({"nodes": 4, "partitions": [{"name": "left", "nodes": [0, 1]}, {"name": "right", "nodes": [2, 3]}],
          "partitionDurationSeconds": 120})"));
  REQUIRE(spec.partitions.size() == 2);
  CHECK(spec.partitions[1] == PartitionGroup{"right", {2, 3}});
  CHECK(spec.partition_duration_seconds == 120);
  CHECK(parse_spec(json::parse(R"({"nodes": 4})")).partitions.empty());
  CHECK(parse_spec(json::parse(R"({"nodes": 4})")).partition_duration_seconds == 0);

  auto error_of = [](std::string_view text) -> std::string {
    try {
      parse_spec(json::parse(text));
    } catch (const NetworkSpecError& e) {
      return e.what();
    }
    return "";
  };
  CHECK(error_of(R"({"nodes": 4, "partitions": {"left": [0]}})") == "spec.partitions must be a list of groups");
  CHECK(error_of(R"({"nodes": 4, "partitions": [[0, 1]]})") ==
        "spec.partitions[0] must be an object with name and nodes");
  CHECK(error_of(R"({"nodes": 4, "partitions": [{"name": "a", "nodes": "0,1"}]})") ==
        "spec.partitions[0].nodes must be a list of node ordinals");
  CHECK(error_of(R"({"nodes": 4, "partitions": [{"name": "a", "nodes": [0, "x"]}]})") ==
        "spec.partitions[0].nodes[1] must be an integer");
  CHECK(error_of(R"({"nodes": 4, "partitions": [{"name": 5, "nodes": [0]}]})") ==
        "spec.partitions[0].name must be a string");
  CHECK(error_of(R"({"nodes": 4, "partitionDurationSeconds": -5})") ==
        "spec.partitionDurationSeconds must not be negative");
}
