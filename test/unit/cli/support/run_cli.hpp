#pragma once
// Runs the real command tree (kb::cli::run) with string streams, as a user would from a shell.
#include <string>
#include <vector>

namespace kb::test {
struct CliResult {
  int code = -1;
  std::string out;
  std::string err;
};
CliResult run_cli(std::vector<std::string> args);  // args without the program name
}  // namespace kb::test
