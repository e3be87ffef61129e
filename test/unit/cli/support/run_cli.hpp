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

// A command line that is wrong in itself: it exits 2 before contacting any cluster, prints nothing
// on stdout, and its message names `mentions` (the flag or argument).
struct UsageCase {
  std::vector<std::string> args;
  std::string mentions;
};
void check_usage_errors(const std::vector<UsageCase>& cases);  // doctest CHECKs, one set per case
}  // namespace kb::test
