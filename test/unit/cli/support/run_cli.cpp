#include "test/unit/cli/support/run_cli.hpp"

#include "pkg/cli/app.hpp"
#include "pkg/cli/command.hpp"

#include <doctest/doctest.h>

#include <sstream>

namespace kb::test {
CliResult run_cli(std::vector<std::string> args) {
  args.insert(args.begin(), "kubectl-bitcoin");
  std::vector<const char*> argv;
  for (const auto& arg : args) argv.push_back(arg.c_str());
  std::ostringstream out;
  std::ostringstream err;
  CliResult result;
  result.code = kb::cli::run(static_cast<int>(argv.size()), argv.data(), out, err);
  result.out = out.str();
  result.err = err.str();
  return result;
}

void check_usage_errors(const std::vector<UsageCase>& cases) {
  for (const auto& c : cases) {
    auto result = run_cli(c.args);
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    INFO(line, " -> ", result.err);
    CHECK(result.code == kb::cli::kExitUsage);
    CHECK(result.err.find(c.mentions) != std::string::npos);
    CHECK(result.out.empty());
  }
}
}  // namespace kb::test
