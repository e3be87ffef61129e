// create builds the object from flags; --dry-run=client needs no cluster, so it is tested end to end here.
#include "pkg/cli/create_command.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/cli/command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

namespace json = boost::json;
using kb::test::run_cli;

TEST_CASE("create --dry-run=client -o yaml prints a parseable BitcoinNetwork") {
  auto result =
      run_cli({"create", "demo", "--nodes", "3", "--mining-interval", "10", "--dry-run=client", "-o", "yaml"});
  REQUIRE(result.code == 0);
  auto object = kb::base::parse_yaml(result.out);
  CHECK(object.at("apiVersion") == "bitcoin.kubectl-bitcoin.dev/v1");
  CHECK(object.at("kind") == "BitcoinNetwork");
  CHECK(object.at("metadata") == json::parse(R"({"name": "demo"})"));  // no namespace unless -n (like kubectl)
  CHECK(object.at("spec") == json::parse(R"({"nodes": 3, "mining": {"enabled": true, "intervalSeconds": 10}})"));
}

TEST_CASE("create --dry-run (bare) means client; -o json parses; -n lands in metadata") {
  auto result = run_cli({"create", "ring5", "--nodes", "5", "--topology", "ring", "--image", "bitcoin/bitcoin:27.0",
                         "--secret", "my-rpc", "--arg=-txindex=1", "--dry-run", "-o", "json", "-n", "lab"});
  REQUIRE(result.code == 0);
  auto object = json::parse(result.out);
  CHECK(object.at("metadata").at("namespace") == "lab");
  CHECK(object.at("spec") == json::parse(R"({"nodes": 5, "topology": "ring", "image": "bitcoin/bitcoin:27.0",
                                              "secret": "my-rpc", "args": ["-txindex=1"]})"));
  auto plain = run_cli({"create", "x", "--nodes", "1", "--dry-run"});
  CHECK(plain.code == 0);
  CHECK(plain.out == "bitcoinnetwork.bitcoin.kubectl-bitcoin.dev/x created (dry run)\n");
}

TEST_CASE("custom and star topologies") {
  kb::cli::NetworkFlags flags{.name = "lab", .nodes = 4, .topology = "custom", .edges = "0-1,1-2,2-3"};
  auto object = kb::cli::build_network_object(flags);
  CHECK(object.at("spec").at("customEdges") ==
        json::parse(R"([{"from":0,"to":1},{"from":1,"to":2},{"from":2,"to":3}])"));
  flags = {.name = "hub", .nodes = 4, .topology = "star", .hub = 2};
  CHECK(kb::cli::build_network_object(flags).at("spec").at("hub") == 2);
  flags = {.name = "big", .nodes = 40, .topology = "random", .degree = 6, .seed = 7};
  CHECK(kb::cli::build_network_object(flags).at("spec") ==
        json::parse(R"({"nodes": 40, "topology": "random", "degree": 6, "seed": 7})"));
  flags = {.name = "big", .nodes = 40, .topology = "random"};  // the CRD's defaults apply
  CHECK(kb::cli::build_network_object(flags).at("spec") == json::parse(R"({"nodes": 40, "topology": "random"})"));
}

TEST_CASE("create usage errors exit 2 and name the flag") {
  kb::test::check_usage_errors({
      {{"create", "demo"}, "--nodes"},
      {{"create", "--nodes", "3"}, "NETWORK"},
      {{"create", "demo", "--nodes", "many"}, "--nodes"},
      {{"create", "demo", "--nodes", "101"}, "--nodes"},
      {{"create", "demo", "--nodes", "-1"}, "--nodes"},
      {{"create", "demo", "--nodes", "3", "--topology", "tree"}, "--topology"},
      {{"create", "demo", "--nodes", "3", "--mining-interval", "-5"}, "--mining-interval"},
      {{"create", "demo", "--nodes", "3", "--mining-interval", "100000"}, "--mining-interval"},
      {{"create", "demo", "--nodes", "3", "--mining-node", "1"}, "--mining-node"},
      {{"create", "demo", "--nodes", "3", "--mining-interval", "5", "--mining-node", "3"}, "--mining-node"},
      {{"create", "demo", "--nodes", "3", "--topology", "custom"}, "--edges"},
      {{"create", "demo", "--nodes", "3", "--topology", "custom", "--edges", "0-3"}, "--edges"},
      {{"create", "demo", "--nodes", "3", "--topology", "custom", "--edges", "1-1"}, "--edges"},
      {{"create", "demo", "--nodes", "3", "--topology", "custom", "--edges", "0_1"}, "--edges"},
      {{"create", "demo", "--nodes", "3", "--edges", "0-1"}, "--edges"},
      {{"create", "demo", "--nodes", "3", "--hub", "1"}, "--hub"},
      {{"create", "demo", "--nodes", "3", "--topology", "star", "--hub", "7"}, "--hub"},
      {{"create", "demo", "--nodes", "3", "--degree", "3"}, "--degree"},
      {{"create", "demo", "--nodes", "3", "--topology", "ring", "--seed", "3"}, "--seed"},
      {{"create", "demo", "--nodes", "3", "--topology", "random", "--degree", "9"}, "--degree"},
      {{"create", "demo", "--nodes", "3", "--topology", "random", "--degree", "1"}, "--degree"},
      {{"create", "demo", "--nodes", "3", "--topology", "random", "--seed", "-2"}, "--seed"},
      {{"create", "demo", "--nodes", "3", "--secret", "Bad_Name"}, "--secret"},
      {{"create", "demo", "--nodes", "3", "--dry-run=maybe"}, "--dry-run"},
      {{"create", "demo", "--nodes", "3", "--dry-run", "-o", "toml"}, "--output"},
      {{"create", "Demo", "--nodes", "3"}, "NETWORK \"Demo\""},
  });
}

TEST_CASE("create --help has examples") {
  auto help = run_cli({"create", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("Examples:") != std::string::npos);
  CHECK(help.out.find("--mining-interval") != std::string::npos);
}
