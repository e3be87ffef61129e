#include "pkg/kube/conditions.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

using namespace kb::kube;
namespace json = boost::json;

TEST_CASE("find_condition and condition_is_true read status.conditions by type") {
  const json::value crd = json::parse(R"({"status": {"conditions": [
    {"type": "NamesAccepted", "status": "True"},
    {"type": "Established", "status": "False", "reason": "Installing"},
    "not an object",
    {"status": "True"}
  ]}})");
  const auto* established = condition_of(crd, "Established");
  REQUIRE(established != nullptr);
  CHECK(established->at("reason") == "Installing");
  CHECK(find_condition(crd.at("status").at("conditions"), "NamesAccepted") != nullptr);
  CHECK(condition_of(crd, "Ready") == nullptr);
  CHECK(condition_is_true(crd, "NamesAccepted"));
  CHECK_FALSE(condition_is_true(crd, "Established"));
  CHECK_FALSE(condition_is_true(crd, "Ready"));
  CHECK(find_condition(json::value("not an array"), "Ready") == nullptr);
  CHECK(condition_of(json::parse(R"({"status": {"conditions": {}}})"), "Ready") == nullptr);
  CHECK_FALSE(condition_is_true(json::parse(R"({"status": {"conditions": [{"type": "Ready", "status": true}]}})"),
                                "Ready"));  // a bool is not the string "True"
}

TEST_CASE("set_condition keeps lastTransitionTime unless the status changes") {
  json::array conditions;
  CHECK(set_condition(conditions, {{"type", "Ready"}, {"status", "False"}, {"reason", "Starting"}}, "T1"));
  REQUIRE(conditions.size() == 1);
  CHECK(conditions[0].at("lastTransitionTime") == "T1");

  // Same status, new reason: a change, but not a transition.
  CHECK(set_condition(conditions, {{"type", "Ready"}, {"status", "False"}, {"reason", "Syncing"}}, "T2"));
  CHECK(conditions[0].at("lastTransitionTime") == "T1");
  CHECK(conditions[0].at("reason") == "Syncing");

  // Nothing new: no change reported, so the caller can skip the write.
  CHECK_FALSE(set_condition(conditions, {{"type", "Ready"}, {"status", "False"}, {"reason", "Syncing"}}, "T3"));

  CHECK(set_condition(conditions, {{"type", "Ready"}, {"status", "True"}, {"reason", "AllReady"}}, "T4"));
  CHECK(conditions[0].at("lastTransitionTime") == "T4");

  CHECK(set_condition(conditions, {{"type", "Degraded"}, {"status", "False"}}, "T5"));
  CHECK(conditions.size() == 2);
  CHECK_FALSE(set_condition(conditions, {{"status", "True"}}, "T6"));  // no type: ignored
}

TEST_CASE("same_conditions ignores order and lastTransitionTime, nothing else") {
  const json::value a = json::parse(R"([
    {"type": "Ready", "status": "True", "lastTransitionTime": "T1"},
    {"type": "Degraded", "status": "False", "lastTransitionTime": "T1"}])");
  const json::value reordered = json::parse(R"([
    {"type": "Degraded", "status": "False", "lastTransitionTime": "T9"},
    {"type": "Ready", "status": "True", "lastTransitionTime": "T9"}])");
  const json::value different = json::parse(R"([
    {"type": "Degraded", "status": "False"},
    {"type": "Ready", "status": "True", "reason": "new"}])");
  CHECK(same_conditions(a, reordered));
  CHECK_FALSE(same_conditions(a, different));
  CHECK_FALSE(same_conditions(a, json::parse(R"([{"type": "Ready", "status": "True"}])")));
  CHECK(same_conditions(json::value(nullptr), json::array{}));  // absent and empty say the same
}
