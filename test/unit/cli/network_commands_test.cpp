// scale, delete and logs: their usage errors are found before any cluster is contacted.
#include "pkg/cli/command.hpp"
#include "pkg/cli/logs_command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>

using kb::test::run_cli;

TEST_CASE("usage errors of scale, delete and logs exit 2 and name the flag") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  std::vector<Case> cases{
      {{"scale", "demo"}, "--nodes"},
      {{"scale", "--nodes", "3"}, "NETWORK"},
      {{"scale", "demo", "--nodes", "lots"}, "--nodes"},
      {{"scale", "demo", "--nodes", "-2"}, "--nodes"},
      {{"scale", "demo", "--nodes", "500"}, "--nodes"},
      {{"scale", "Demo", "--nodes", "1"}, "NETWORK"},
      {{"delete"}, "NETWORK"},
      {{"delete", "demo", "--wait", "--timeout", "forever"}, "--timeout"},
      {{"delete", "demo", "--unknown-flag"}, "--unknown-flag"},
      {{"logs"}, "NETWORK"},
      {{"logs", "demo", "--node", "-1"}, "--node"},
      {{"logs", "demo", "--node", "zero"}, "--node"},
      {{"logs", "demo", "--tail", "-5"}, "--tail"},
      {{"logs", "demo", "--since", "yesterday"}, "--since"},
      {{"rpc", "demo", "getbalance", "--wallet", "../alice"}, "--wallet"},
      {{"rpc", "demo", "getbalance", "--wallet", "/var/lib/w"}, "--wallet"},
      {{"serve", "--gateway-allow-method", "get block"}, "--gateway-allow-method"},
      {{"serve", "--gateway-max-calls", "4", "--gateway-max-calls-per-network", "8"},
       "--gateway-max-calls-per-network"},
  };
  for (const auto& c : cases) {
    auto result = run_cli(c.args);
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    INFO(line, " -> ", result.err);
    CHECK(result.code == kb::cli::kExitUsage);
    CHECK(result.err.find(c.mentions) != std::string::npos);
  }
}

TEST_CASE("rpc --wallet and the serve command's gateway policy flags are documented") {
  auto rpc = run_cli({"rpc", "--help"});
  CHECK(rpc.out.find("--wallet") != std::string::npos);
  auto serve = run_cli({"serve", "--help"});
  for (const char* flag : {"--gateway-allow-method", "--gateway-deny-method", "--gateway-max-calls",
                           "--gateway-max-calls-per-network", "--gateway-call-timeout"}) {
    CAPTURE(flag);
    CHECK(serve.out.find(flag) != std::string::npos);
  }
}

TEST_CASE("every command has examples in --help") {
  for (std::string command : {"status", "create", "scale", "delete", "logs", "completion", "version"}) {
    auto help = run_cli({command, "--help"});
    INFO(command);
    CHECK(help.code == 0);
    CHECK(help.out.find("Examples:") != std::string::npos);
  }
}

TEST_CASE("the pod log path carries the query") {
  CHECK(kb::cli::log_path("lab", "demo-sts-1", {}) == "/api/v1/namespaces/lab/pods/demo-sts-1/log?container=bitcoind");
  kb::cli::LogQuery query{.follow = true, .tail = 20, .previous = true, .timestamps = true, .since_seconds = 600};
  CHECK(kb::cli::log_path("lab", "demo-sts-1", query) ==
        "/api/v1/namespaces/lab/pods/demo-sts-1/log?container=bitcoind&follow=true&tailLines=20&previous=true"
        "&timestamps=true&sinceSeconds=600");
}

TEST_CASE("an unknown command is named, with a suggestion") {
  auto result = run_cli({"stauts"});
  CHECK(result.code == kb::cli::kExitUsage);
  CHECK(result.err.find("unknown command \"stauts\"") != std::string::npos);
  CHECK(result.err.find("status") != std::string::npos);
  auto far = run_cli({"frobnicate"});
  CHECK(far.code == kb::cli::kExitUsage);
  CHECK(far.err.find("unknown command \"frobnicate\"") != std::string::npos);
  CHECK(far.err.find("kubectl bitcoin --help") != std::string::npos);
}
