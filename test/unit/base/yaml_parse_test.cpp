// Pure tests of the YAML → JSON typing rules; no fakes needed.
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

namespace json = boost::json;
using kb::base::parse_yaml;
using kb::base::parse_yaml_documents;

TEST_CASE("plain scalars resolve like go-yaml v2, quoted scalars stay strings") {
  auto v = parse_yaml("a: 1\nb: '1'\nc: true\nd: \"true\"\ne: ~\nf: 1.5\ng: hello\nh: 0x1f\ni: yes\nj: 1e3\nk: 010\n");
  CHECK(v.at("a") == json::value(1));
  CHECK(v.at("b") == json::value("1"));
  CHECK(v.at("c") == json::value(true));
  CHECK(v.at("d") == json::value("true"));
  CHECK(v.at("e").is_null());
  CHECK(v.at("f") == json::value(1.5));
  CHECK(v.at("g") == json::value("hello"));
  CHECK(v.at("h") == json::value(31));
  CHECK(v.at("i") == json::value(true));
  CHECK(v.at("j") == json::value(1000.0));
  CHECK(v.at("k") == json::value(8));
}

TEST_CASE("nested maps and sequences, and keys become strings") {
  auto v = parse_yaml("list:\n- 1\n- x: [a, 2]\n3: three\n");
  CHECK(json::serialize(v) == R"({"list":[1,{"x":["a",2]}],"3":"three"})");
}

TEST_CASE("multi-document streams drop empty documents") {
  auto docs = parse_yaml_documents("---\na: 1\n---\n---\n# only a comment\n---\nb: 2\n");
  REQUIRE(docs.size() == 2);
  CHECK(docs[1].at("b") == json::value(2));
}

TEST_CASE("syntax errors name the source, line and column") {
  try {
    parse_yaml("a: 1\nb: [1, 2\n", "values.yaml");
    FAIL("expected a YamlError");
  } catch (const kb::base::YamlError& e) {
    CHECK(e.source() == "values.yaml");
    CHECK(e.line() >= 2);
    CHECK(std::string(e.what()).find("values.yaml:") == 0);
  }
}

TEST_CASE("numbers that overflow int64 stay numbers or strings, never wrap") {
  CHECK(kb::base::resolve_plain_scalar("9223372036854775807") == json::value(INT64_MAX));
  CHECK(kb::base::resolve_plain_scalar("99999999999999999999").is_string());
  CHECK(kb::base::resolve_plain_scalar("-").is_string());
  CHECK(kb::base::resolve_plain_scalar("1.2.3").is_string());
}

TEST_CASE("a flow collection followed by a comma is an error, not an out-of-memory loop in yaml-cpp") {
  for (const char* text : {"{{ jnoe }},", "[[1]],", "{a},", "---\n{a: 1} , x\n"}) {
    CHECK_THROWS_AS(parse_yaml(text, "f.yaml"), kb::base::YamlError);
  }
  CHECK(parse_yaml("{a: 1}\n").at("a") == json::value(1));
  CHECK(parse_yaml("[\"x,\", 2]").as_array().size() == 2);
}
