// partition and heal: their GROUP arguments, and the usage errors found before any cluster is
// contacted (run_cli runs the real command line; no fakes).
#include "pkg/cli/partition_command.hpp"
#include "pkg/cli/command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>

using kb::api::PartitionGroup;
using kb::cli::parse_group_arguments;
using kb::test::run_cli;

namespace {
std::string usage_error_of(const std::vector<std::string>& arguments) {
  try {
    parse_group_arguments(arguments);
  } catch (const kb::cli::UsageError& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST_CASE("GROUP arguments: ordinals named by position, or NAME=ordinals") {
  CHECK(parse_group_arguments({"0,1", "2,3"}) == std::vector<PartitionGroup>{{"g1", {0, 1}}, {"g2", {2, 3}}});
  CHECK(parse_group_arguments({"left=0", "right=3,2"}) ==
        std::vector<PartitionGroup>{{"left", {0}}, {"right", {3, 2}}});
  CHECK(parse_group_arguments({"7"}) == std::vector<PartitionGroup>{{"g1", {7}}});
}

TEST_CASE("a GROUP that is not one names the argument and says why") {
  CHECK(usage_error_of({"0,1", "1,2"}) ==
        "GROUP \"1,2\": node 1 is already in GROUP \"0,1\"; a node may be in one group only");
  CHECK(usage_error_of({"0,x"}) == "GROUP \"0,x\": \"x\" is not a node ordinal (a whole number from 0)");
  CHECK(usage_error_of({"0,,1"}) == "GROUP \"0,,1\": \"\" is not a node ordinal (a whole number from 0)");
  CHECK(usage_error_of({"0,-1"}) == "GROUP \"0,-1\": \"-1\" is not a node ordinal (a whole number from 0)");
  CHECK(usage_error_of({"left="}) == "GROUP \"left=\" lists no node; give ordinals separated by commas, e.g. 0,1");
  CHECK(usage_error_of({"Left=0"}) ==
        "GROUP \"Left=0\": the name \"Left\" is not a DNS label (lower-case letters, digits and '-')");
  CHECK(usage_error_of({"rest=0"}) ==
        "GROUP \"rest=0\": the name \"rest\" is reserved for the nodes listed in no group");
  CHECK(usage_error_of({"a=0", "a=1"}) == "GROUP \"a=1\": the name \"a\" is used by an earlier group");
  std::vector<std::string> eleven;
  for (int i = 0; i < 11; ++i) eleven.push_back(std::to_string(i));
  CHECK(usage_error_of(eleven) == "at most 10 GROUP arguments are allowed, not 11");
}

TEST_CASE("usage errors of partition and heal exit 2 and name the argument or flag") {
  kb::test::check_usage_errors({
      {{"partition", "demo"}, "GROUP"},
      {{"partition"}, "NETWORK"},
      {{"partition", "Demo", "0,1"}, "NETWORK"},
      {{"partition", "demo", "0,1", "1"}, "GROUP \"1\""},
      {{"partition", "demo", "0,1", "--for", "soon"}, "--for"},
      {{"partition", "demo", "0,1", "--for", "500ms"}, "--for"},
      {{"partition", "demo", "0,1", "-o", "table"}, "--output"},
      {{"heal"}, "NETWORK"},
      {{"heal", "Demo"}, "NETWORK"},
  });
}
