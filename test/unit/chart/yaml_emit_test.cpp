// to_yaml against outputs recorded from sigs.k8s.io/yaml (go-yaml v2), as Helm's toYaml prints.
#include "pkg/chart/yaml_emit.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using kb::chart::to_yaml;
namespace json = boost::json;

TEST_CASE("mappings sorted, sequences not indented under their key, empty collections inline") {
  auto v = json::parse(R"({"b":1,"a":{"z":[{"k":"v","j":[1,2]},[3,4]],"y":{}},"A":[],"_u":null,"a10":1,"a9":2})");
  CHECK(to_yaml(v) ==
        "_u: null\nA: []\na:\n  \"y\": {}\n  z:\n  - j:\n    - 1\n    - 2\n    k: v\n  - - 3\n    - 4\na9: 2\na10: 1\nb: 1\n");
}

TEST_CASE("strings are quoted only when needed") {
  auto v = json::parse(R"(["true","yes","null","","1","1.5","0x1F","a: b","- x","#c","x:","2001-12-14","1:20","plain text"," lead","tab\there","é","it's","?q"])");
  CHECK(to_yaml(v) ==
        "- \"true\"\n- \"yes\"\n- \"null\"\n- \"\"\n- \"1\"\n- \"1.5\"\n- \"0x1F\"\n- 'a: b'\n- '- x'\n- '#c'\n- 'x:'\n"
        "- \"2001-12-14\"\n- \"1:20\"\n- plain text\n- ' lead'\n- \"tab\\there\"\n- é\n- it's\n- ?q\n");
}

TEST_CASE("multi-line strings become literal blocks with the right chomping") {
  auto v = json::parse(R"({"clip":"a\nb\n","keep":"a\n\n","strip":"a\nb","lead":"\n x","bad":"a \nb"})");
  CHECK(to_yaml(v) == "bad: \"a \\nb\"\nclip: |\n  a\n  b\nkeep: |+\n  a\n\nlead: |2-\n\n   x\nstrip: |-\n  a\n  b\n");
}

TEST_CASE("numbers: integral floats print as integers, others in Go's shortest form") {
  CHECK(to_yaml(json::parse(R"({"i":3,"f":1.0,"big":1e6,"small":1.5e-7,"huge":1e21})")) ==
        "big: 1000000\nf: 1\nhuge: 1e+21\ni: 3\nsmall: 1.5e-07\n");
}

TEST_CASE("long plain scalars fold after column 80") {
  json::object o;
  o["long"] = "aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp qqqq rrrr";
  CHECK(to_yaml(o) == "long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n  qqqq rrrr\n");
}

TEST_CASE("scalars at the top level") {
  CHECK(to_yaml(json::value("x")) == "x\n");
  CHECK(to_yaml(json::value(nullptr)) == "null\n");
  CHECK(to_yaml(json::object{}) == "{}\n");
  CHECK(to_yaml(json::value("a\nb")) == "|-\n  a\n  b\n");
}

TEST_CASE("keys that span lines or exceed 128 bytes use the explicit ? form") {
  json::object o;
  o["multi\nkey"] = 1;
  o[std::string(130, 'k')] = json::object{{"a", 1}, {"b", 2}};
  CHECK(to_yaml(o) == "? " + std::string(130, 'k') + "\n: a: 1\n  b: 2\n? |-\n  multi\n  key\n: 1\n");
}
