#include "test/unit/cli/support/run_cli.hpp"

#include "pkg/cli/app.hpp"

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
}  // namespace kb::test
