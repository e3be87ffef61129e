// to_yaml against outputs recorded from sigs.k8s.io/yaml (go-yaml v2), as Helm's toYaml prints.
#include "pkg/chart/yaml_emit.hpp"

#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cstdint>
#include <regex>
#include <string>

using kb::chart::to_yaml;
namespace json = boost::json;

TEST_CASE("mappings sorted, sequences not indented under their key, empty collections inline") {
  auto v = json::parse(R"({"b":1,"a":{"z":[{"k":"v","j":[1,2]},[3,4]],"y":{}},"A":[],"_u":null,"a10":1,"a9":2})");
  CHECK(to_yaml(v) ==
        "_u: null\nA: []\na:\n  \"y\": {}\n  z:\n  - j:\n    - 1\n    - 2\n    k: v\n  - - 3\n    - 4\na9: 2\na10: "
        "1\nb: 1\n");
}

TEST_CASE("strings are quoted only when needed") {
  auto v = json::parse(
      R"(["true","yes","null","","1","1.5","0x1F","a: b","- x","#c","x:","2001-12-14","1:20","plain text"," lead","tab\there","é","it's","?q"])");
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
  CHECK(to_yaml(o) ==
        "long: aaaa bbbb cccc dddd eeee ffff gggg hhhh iiii jjjj kkkk llll mmmm nnnn oooo pppp\n  qqqq rrrr\n");
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

// yaml_string_needs_quotes matches go-yaml v2's non-string forms by hand; check it against the
// regular expressions it replaced, on every short string over the characters that matter.
TEST_CASE("yaml_string_needs_quotes agrees with the regular expressions it replaces") {
  const std::regex go_integer(R"([-+]?0[oObBxX][0-9a-fA-F_]+|[-+]?[0-9][0-9_]*)");
  const std::regex go_float(R"([-+]?([0-9][0-9_]*)?\.?[0-9_]+([eE][-+]?[0-9]+)?)");
  const std::regex timestamp(
      R"([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?)");
  const std::regex base60(R"([-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?)");
  auto expected = [&](const std::string& s) {
    if (s.empty() || !kb::base::resolve_plain_scalar(s).is_string()) return true;
    char first = s[0];
    if (!((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.')) return false;
    if (s.find_first_of("0123456789") == std::string::npos) return false;
    return std::regex_match(s, go_integer) || std::regex_match(s, go_float) || std::regex_match(s, timestamp) ||
           std::regex_match(s, base60);
  };
  auto check = [&](const std::string& s) {
    INFO("string: '" << s << "'");
    CHECK(kb::chart::yaml_string_needs_quotes(s) == expected(s));
  };
  // Exhaustive over a small alphabet up to length 4.
  const std::string alphabet = "07_.:-+eExbZT \ta";
  std::string s;
  auto all = [&](auto& self, std::size_t depth) -> void {
    check(s);
    if (depth == 4) return;
    for (char c : alphabet) {
      s.push_back(c);
      self(self, depth + 1);
      s.pop_back();
    }
  };
  all(all, 0);
  // Longer shapes built from pieces of timestamps, sexagesimals, floats and based integers.
  const char* pieces[] = {"2001", "-", "12", "1", "123", "T", "t", " ",  "\t", ":",  "30",
                          "61",   "5", ".",  "Z", "+",   "_", "e", "0x", "0o", "ff", "9"};
  std::uint32_t state = 12345;
  for (int n = 0; n < 200000; ++n) {
    std::string t;
    int len = 1 + static_cast<int>((state >> 8) % 9);
    for (int k = 0; k < len; ++k) {
      state = state * 1103515245u + 12345u;
      t += pieces[(state >> 16) % (sizeof(pieces) / sizeof(pieces[0]))];
    }
    check(t);
  }
  for (const char* t :
       {"2001-12-14", "2001-12-14t21:59:43.10-05:00", "2001-12-14 21:59:43.10 -5", "2001-12-14T21:59:43Z",
        "2001-1-1  1:00:00 +01:00", "2001-12-14T21:59:43 Z", "2001-12-14T21:59:43 ", "190:20:30.15", "1:60", "1:59",
        "-1_0:5:09.", "0x_", "0b102", "+.5e-3", "1.e5", "._", "1_000"})
    check(t);
}
