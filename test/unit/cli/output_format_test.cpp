// -o json and -o yaml must be valid and read back to the same object; ages read like kubectl's.
#include "pkg/cli/output_format.hpp"
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <sstream>

namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
json::value tricky_object() {
  return json::parse(R"({
    "apiVersion": "bitcoin.kubectl-bitcoin.dev/v1", "kind": "BitcoinNetwork",
    "metadata": {"name": "demo", "namespace": "default", "labels": {"a/b": "x"}, "annotations": {}},
    "spec": {"nodes": 3, "topology": "mesh", "args": ["-txindex=1", "-debug=net"], "customEdges": [],
             "mining": {"enabled": true, "intervalSeconds": 10}},
    "status": {"readyNodes": 3, "blockHeight": 120, "ratio": 1.5, "nothing": null,
               "strings": ["true", "yes", "no", "null", "~", "123", "1.5", "0x1f", "", " lead", "trail ", "a: b",
                           "# c", "- d", "{e}", "[f]", "g,h", "@i", "`j", "*k", "&l", "!m", "%n", "|o", ">p",
                           "q'r", "s\"t", "multi\nline", "tab\there", "unicode é", "-1", ".5", "+3", ":colon",
                           "2024-01-02T03:04:05Z", "bitcoin/bitcoin:28.1", "Off", "Y"],
               "nodes": [{"ordinal": 0, "ready": true, "nested": [[1, 2], {"x": {}}]}],
               "conditions": [{"type": "Ready", "status": "True", "message": "3/3 nodes: ready"}]}
  })");
}
}  // namespace

TEST_CASE("pretty JSON is indented by four spaces and parses back to the same value") {
  auto value = tricky_object();
  auto text = kb::cli::to_pretty_json(value);
  CHECK(json::parse(text) == value);
  CHECK(text.starts_with("{\n    \"apiVersion\": \"bitcoin.kubectl-bitcoin.dev/v1\",\n"));
  CHECK(text.back() == '\n');
  CHECK(kb::cli::to_pretty_json(json::object{}) == "{}\n");
  CHECK(kb::cli::to_pretty_json(json::array{}) == "[]\n");
}

TEST_CASE("YAML output parses back to the same value, strings that look like other types stay strings") {
  auto value = tricky_object();
  auto text = kb::cli::to_yaml_document(value);
  INFO(text);
  CHECK(kb::base::parse_yaml(text) == value);
  CHECK(text.starts_with("apiVersion: bitcoin.kubectl-bitcoin.dev/v1\nkind: BitcoinNetwork\nmetadata:\n  "));
  CHECK(text.find("\n  - -txindex=1\n") != std::string::npos);  // sequences under a key are indented under it
}

TEST_CASE("YAML of scalars and empty collections") {
  CHECK(kb::base::parse_yaml(kb::cli::to_yaml_document(json::value("yes"))) == json::value("yes"));
  CHECK(kb::cli::to_yaml_document(json::object{}) == "{}\n");
  CHECK(kb::cli::to_yaml_document(json::array{}) == "[]\n");
  json::value list = json::array{1, "two", json::array{3}, json::object{{"k", json::array{}}}};
  CHECK(kb::base::parse_yaml(kb::cli::to_yaml_document(list)) == list);
}

TEST_CASE("print_structured writes json or yaml, and a List wraps several objects") {
  auto list = kb::cli::make_list({json::object{{"a", 1}}, json::object{{"b", 2}}});
  std::ostringstream json_out;
  kb::cli::print_structured(json_out, list, "json");
  auto parsed = json::parse(json_out.str());
  CHECK(parsed.at("kind") == "List");
  CHECK(parsed.at("items").as_array().size() == 2);
  std::ostringstream yaml_out;
  kb::cli::print_structured(yaml_out, list, "yaml");
  CHECK(kb::base::parse_yaml(yaml_out.str()) == list);
}

TEST_CASE("ages read like kubectl's") {
  using kb::cli::human_duration;
  CHECK(human_duration(-5s) == "<invalid>");
  CHECK(human_duration(0s) == "0s");
  CHECK(human_duration(45s) == "45s");
  CHECK(human_duration(119s) == "119s");
  CHECK(human_duration(120s) == "2m");
  CHECK(human_duration(200s) == "3m20s");
  CHECK(human_duration(15min) == "15m");
  CHECK(human_duration(3h + 20min) == "3h20m");
  CHECK(human_duration(10h) == "10h");
  CHECK(human_duration(52h) == "2d4h");
  CHECK(human_duration(24h * 30) == "30d");
  CHECK(human_duration(24h * 365 * 3 + 24h * 5) == "3y5d");
  CHECK(human_duration(24h * 365 * 10) == "10y");
  auto now = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2} + 3h;
  CHECK(kb::cli::age_of("2024-01-02T02:00:00Z", now) == "60m");
  CHECK(kb::cli::age_of("", now) == "<unknown>");
  CHECK(kb::cli::age_of("yesterday", now) == "<unknown>");
}

TEST_CASE("path lookups never throw") {
  auto value = tricky_object();
  CHECK(kb::cli::string_at(value, "metadata.name") == "demo");
  CHECK(kb::cli::string_at(value, "metadata.missing", "x") == "x");
  CHECK(kb::cli::string_at(value, "spec.nodes.deeper", "y") == "y");
  CHECK(kb::cli::int_at(value, "spec.nodes") == 3);
  CHECK(kb::cli::int_at(value, "status.ratio") == 1);
  CHECK(kb::cli::int_at(value, "metadata.name", -1) == -1);
  CHECK(kb::cli::bool_at(value, "spec.mining.enabled"));
  CHECK_FALSE(kb::cli::bool_at(value, "spec.nodes"));
}
