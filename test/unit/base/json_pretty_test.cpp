#include "pkg/base/json_pretty.hpp"

#include "pkg/base/json_subset.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

TEST_CASE("pretty JSON keeps key order and parses back") {
  auto v = boost::json::parse(R"({"b":1,"a":[true,null,{"x":"y"}],"e":{},"f":[]})");
  auto text = kb::base::pretty_json(v);
  CHECK(text ==
        "{\n  \"b\": 1,\n  \"a\": [\n    true,\n    null,\n    {\n      \"x\": \"y\"\n    }\n  ],\n"
        "  \"e\": {},\n  \"f\": []\n}");
  CHECK(boost::json::parse(text) == v);
}

TEST_CASE("is_subset: fields we set must match; extra live fields are fine") {
  using kb::base::is_subset;
  auto live = boost::json::parse(R"({"spec":{"replicas":3,"x":1,"ports":[{"port":80,"protocol":"TCP"}]},"status":{}})");
  CHECK(is_subset(boost::json::parse(R"({"spec":{"replicas":3}})"), live));
  CHECK(is_subset(boost::json::parse(R"({"spec":{"ports":[{"port":80}]}})"), live));
  CHECK_FALSE(is_subset(boost::json::parse(R"({"spec":{"replicas":4}})"), live));
  CHECK_FALSE(is_subset(boost::json::parse(R"({"spec":{"ports":[{"port":80},{"port":81}]}})"), live));
  CHECK_FALSE(is_subset(boost::json::parse(R"({"spec":{"missing":"x"}})"), live));
  CHECK(is_subset(boost::json::parse(R"({"spec":{"emptyDir":{}}})"), live));
  CHECK(is_subset(boost::json::parse(R"({"a":1.0})"), boost::json::parse(R"({"a":1})")));
}
