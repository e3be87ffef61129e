// Helm's strvals syntax; expectations recorded from helm.sh/helm/v3/pkg/strvals (v3.22.0).
#include "pkg/chart/set_parser.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::chart;
namespace json = boost::json;

namespace {
std::string apply(std::initializer_list<std::string> expressions, SetKind kind = SetKind::Typed) {
  json::object values;
  for (const auto& e : expressions) apply_set(e, kind, values);
  return json::serialize(values);
}
SetParseError parse_error(const std::string& expression, SetKind kind = SetKind::Typed) {
  json::object values;
  try {
    apply_set(expression, kind, values);
  } catch (const SetParseError& e) {
    return e;
  }
  FAIL("expected a SetParseError for " << expression);
  throw std::logic_error("unreachable");
}
}  // namespace

TEST_CASE("--set types true/false/null and integers; everything else stays a string") {
  json::object values;
  apply_set("a=1,b=true,c=null,d=1.5,e=007,f=0,g=-3,h=TRUE", SetKind::Typed, values);
  CHECK(values.at("a") == json::value(std::int64_t{1}));
  CHECK(values.at("b") == json::value(true));
  CHECK(values.at("c").is_null());
  CHECK(values.at("d") == json::value("1.5"));
  CHECK(values.at("e") == json::value("007"));
  CHECK(values.at("f") == json::value(std::int64_t{0}));
  CHECK(values.at("g") == json::value(std::int64_t{-3}));
  CHECK(values.at("h") == json::value(true));
}

TEST_CASE("paths, lists, escapes") {
  CHECK(apply({"a.b.c=x"}) == R"({"a":{"b":{"c":"x"}}})");
  CHECK(apply({"a[0]=x,a[2]=z"}) == R"({"a":["x",null,"z"]})");
  CHECK(apply({"a={x,y,z}"}) == R"({"a":["x","y","z"]})");
  CHECK(apply({"a\\.b=1"}) == R"({"a.b":1})");
  CHECK(apply({"a=x\\,y"}) == R"({"a":"x,y"})");
  CHECK(apply({"a[0].b=1,a[0].c=2"}) == R"({"a":[{"b":1,"c":2}]})");
  CHECK(apply({"name="}) == R"({"name":""})");
  CHECK(apply({"a=b=c"}) == R"({"a":"b=c"})");
  CHECK(apply({"outer.inner=1", "outer.other=2"}) == R"({"outer":{"inner":1,"other":2}})");
  CHECK(apply({"a[1][0]=x"}) == R"({"a":[null,["x"]]})");
}

TEST_CASE("--set-string keeps strings, --set-json decodes JSON with float64 numbers") {
  CHECK(apply({"a=1,b=true"}, SetKind::String) == R"({"a":"1","b":"true"})");
  CHECK(apply({"a={x}"}, SetKind::String) == R"({"a":["x"]})");
  json::object values;
  apply_set(R"(a={"x":[1,2]},b=3)", SetKind::Json, values);
  CHECK(values.at("a").at("x").at(0).is_double());
  CHECK(values.at("b") == json::value(3.0));
  CHECK(apply({"a="}, SetKind::Json) == R"({"a":null})");
  CHECK(apply({"a=[1,\"s\"]"}, SetKind::Json) == R"({"a":[1E0,"s"]})");
}

TEST_CASE("--set-file reads through the injected reader; --set-literal takes the rest verbatim") {
  json::object values;
  apply_set("cfg=path/to/file", SetKind::File, values, [](const std::string& path) { return "content of " + path; });
  CHECK(values.at("cfg") == json::value("content of path/to/file"));
  apply_set("x.y=a,b=c\\d", SetKind::Literal, values);
  CHECK(values.at("x").at("y") == json::value("a,b=c\\d"));
}

TEST_CASE("syntax errors show the text and the column") {
  auto e = parse_error("replicas");
  CHECK(e.problem() == "key \"replicas\" has no value");
  CHECK(e.column() == 0);
  auto comma = parse_error("a,b=1");
  CHECK(comma.problem() == "key \"a\" has no value (cannot end with ,)");
  CHECK(comma.column() == 1);
  CHECK(std::string(comma.what()) ==
        "failed parsing --set data: key \"a\" has no value (cannot end with ,)\n  a,b=1\n   ^");
  CHECK(parse_error("a[x]=1").problem() == "error parsing index: strconv.Atoi: parsing \"x\": invalid syntax");
  CHECK(parse_error("a[0]b=1").problem() == "unexpected data at end of array index: ['b']");
  CHECK(parse_error("a={x,y").problem() == "list must terminate with '}'");
  CHECK(parse_error("a..b=1").problem() == "key map \"a\" has no value");
  CHECK(parse_error("a[-1]=1").problem() == "negative -1 index not allowed");
  CHECK(parse_error("a=nojson", SetKind::Json).flag() == "--set-json");
}
