// values.schema.json validation: messages name the path and the rule.
#include "pkg/chart/schema_validator.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::chart;
namespace json = boost::json;

namespace {
const json::value kSchema = json::parse(R"({
  "type": "object",
  "required": ["image"],
  "additionalProperties": false,
  "definitions": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
  "properties": {
    "replicaCount": {"type": "integer", "minimum": 0},
    "image": {"type": "object", "required": ["repository"], "properties": {
      "repository": {"type": "string", "minLength": 1},
      "pullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]}}},
    "name": {"type": ["string", "null"], "pattern": "^[a-z0-9-]*$", "maxLength": 10},
    "port": {"$ref": "#/definitions/port"},
    "tolerations": {"type": "array", "items": {"type": "object"}}
  }
})");
}  // namespace

TEST_CASE("valid values pass; integral floats count as integers") {
  auto values = json::parse(R"({"replicaCount": 2.0, "image": {"repository": "x"}, "name": null, "port": 80})");
  CHECK(validate_against_schema(values, kSchema).empty());
}

TEST_CASE("each rule reports the path") {
  auto values = json::parse(R"({"replicaCount": "two", "image": {"repository": "", "pullPolicy": "Sometimes"},
                                "name": "Bad_Name", "port": 70000, "tolerations": [1], "extra": 1})");
  auto v = validate_against_schema(values, kSchema);
  std::vector<std::string> lines;
  for (const auto& e : v) lines.push_back(e.path + " [" + e.rule + "] " + e.message);
  CHECK(lines == std::vector<std::string>{
                     "/image/pullPolicy [enum] value must be one of 'Always', 'IfNotPresent', 'Never'",
                     "/image/repository [minLength] minLength: got 0, want 1",
                     "/name [pattern] 'Bad_Name' does not match pattern '^[a-z0-9-]*$'",
                     "/port [maximum] maximum: got 70000, want 65535",
                     "/replicaCount [type] got string, want integer",
                     "/tolerations/0 [type] got integer, want object",
                     " [additionalProperties] additional properties 'extra' not allowed",
                 });
}

TEST_CASE("missing required properties, and Helm's message") {
  try {
    check_values_schema("bitcoin-controller", json::object{}, kSchema);
    FAIL("expected a SchemaError");
  } catch (const SchemaError& e) {
    REQUIRE(e.violations().size() == 1);
    CHECK(e.violations()[0].rule == "required");
    CHECK(std::string(e.what()) ==
          "values don't meet the specifications of the schema(s) in the following chart(s):\n"
          "bitcoin-controller:\n- at '': missing property 'image'\n");
  }
}
