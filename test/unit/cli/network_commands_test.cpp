// scale, delete and logs: their usage errors are found before any cluster is contacted.
#include "pkg/cli/command.hpp"
#include "pkg/cli/logs_command.hpp"
#include "pkg/cli/serve_command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>

using kb::test::run_cli;

TEST_CASE("usage errors of scale, delete and logs exit 2 and name the flag") {
  kb::test::check_usage_errors({
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
      {{"serve", "--kube-api-qps", "-1"}, "--kube-api-qps"},
      {{"serve", "--kube-api-qps", "20", "--kube-api-burst", "0"}, "--kube-api-burst"},
  });
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

TEST_CASE("serve's client-side rate limit: off by default, a positive rate with a burst, nothing negative") {
  auto help = run_cli({"serve", "--help"});
  CHECK(help.out.find("--kube-api-qps FLOAT=0 ") != std::string::npos);
  CHECK(help.out.find("--kube-api-burst INT=100 ") != std::string::npos);
  CHECK(kb::cli::client_rate_limit_problem(0, 100).empty());
  CHECK(kb::cli::client_rate_limit_problem(0, 0).empty());  // the burst means nothing without a rate
  CHECK(kb::cli::client_rate_limit_problem(20, 30).empty());
  CHECK(kb::cli::client_rate_limit_problem(-1, 100).starts_with("--kube-api-qps must be 0"));
  CHECK(kb::cli::client_rate_limit_problem(20, 0).starts_with("--kube-api-burst must be at least 1"));
  CHECK(kb::cli::describe_client_rate_limit(0, 100) == "off (API priority and fairness)");
  CHECK(kb::cli::describe_client_rate_limit(20, 30) == "20/s, burst 30");
  CHECK(kb::cli::describe_client_rate_limit(2.5, 5) == "2.5/s, burst 5");
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
