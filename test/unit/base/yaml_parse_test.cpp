// Pure tests of the YAML reader (libyaml events → JSON): typing, bounds, errors; no fakes needed.
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <chrono>
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

// What go-yaml v2 (through sigs.k8s.io/yaml, as Kubernetes and Helm read YAML) makes of each text,
// from its documented rules: YAML 1.1 plain scalars (yes/on/y are booleans, 010 is octal, 0o and 0b
// prefixes, '_' between digits, integers beyond int64 as uint64, then floats); quoted and block
// scalars are strings; tags !!str/!!int/!!float/!!bool/!!null convert or refuse, !!binary is base64,
// other tags leave the text a string; merge keys; the last of repeated keys wins. Floats are written
// with a '.' or an exponent, so the table also states which numbers are floats. (Checked against
// sigs.k8s.io/yaml v1.4.0 YAMLToJSON on 2026-12-06; keys are the one place this reader differs:
// they stay as written, where sigs.k8s.io/yaml turns "yes:" into "true".)
TEST_CASE("typing follows go-yaml v2 (table)") {
  struct Case {
    const char* yaml;
    const char* json;
  };
  const Case table[] = {
      {"v: 1", R"({"v":1})"},
      {"v: -17", R"({"v":-17})"},
      {"v: +12", R"({"v":12})"},
      {"v: 0x1f", R"({"v":31})"},
      {"v: 0X1F", R"({"v":31})"},
      {"v: 010", R"({"v":8})"},
      {"v: 0o17", R"({"v":15})"},
      {"v: +0o17", R"({"v":15})"},
      {"v: 0b101", R"({"v":5})"},
      {"v: -0b101", R"({"v":-5})"},
      {"v: 1_000", R"({"v":1000})"},
      {"v: 0", R"({"v":0})"},
      {"v: -0", R"({"v":0})"},
      {"v: 08", R"({"v":8.0})"},
      {"v: 0x", R"({"v":"0x"})"},
      {"v: 00x1", R"({"v":"00x1"})"},
      {"v: _1", R"({"v":"_1"})"},
      {"v: 9223372036854775807", R"({"v":9223372036854775807})"},
      {"v: -9223372036854775808", R"({"v":-9223372036854775808})"},
      {"v: 18446744073709551615", R"({"v":18446744073709551615})"},
      {"v: 1.5", R"({"v":1.5})"},
      {"v: -1.5", R"({"v":-1.5})"},
      {"v: +1.5", R"({"v":1.5})"},
      {"v: 1e3", R"({"v":1000.0})"},
      {"v: 1E3", R"({"v":1000.0})"},
      {"v: 1.5e-3", R"({"v":0.0015})"},
      {"v: .5", R"({"v":0.5})"},
      {"v: -.5e3", R"({"v":-500.0})"},
      {"v: 5.", R"({"v":5.0})"},
      {"v: 1_000.5", R"({"v":1000.5})"},
      {"v: 1.2.3", R"({"v":"1.2.3"})"},
      {"v: 1e", R"({"v":"1e"})"},
      {"v: e3", R"({"v":"e3"})"},
      {"v: true", R"({"v":true})"},
      {"v: True", R"({"v":true})"},
      {"v: TRUE", R"({"v":true})"},
      {"v: tRue", R"({"v":"tRue"})"},
      {"v: yes", R"({"v":true})"},
      {"v: Yes", R"({"v":true})"},
      {"v: y", R"({"v":true})"},
      {"v: on", R"({"v":true})"},
      {"v: false", R"({"v":false})"},
      {"v: no", R"({"v":false})"},
      {"v: N", R"({"v":false})"},
      {"v: off", R"({"v":false})"},
      {"v: OFF", R"({"v":false})"},
      {"v: ~", R"({"v":null})"},
      {"v: null", R"({"v":null})"},
      {"v: NULL", R"({"v":null})"},
      {"v: nULL", R"({"v":"nULL"})"},
      {"v:", R"({"v":null})"},
      {"v: ''", R"({"v":""})"},
      {"v: \"1\"", R"({"v":"1"})"},
      {"v: '1'", R"({"v":"1"})"},
      {"v: \"true\"", R"({"v":"true"})"},
      {"v: 'null'", R"({"v":"null"})"},
      {"v: |\n  1\n", R"({"v":"1\n"})"},
      {"v: >-\n  true\n", R"({"v":"true"})"},
      {"v: 2001-12-14", R"({"v":"2001-12-14"})"},
      {"v: 12:30:00", R"({"v":"12:30:00"})"},
      {"v: hello world", R"({"v":"hello world"})"},
      {"v: !!str 1", R"({"v":"1"})"},
      {"v: !!str true", R"({"v":"true"})"},
      {"v: !!int 7", R"({"v":7})"},
      {"v: !!int \"7\"", R"({"v":7})"},
      {"v: !!float 1", R"({"v":1.0})"},
      {"v: !!float 1.5", R"({"v":1.5})"},
      {"v: !!bool yes", R"({"v":true})"},
      {"v: !!bool 'true'", R"({"v":true})"},
      {"v: !!null ~", R"({"v":null})"},
      {"v: !!null ''", R"({"v":null})"},
      {"v: !!binary aGVsbG8=", R"({"v":"hello"})"},
      {"v: !!timestamp 2001-12-14", R"({"v":"2001-12-14"})"},
      {"v: !custom 12", R"({"v":"12"})"},
      {"v: ! 12", R"({"v":"12"})"},
      {"v: !!map {a: 1}", R"({"v":{"a":1}})"},
      {"v: !!seq [1]", R"({"v":[1]})"},
      {"v: !!map 12", R"({"v":"12"})"},
      {"a: 1\na: 2", R"({"a":2})"},
      {"b: &b {x: 1, z: 2}\nv:\n  <<: *b\n  z: 3", R"({"b":{"x":1,"z":2},"v":{"x":1,"z":3}})"},
      {"b: &b {x: 1, z: 2}\nv:\n  z: 3\n  <<: *b", R"({"b":{"x":1,"z":2},"v":{"z":2,"x":1}})"},
      {"a: &a {x: 1}\nb: &b {x: 2, z: 3}\nv:\n  <<: [*a, *b]", R"({"a":{"x":1},"b":{"x":2,"z":3},"v":{"x":1,"z":3}})"},
      {"v:\n  <<: {q: 1}", R"({"v":{"q":1}})"},
      {"v:\n  '<<': 1", R"({"v":{"<<":1}})"},
  };
  for (const auto& c : table) {
    INFO(c.yaml);
    CHECK(parse_yaml(c.yaml) == json::parse(c.json));
  }
  // Tags that do not fit their text are refused, as go-yaml v2 refuses them.
  for (const char* text : {"v: !!int abc", "v: !!int 1.5", "v: !!float abc", "v: !!bool 1", "v: !!null x",
                           "v: !!binary '!!'", "v: !!binary /w==", "v: -"}) {
    INFO(text);
    CHECK_THROWS_AS(parse_yaml(text), kb::base::YamlError);
  }
}

TEST_CASE("nested maps and sequences, and keys become strings") {
  auto v = parse_yaml("list:\n- 1\n- x: [a, 2]\n3: three\n~: nil\n'~': tilde\n0x1f: hex\n");
  CHECK(json::serialize(v) == R"({"list":[1,{"x":["a",2]}],"3":"three","null":"nil","~":"tilde","0x1f":"hex"})");
}

TEST_CASE("multi-document streams drop empty documents") {
  auto docs = parse_yaml_documents("---\na: 1\n---\n---\n# only a comment\n--- ~\n---\nb: 2\n");
  REQUIRE(docs.size() == 2);
  CHECK(docs[1].at("b") == json::value(2));
}

TEST_CASE("errors name the source, the 1-based line and column, and libyaml's problem and context") {
  struct Case {
    const char* text;
    const char* error;
  };
  const Case cases[] = {
      // The flow sequence never ends: the problem is at the end of the text, the context where it began.
      {"a: 1\nb: [1, 2\n",
       "values.yaml:3:1: did not find expected ',' or ']' (while parsing a flow sequence that starts at line 2, column "
       "4)"},
      {"a: 1\n b: 2\n", "values.yaml:2:3: mapping values are not allowed in this context"},
      {"a: 'x\n",
       "values.yaml:2:1: found unexpected end of stream (while scanning a quoted scalar that starts at line 1, column "
       "4)"},
      {"key: value\n- item\n",
       "values.yaml:2:1: did not find expected key (while parsing a block mapping that starts at line 1, column 1)"},
      {"a: *b\n", "values.yaml:1:4: unknown anchor 'b' referenced"},
      {"a: !!int abc\n", "values.yaml:1:4: cannot decode `abc` as a !!int"},
      {"? [a]\n: b\n", "values.yaml:1:3: mapping keys must be scalars, not sequences or mappings"},
      {"a:\n  <<: 1\n", "values.yaml:2:7: map merge requires map or sequence of maps as the value"},
      // Bytes that are not UTF-8 or are control characters: libyaml's reader knows their offset.
      {"name: x\nrepli\xff: 2\n", "values.yaml:2:6: invalid leading UTF-8 octet"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK_THROWS_WITH_AS(parse_yaml(c.text, "values.yaml"), c.error, kb::base::YamlError);
  }
  try {
    parse_yaml("a: 1\n b: 2\n", "values.yaml");
    FAIL("expected a YamlError");
  } catch (const kb::base::YamlError& e) {
    CHECK(e.source() == "values.yaml");
    CHECK(e.line() == 2);
    CHECK(e.column() == 3);
    CHECK(e.problem() == "mapping values are not allowed in this context");
  }
}

TEST_CASE("numbers beyond int64 become uint64 or floats as in go-yaml v2, never wrap") {
  CHECK(kb::base::resolve_plain_scalar("9223372036854775807") == json::value(INT64_MAX));
  CHECK(kb::base::resolve_plain_scalar("9223372036854775808") == json::value(std::uint64_t{9223372036854775808u}));
  CHECK(kb::base::resolve_plain_scalar("18446744073709551616") == json::value(18446744073709551616.0));
  CHECK(kb::base::resolve_plain_scalar("99999999999999999999") == json::value(1e20));
  CHECK(kb::base::resolve_plain_scalar("-9223372036854775809") == json::value(-9223372036854775809.0));
  CHECK(kb::base::resolve_plain_scalar("1e400").is_string());  // beyond double: go-yaml keeps the text
  CHECK(kb::base::resolve_plain_scalar("-").is_string());
  CHECK(kb::base::resolve_plain_scalar("1.2.3").is_string());
}

// yaml-cpp 0.7, the reader before libyaml, looped forever (or allocated until it died) on each of
// these, found by test/fuzz; libyaml answers every one at once. The time bound is generous: a loop
// would never end.
TEST_CASE("texts that looped forever in yaml-cpp are answered at once (found by test/fuzz)") {
  const char* const former_loops[] = {
      // A flow collection or quoted scalar followed by a comma.
      "{{ jnoe }},", "[[1]],", "{a},", "---\n{a: 1} , x\n", "&a [a],", "[a]\n,", "\"a\",", "\"a\" ,x", "'a',",
      "\"a\"\n# c\n,", "'it''s',", "\"\\\"\",", "\"\"\"\",",
      // A node starting with a comma.
      ",", ",lus", " ,a: 1", "# c\n,", "---\n,", "a: 1\n---\n,x", "%YAML 1.1\n---\n,", "!!str ,", "&a ,", "--- ,",
      "!!str,", "&a,x", "!ceN,2kb\n", "!!st---,sp",
      // A line starting with a comma inside a block collection.
      "- a6\n Sb\n,", "clust #e's:/ [\n  - nam=: a\n , bad",
      // The two loops the guards never covered (test/fuzz/*/regressions/): a tag followed by commas
      // inside a mapping, and an explicit key next to a sequence.
      "\n  command#`uter:\n !$h,,,,-pro6", "!!mRRRRRRRRRRR null\n? n&coa'\n- ? "};
  for (const char* text : former_loops) {
    INFO(text);
    auto start = std::chrono::steady_clock::now();
    try {
      parse_yaml(text, "f.yaml");
    } catch (const kb::base::YamlError& e) {
      CHECK(e.source() == "f.yaml");
      CHECK(e.line() >= 1);
      CHECK(e.column() >= 1);
    }
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
  }
  // Each is refused with libyaml's reason, except the last, which is one plain scalar with an
  // unknown tag (go-yaml v2 reads it the same way: a string).
  CHECK_THROWS_WITH_AS(
      parse_yaml(",", "f.yaml"),
      "f.yaml:1:1: did not find expected node content (while parsing a block node that starts at line 1, column 1)",
      kb::base::YamlError);
  CHECK_THROWS_WITH_AS(parse_yaml("- a6\n Sb\n,", "f.yaml"),
                       "f.yaml:3:1: did not find expected '-' indicator (while parsing a block collection that starts "
                       "at line 1, column 1)",
                       kb::base::YamlError);
  CHECK_THROWS_AS(parse_yaml("\n  command#`uter:\n !$h,,,,-pro6"), kb::base::YamlError);
  CHECK(parse_yaml("!!mRRRRRRRRRRR null\n? n&coa'\n- ? ") == json::value("null ? n&coa' - ?"));
  // Commas where YAML allows them.
  CHECK(parse_yaml("{a: 1}\n").at("a") == json::value(1));
  CHECK(parse_yaml("[\"x,\", 2]").as_array().size() == 2);
  CHECK(parse_yaml("\"a,b\"") == json::value("a,b"));
  CHECK(parse_yaml("'it''s, fine'") == json::value("it's, fine"));
  CHECK(parse_yaml("-,") == json::value("-,"));
  CHECK(parse_yaml("a,b") == json::value("a,b"));
  CHECK(parse_yaml("a: [1\n  , 2]\n").at("a").as_array().size() == 2);
  CHECK(parse_yaml("a: {x: 1\n  , y: 2}\n").at("a").as_object().size() == 2);
  CHECK(parse_yaml("a: |\n  ,x\n  ,y\nb: 1\n").at("a") == json::value(",x\n,y\n"));
  CHECK(parse_yaml("a: >-\n  ,x\n").at("a") == json::value(",x"));
  CHECK(parse_yaml("a: \"x\n  ,y\"\n").at("a") == json::value("x ,y"));
  CHECK(parse_yaml("a: 'it''s\n  ,y'\n").at("a") == json::value("it's ,y"));
  CHECK(parse_yaml("a: it's\n# ,c\nb: 2\n").at("b") == json::value(2));
}

TEST_CASE("aliases that contain themselves or expand without bound are errors naming the limit") {
  CHECK_THROWS_WITH_AS(parse_yaml("a: &a [*a]\n", "f.yaml"),
                       "f.yaml:1:8: an alias refers to a node that contains it (*a)", kb::base::YamlError);
  CHECK_THROWS_WITH_AS(parse_yaml("a: &a {b: *a}\n", "f.yaml"), doctest::Contains("contains it"), kb::base::YamlError);
  // Billion laughs: each level holds the previous one ten times, 10^9 nodes from 300 bytes.
  std::string laughs = "l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 9; ++i) {
    std::string p = "*l" + std::to_string(i - 1);
    laughs += "l" + std::to_string(i) + ": &l" + std::to_string(i) + " [" + p;
    for (int j = 1; j < 10; ++j) laughs += ", " + p;
    laughs += "]\n";
  }
  CHECK_THROWS_WITH_AS(
      parse_yaml(laughs, "f.yaml"),
      doctest::Contains("document contains excessive aliasing (aliases expand to more than 1000000 nodes)"),
      kb::base::YamlError);
  // Few nodes, many bytes: a 64 KiB scalar aliased 1100 times would be 72 MB.
  std::string wide = "s: &s " + std::string(65536, 'x') + "\nl: [*s";
  for (int i = 1; i < 1100; ++i) wide += ", *s";
  wide += "]\n";
  CHECK_THROWS_WITH_AS(parse_yaml(wide, "f.yaml"),
                       doctest::Contains("aliases expand to more than 67108864 bytes of scalars"), kb::base::YamlError);
  // Aliases used a few times stay fine, anchors may be redefined (the latest wins), and an alias
  // of a scalar may be a key.
  CHECK(json::serialize(parse_yaml("a: &a [1, 2]\nb: [*a, *a]\n")) == R"({"a":[1,2],"b":[[1,2],[1,2]]})");
  CHECK(json::serialize(parse_yaml("a: &x 1\nb: &x 2\nc: *x\n")) == R"({"a":1,"b":2,"c":2})");
  CHECK(json::serialize(parse_yaml("a: &k 5\nc: {*k : x}\n")) == R"({"a":5,"c":{"5":"x"}})");
  // Anchors belong to their document.
  CHECK_THROWS_WITH_AS(parse_yaml_documents("a: &a 1\n---\nb: *a\n", "f.yaml"),
                       "f.yaml:3:4: unknown anchor 'a' referenced", kb::base::YamlError);
}

TEST_CASE("nesting deeper than 1000 sequences and mappings is an error, at any width of input") {
  const std::string limit = "nesting deeper than 1000 sequences and mappings";
  // 100,000 '[': the error is at the 1001st.
  CHECK_THROWS_WITH_AS(parse_yaml(std::string(100000, '['), "f.yaml"), ("f.yaml:1:1001: " + limit).c_str(),
                       kb::base::YamlError);
  CHECK_THROWS_WITH_AS(parse_yaml("x: " + std::string(100000, '['), "f.yaml"), doctest::Contains(limit.c_str()),
                       kb::base::YamlError);
  std::string dashes;
  for (int i = 0; i < 5000; ++i) dashes += "- ";
  CHECK_THROWS_WITH_AS(parse_yaml(dashes, "f.yaml"), doctest::Contains(limit.c_str()), kb::base::YamlError);
  std::string block;
  for (int i = 0; i < 1500; ++i) block += std::string(static_cast<std::size_t>(i), ' ') + "k:\n";
  CHECK_THROWS_WITH_AS(parse_yaml(block, "f.yaml"), doctest::Contains(("f.yaml:1001:1001: " + limit).c_str()),
                       kb::base::YamlError);
  // Exactly 1000 levels are fine.
  json::value deep = parse_yaml(std::string(1000, '[') + std::string(1000, ']'));
  int levels = 0;
  for (const json::value* v = &deep; v->is_array(); v = v->as_array().empty() ? nullptr : &v->as_array()[0]) {
    ++levels;
    if (v->as_array().empty()) break;
  }
  CHECK(levels == 1000);
}

TEST_CASE(
    "text that is not UTF-8, or holds control characters, is an error naming line and column (found by test/fuzz)") {
  CHECK_THROWS_WITH_AS(parse_yaml("name: x\nrepli\xff: 2\n", "f.yaml"), "f.yaml:2:6: invalid leading UTF-8 octet",
                       kb::base::YamlError);
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
