// Pure tests of status computation; pods are plain JSON objects (no fakes needed).
#include "pkg/controller/network_status.hpp"

#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;
using namespace kb::api;
namespace json = boost::json;

namespace {
json::value pod(int ordinal, bool ready, std::string ip) {
  return json::object{
      {"metadata", {{"name", "net-sts-" + std::to_string(ordinal)}}},
      {"status",
       {{"podIP", ip}, {"conditions", json::array{{{"type", "Ready"}, {"status", ready ? "True" : "False"}}}}}}};
}

const json::value& condition(const json::value& status, std::string_view type) {
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type").as_string() == type) return c;
  }
  FAIL("no condition");
  throw;
}
}  // namespace

TEST_CASE("all nodes ready: Ready=True, heights and peers reported") {
  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net, generation: 2}\nspec: {nodes: 2}\n"));
  StatusInputs in{&net, {pod(0, true, "10.0.0.1"), pod(1, true, "10.0.0.2")}, {}, std::nullopt, "T1"};
  in.observations[0] = {true, 5, "aa", 1, "/Satoshi:28.1.0/"};
  in.observations[1] = {true, 5, "aa", 1, "/Satoshi:28.1.0/"};
  auto status = compute_status(in);
  CHECK(status.at("readyNodes") == 2);
  CHECK(status.at("blockHeight") == 5);
  CHECK(status.at("observedGeneration") == 2);
  CHECK(status.at("nodes").at(1).at("ip") == "10.0.0.2");
  CHECK(status.at("nodes").at(1).at("dnsName") == "net-sts-1.net-svc");
  CHECK(condition(status, "Ready").at("status") == "True");
  CHECK(condition(status, "Progressing").at("status") == "False");
  CHECK(condition(status, "Degraded").at("status") == "False");
}

TEST_CASE("a pod that is Ready but whose RPC did not answer is not a ready node") {
  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net}\nspec: {nodes: 2}\n"));
  StatusInputs in{&net, {pod(0, true, "10.0.0.1"), pod(1, true, "10.0.0.2")}, {}, std::nullopt, "T1"};
  in.observations[0] = {true, 1, "aa", 1, "v"};
  auto status = compute_status(in);
  CHECK(status.at("readyNodes") == 1);
  CHECK(condition(status, "Ready").at("reason") == "NodesNotReady");
  CHECK(condition(status, "Progressing").at("reason") == "WaitingForNodes");
}

TEST_CASE("lastTransitionTime is kept while a condition's status is unchanged, so status is stable") {
  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net}\nspec: {nodes: 1}\n"));
  StatusInputs in{&net, {pod(0, true, "10.0.0.1")}, {}, std::nullopt, "T1"};
  in.observations[0] = {true, 1, "aa", 0, "v"};
  auto first = compute_status(in);
  net.status = first;
  in.now = "T2";
  auto second = compute_status(in);
  CHECK(first == second);
  in.problem = ReconcileProblem{"SecretNotFound", "secret x not found"};
  auto third = compute_status(in);
  CHECK(condition(third, "Degraded").at("lastTransitionTime") == "T2");
  CHECK(condition(third, "Ready").at("lastTransitionTime") == "T1");
}

TEST_CASE("scaling down: pods above the desired count are counted but not listed") {
  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net}\nspec: {nodes: 1}\n"));
  StatusInputs in{&net, {pod(0, true, "10.0.0.1"), pod(1, true, "10.0.0.2")}, {}, std::nullopt, "T"};
  auto status = compute_status(in);
  CHECK(status.at("replicas") == 2);
  CHECK(status.at("nodes").as_array().size() == 1);
  CHECK(condition(status, "Progressing").at("reason") == "ScalingDown");
}
