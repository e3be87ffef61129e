// Values: files merged in order, --set kinds applied in Helm's order, coalesced over chart defaults.
#include "pkg/chart/values.hpp"
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::chart;
namespace json = boost::json;

TEST_CASE("values files read numbers as float64 and must be mappings") {
  auto v = parse_values_yaml("replicas: 2\nname: x\n", "values.yaml");
  CHECK(v.at("replicas").is_double());
  CHECK(parse_values_yaml("", "empty.yaml").empty());
  CHECK_THROWS_AS(parse_values_yaml("- a\n- b\n", "list.yaml"), ValuesError);
  try {
    parse_values_yaml("a: [1\n", "bad.yaml");
    FAIL("expected a YamlError");
  } catch (const kb::base::YamlError& e) {
    CHECK(e.source() == "bad.yaml");
  }
}

TEST_CASE("-f files merge deeply in order, then --set-json, --set, --set-string") {
  ValueOptions options;
  options.files = {{"one.yaml", "image:\n  repository: a\n  tag: \"1\"\nlist: [1, 2]\n"},
                   {"two.yaml", "image:\n  tag: \"2\"\nlist: [3]\n"}};
  options.values = {"image.pullPolicy=Always", "replicas=3"};
  options.string_values = {"replicas=4"};
  options.json_values = {"extra={\"k\":true}"};
  auto merged = merge_user_values(options);
  CHECK(
      json::serialize(merged) ==
      R"({"image":{"repository":"a","tag":"2","pullPolicy":"Always"},"list":[3E0],"extra":{"k":true},"replicas":"4"})");
}

TEST_CASE("coalescing: user values win, nested maps merge, null deletes a default") {
  auto defaults = json::parse(R"({"a":1,"nested":{"x":1,"y":2},"gone":"default","table":{"k":1}})").as_object();
  auto user = json::parse(R"({"nested":{"y":20,"x":null},"gone":null,"new":true,"table":"scalar"})").as_object();
  auto out = coalesce_values(defaults, user);
  CHECK(json::value(out) == json::parse(R"({"nested":{"y":20},"new":true,"table":"scalar","a":1})"));
}
