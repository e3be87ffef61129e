// Bad input on the command line: the message names the flag, the value and what is wanted, and
// the exit code is 2 (pkg/cli/command.hpp, docs/exit-codes.md). No cluster is contacted.
#include "pkg/cli/command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

using kb::test::run_cli;

TEST_CASE("unknown flags and extra arguments are named the way kubectl names them") {
  auto unknown = run_cli({"status", "--bogus"});
  CHECK(unknown.code == kb::cli::kExitUsage);
  CHECK(unknown.err == "error: unknown flag: --bogus\nRun \"kubectl bitcoin status --help\" for usage.\n");
  auto extra = run_cli({"status", "a", "b", "c"});
  CHECK(extra.code == kb::cli::kExitUsage);
  CHECK(extra.err.starts_with("error: unexpected argument \"b\"; unexpected argument \"c\"\n"));
}

TEST_CASE("a flag value of the wrong type names the flag, the value and the type wanted") {
  auto nodes = run_cli({"create", "demo", "--nodes", "abc"});
  CHECK(nodes.code == kb::cli::kExitUsage);
  CHECK(nodes.err.starts_with("error: --nodes \"abc\" is not a whole number\n"));
  auto verbosity = run_cli({"status", "-v", "loud"});  // a global flag, after the command
  CHECK(verbosity.code == kb::cli::kExitUsage);
  CHECK(verbosity.err.starts_with("error: --v \"loud\" is not a whole number\n"));
}

TEST_CASE("create --image refuses references the kubelet would refuse, and takes real ones") {
  struct Case {
    const char* image;
    const char* problem;  // "" when valid
  };
  const Case cases[] = {
      {"bitcoin/bitcoin:29.3", ""},
      {"bitcoin", ""},
      {"registry.example:5000/team/bitcoin-sv:1.0.13", ""},
      {"localhost/a_b__c.d-e:v1", ""},
      {"bitcoin/bitcoin@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", ""},
      {"bad image", "contains white space"},
      {"bitcoin/Bitcoin:1", "invalid repository path component \"Bitcoin\""},
      {"bitcoin/bitcoin:", "invalid tag \"\""},
      {"bitcoin/bitcoin:-x", "invalid tag \"-x\""},
      {"bitcoin//bitcoin", "invalid repository path component \"\""},
      {"bitcoin/bitcoin-", "invalid repository path component \"bitcoin-\""},
      {"bitcoin@sha256:xyz", "malformed digest"},
      {":1", "no repository name"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.image);
    auto result = run_cli({"create", "demo", "--nodes", "1", "--image", c.image, "--dry-run"});
    if (std::string(c.problem).empty()) {
      CHECK(result.code == kb::cli::kExitSuccess);
    } else {
      CHECK(result.code == kb::cli::kExitUsage);
      CHECK(result.err.starts_with("error: --image \"" + std::string(c.image) + "\" is not an image reference"));
      CHECK(result.err.find(c.problem) != std::string::npos);
    }
  }
}

TEST_CASE("values that break the chart's schema name the key and the file or flag that set it last") {
  auto path = std::filesystem::temp_directory_path() / "kb-usage-errors-values.yaml";
  std::ofstream(path) << "replicaCount: 1\nreplicaCont: 2\ncontroller:\n  logLvl: debug\n";
  auto result = run_cli({"template", "-f", path.string(), "--set", "replicaCount=two"});
  std::filesystem::remove(path);
  CHECK(result.code == kb::cli::kExitUsage);
  CHECK(result.err.find("at '/replicaCount' (type): got string, want integer (from --set replicaCount=two)") !=
        std::string::npos);
  CHECK(result.err.find("additional properties 'replicaCont' not allowed (from -f " + path.string() + ")") !=
        std::string::npos);
  CHECK(result.err.find("additional properties 'logLvl' not allowed (from -f " + path.string() + ")") !=
        std::string::npos);
  CHECK(result.err.find("Fix these values") != std::string::npos);
  // Values the chart knows still render.
  CHECK(run_cli({"template", "--set", "replicaCount=2", "--set", "controller.logLevel=debug"}).code == 0);
}
