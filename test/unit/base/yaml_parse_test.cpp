// Pure tests of the YAML → JSON typing rules; no fakes needed.
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <string>
#include <vector>

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

TEST_CASE("a flow collection or quoted scalar followed by a comma is an error, not an endless loop in yaml-cpp") {
  for (const char* text : {"{{ jnoe }},", "[[1]],", "{a},", "---\n{a: 1} , x\n", "&a [a],", "[a]\n,", "\"a\",",
                           "\"a\" ,x", "'a',", "\"a\"\n# c\n,", "'it''s',", "\"\\\"\",", "\"\"\"\","}) {
    CHECK_THROWS_AS(parse_yaml(text, "f.yaml"), kb::base::YamlError);
  }
  CHECK(parse_yaml("{a: 1}\n").at("a") == json::value(1));
  CHECK(parse_yaml("[\"x,\", 2]").as_array().size() == 2);
  CHECK(parse_yaml("\"a,b\"") == json::value("a,b"));
  CHECK(parse_yaml("'it''s, fine'") == json::value("it's, fine"));
}

TEST_CASE("a node starting with a comma is an error, not an endless loop in yaml-cpp (found by test/fuzz)") {
  for (const char* text : {",", ",lus", " ,a: 1", "# c\n,", "---\n,", "a: 1\n---\n,x", "%YAML 1.1\n---\n,", "!!str ,",
                           "&a ,", "--- ,", "!!str,", "&a,x", "!ceN,2kb\n", "!!st---,sp"}) {
    INFO(text);
    CHECK_THROWS_WITH_AS(parse_yaml(text, "f.yaml"), doctest::Contains("a node cannot start with ','"),
                         kb::base::YamlError);
  }
  CHECK(parse_yaml("-,") == json::value("-,"));
  CHECK(parse_yaml("a,b") == json::value("a,b"));
}

TEST_CASE(
    "a line starting with a comma outside flow collections is an error, not an endless loop (found by test/fuzz)") {
  CHECK_THROWS_WITH_AS(parse_yaml("- a6\n Sb\n,", "f.yaml"),
                       "f.yaml:3:1: did not find expected node content (a line cannot start with ',' outside a flow "
                       "collection)",
                       kb::base::YamlError);
  CHECK_THROWS_AS(parse_yaml("clust #e's:/ [\n  - nam=: a\n , bad"), kb::base::YamlError);
  // Where a comma may start a line: inside flow collections, block scalars and quoted scalars.
  CHECK(parse_yaml("a: [1\n  , 2]\n").at("a").as_array().size() == 2);
  CHECK(parse_yaml("a: {x: 1\n  , y: 2}\n").at("a").as_object().size() == 2);
  CHECK(parse_yaml("a: |\n  ,x\n  ,y\nb: 1\n").at("a") == json::value(",x\n,y\n"));
  CHECK(parse_yaml("a: >-\n  ,x\n").at("a") == json::value(",x"));
  CHECK(parse_yaml("a: \"x\n  ,y\"\n").at("a") == json::value("x ,y"));
  CHECK(parse_yaml("a: 'it''s\n  ,y'\n").at("a") == json::value("it's ,y"));
  CHECK(parse_yaml("a: it's\n# ,c\nb: 2\n").at("b") == json::value(2));
}

TEST_CASE("aliases that contain themselves or expand without bound are errors (found by test/fuzz)") {
  CHECK_THROWS_WITH_AS(parse_yaml("a: &a [*a]\n", "f.yaml"),
                       doctest::Contains("f.yaml:1:4: an alias refers to a node that contains it"),
                       kb::base::YamlError);
  CHECK_THROWS_WITH_AS(parse_yaml("a: &a {b: *a}\n", "f.yaml"), doctest::Contains("contains it"), kb::base::YamlError);
  // Each level holds the previous one ten times: 10^9 nodes from 300 bytes.
  std::string laughs = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string p = "*l" + std::to_string(i - 1);
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + p;
    for (int j = 1; j < 10; ++j) laughs += ", " + p;
    laughs += "]\n";
  }
  CHECK_THROWS_WITH_AS(parse_yaml(laughs, "f.yaml"), doctest::Contains("document contains excessive aliasing"),
                       kb::base::YamlError);
  // Aliases used a few times stay fine.
  CHECK(parse_yaml("a: &a [1, 2]\nb: [*a, *a]\n").at("b").as_array().size() == 2);
}

TEST_CASE(
    "text that is not UTF-8, or holds control characters, is an error naming line and column (found by test/fuzz)") {
  CHECK_THROWS_WITH_AS(parse_yaml("name: x\nrepli\xff: 2\n", "f.yaml"),
                       "f.yaml:2:6: invalid UTF-8 (the text is not Unicode)", kb::base::YamlError);
  for (const char* text : {"a: \xc0\xaf", "a: \xed\xa0\x80", "a: \xf4\x90\x80\x80", "a: \xe2\x82"}) {
    CHECK_THROWS_AS(parse_yaml(text, "f.yaml"), kb::base::YamlError);
  }
  CHECK_THROWS_WITH_AS(parse_yaml(std::string("a: 1\n-!#!fl\f\0NUL", 16), "f.yaml"),
                       "f.yaml:2:7: control characters are not allowed", kb::base::YamlError);
  CHECK_THROWS_AS(parse_yaml("a: \x7f"), kb::base::YamlError);
  CHECK(parse_yaml("a:\tb\r\nc: d\r\n").at("c") == json::value("d"));
  CHECK(parse_yaml("a: \xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80").at("a") ==
        json::value("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
}

TEST_CASE("words longer than the null and bool spellings stay strings") {
  for (const char* word : {"Falsey", "nullable", "e12345", "E1.5e3", "Infinity", "yesterday", "offline", "NaNNaN"})
    CHECK(kb::base::resolve_plain_scalar(word) == json::value(word));
  CHECK(kb::base::resolve_plain_scalar("FALSE") == json::value(false));
  CHECK(kb::base::resolve_plain_scalar("e1") == json::value("e1"));
}
