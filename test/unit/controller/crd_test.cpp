// The CRD states which spec.args are refused, and so does node_args. This test reads
// manifests/crd.yaml and holds the two against each other, so they cannot drift apart unnoticed.
// (The CRD's defaults and limits are held against pkg/api by test/unit/api/crd_test.cpp.)
#include "pkg/controller/node_args.hpp"
#include "test/unit/api/support/crd_file.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <map>
#include <set>

using namespace kb::controller;
using namespace kb::testing;
namespace json = boost::json;

namespace {
// The names between "(no)?(" and ")(=|$)" of a rule such as !self.matches("^--?(no)?(a|b)(=|$)").
std::set<std::string> names_in_rule(std::string_view rule) {
  std::set<std::string> names;
  auto start = rule.find("(no)?(");
  auto end = rule.find(")(=|$)");
  if (start == std::string_view::npos || end == std::string_view::npos) return names;
  auto list = rule.substr(start + 6, end - start - 6);
  while (!list.empty()) {
    auto bar = list.find('|');
    names.emplace(list.substr(0, bar));
    if (bar == std::string_view::npos) break;
    list.remove_prefix(bar + 1);
  }
  return names;
}
}  // namespace

TEST_CASE("the CRD's rules on spec.args refuse exactly the options node_args refuses, within a cost bound") {
  auto crd = read_crd();
  const auto& args = spec_schema(crd).at("properties").at("args").as_object();
  // CEL's cost estimate grows with the number and the length of the strings it may see.
  CHECK(args.at("maxItems").to_number<int>() <= 64);
  CHECK(args.at("items").at("maxLength").to_number<int>() <= 256);

  std::map<ArgRefusal, std::set<std::string>> in_crd;
  bool section_rule = false, option_rule = false;
  for (const auto& rule : args.at("items").at("x-kubernetes-validations").as_array()) {
    std::string text(rule.at("rule").as_string());
    CHECK(rule.as_object().contains("messageExpression"));
    if (text.find("[.]") != std::string::npos) {
      section_rule = true;
      continue;
    }
    if (text.starts_with("self.startsWith")) {
      option_rule = true;
      continue;
    }
    auto names = names_in_rule(text);
    REQUIRE_MESSAGE(!names.empty(), text);
    auto refusal = names.contains("daemon")        ? ArgRefusal::foreground
                   : names.contains("blocknotify") ? ArgRefusal::runs_command
                                                   : ArgRefusal::managed;
    in_crd[refusal].insert(names.begin(), names.end());
    // The message names the option with the same alternatives as the rule.
    std::string message(rule.at("messageExpression").as_string());
    for (const auto& name : names) CHECK_MESSAGE(message.find(name) != std::string::npos, name);
  }
  CHECK(section_rule);
  CHECK(option_rule);
  std::map<ArgRefusal, std::set<std::string>> in_code;
  for (const auto& locked : locked_options()) in_code[locked.refusal].emplace(locked.name);
  CHECK(in_crd == in_code);
}
