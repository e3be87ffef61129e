#include "pkg/base/json_path.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

#include <string>

using namespace kb::base;
namespace json = boost::json;

namespace {
const json::value kPod = json::parse(R"({
  "metadata": {"name": "demo-0", "generation": 3, "labels": {"app": "bitcoin"}},
  "spec": {"replicas": 18446744073709551615, "paused": true, "list": [1, 2]},
  "status": {"podIP": "10.0.0.7", "ready": 1}
})");
}  // namespace

TEST_CASE("json_at walks objects and answers nullptr at the first missing or non-object step") {
  REQUIRE(json_at(kPod, "status", "podIP") != nullptr);
  CHECK(*json_at(kPod, "status", "podIP") == "10.0.0.7");
  CHECK(json_at(kPod) == &kPod);  // no keys: the root itself
  CHECK(json_at(kPod, "status", "missing") == nullptr);
  CHECK(json_at(kPod, "status", "podIP", "deeper") == nullptr);  // a string has no fields
  CHECK(json_at(kPod, "spec", "list", "0") == nullptr);          // arrays are not indexed by key
  CHECK(json_at(json::value(42), "metadata") == nullptr);
  const std::string key = "labels";
  CHECK(json_at(kPod, "metadata", key, std::string_view("app")) != nullptr);  // any string-like key
}

TEST_CASE("typed getters: nullopt when absent or of another type") {
  CHECK(string_at(kPod, "metadata", "name") == "demo-0");
  CHECK(string_at(kPod, "metadata", "generation") == std::nullopt);
  CHECK(string_at(kPod, "metadata", "uid") == std::nullopt);
  CHECK(int_at(kPod, "metadata", "generation") == 3);
  CHECK(int_at(kPod, "metadata", "name") == std::nullopt);
  CHECK(int_at(kPod, "spec", "replicas") == std::nullopt);  // an unsigned beyond int64 does not fit
  CHECK(int_at(json::parse(R"({"n": 9223372036854775807})"), "n") == 9223372036854775807);
  CHECK(bool_at(kPod, "spec", "paused") == true);
  CHECK(bool_at(kPod, "status", "ready") == std::nullopt);  // 1 is not a bool
  CHECK(string_at(kPod, "metadata", "uid").value_or("") == "");
}

TEST_CASE("the same getters start from an object already in hand") {
  const json::object& root = kPod.as_object();
  CHECK(string_at(root, "metadata", "name") == "demo-0");
  CHECK(int_at(root, "metadata", "generation") == 3);
  CHECK(bool_at(root, "spec", "paused") == true);
  CHECK(json_at(root) == nullptr);  // no keys: an object root is no value to point at
  CHECK(json_at(root, "nothing") == nullptr);
  CHECK(string_of(nullptr) == std::nullopt);
  CHECK(int_of(json_at(kPod, "metadata", "generation")) == 3);
}
