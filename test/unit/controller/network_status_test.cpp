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

namespace {
// A pod whose bitcoind container the kubelet reports with `container_status` (state, lastState, ...).
json::value pod_with_container(int ordinal, std::string_view container_status_yaml) {
  auto p = pod(ordinal, false, "10.0.0.9");
  auto status = kb::base::parse_yaml(container_status_yaml);
  status.as_object()["name"] = "bitcoind";
  p.at("status").as_object()["containerStatuses"] = json::array{status};
  return p;
}

const json::value& node_entry(const json::value& status, int ordinal) { return status.at("nodes").at(ordinal); }
}  // namespace

TEST_CASE("a Ready pod whose node does not answer in time: the node says why, the network is Degraded") {
  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net}\nspec: {nodes: 2}\n"));
  StatusInputs in{&net, {pod(0, true, "10.0.0.1"), pod(1, true, "10.0.0.2")}, {}, std::nullopt, "T1"};
  in.observations[0] = {true, 3, "aa", 1, "v"};
  in.node_failures[1] = {"NodeNotResponding", "bitcoind at 10.0.0.2:18443 (getblockchaininfo): no answer", true};
  auto status = compute_status(in);
  CHECK(node_entry(status, 1).at("ready") == false);
  CHECK(node_entry(status, 1).at("reason") == "NodeNotResponding");
  CHECK(node_entry(status, 1).at("message").as_string().starts_with("bitcoind at 10.0.0.2"));
  CHECK_FALSE(node_entry(status, 0).as_object().contains("reason"));
  CHECK(condition(status, "Degraded").at("status") == "True");
  CHECK(condition(status, "Degraded").at("reason") == "NodeNotResponding");
  CHECK(condition(status, "Degraded").at("message").as_string().starts_with("node 1: bitcoind at 10.0.0.2"));
  CHECK(condition(status, "Ready").at("status") == "False");

  // The pass's own problem (a refusal, a missing Secret) comes first.
  in.problem = ReconcileProblem{"SecretNotFound", "secret x not found"};
  CHECK(condition(compute_status(in), "Degraded").at("reason") == "SecretNotFound");

  // A node warming up is not ready, with its reason, but that is ordinary life: not Degraded.
  in.problem.reset();
  in.node_failures[1] = {"WarmingUp", "Loading block index...", false};
  status = compute_status(in);
  CHECK(node_entry(status, 1).at("reason") == "WarmingUp");
  CHECK(condition(status, "Degraded").at("status") == "False");

  // Answering again: the reason goes away.
  in.node_failures.clear();
  in.observations[1] = {true, 3, "aa", 1, "v"};
  status = compute_status(in);
  CHECK_FALSE(node_entry(status, 1).as_object().contains("reason"));
  CHECK(condition(status, "Degraded").at("status") == "False");
}

TEST_CASE("a crash-looping bitcoind whose last words say the disk is full: DiskFull") {
  // The termination message as the kubelet keeps it with FallbackToLogsOnError (Bitcoin SV 1.0.13's
  // log at start on a volume with less than 50 MiB free).
  auto p = pod_with_container(0, R"(
ready: false
restartCount: 3
state: {waiting: {reason: CrashLoopBackOff, message: back-off 40s restarting failed container}}
lastState:
  terminated:
    exitCode: 1
    reason: Error
    message: |
      2026-12-06 02:35:26 [shutoff] *** Disk space is low!
      Error: Error: Disk space is low!
      2026-12-06 02:35:26 [shutoff] Shutdown: done
)");
  auto failure = pod_failure(p);
  REQUIRE(failure);
  CHECK(failure->reason == "DiskFull");
  CHECK(failure->degrades);
  CHECK(failure->message.find("\"Disk space is low!\"") != std::string::npos);
  CHECK(failure->message.find("exit code 1") != std::string::npos);
  // No timestamps in the message: a node crashing again and again does not rewrite the status.
  CHECK(failure->message.find("2026") == std::string::npos);

  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net}\nspec: {nodes: 1}\n"));
  auto status = compute_status(StatusInputs{&net, {p}, {}, std::nullopt, "T"});
  CHECK(node_entry(status, 0).at("reason") == "DiskFull");
  CHECK(condition(status, "Degraded").at("reason") == "DiskFull");
  CHECK(condition(status, "Degraded").at("message").as_string().starts_with("node 0: bitcoind stopped because"));

  // "No space left on device" (a write that failed outright) is the same reason.
  auto enospc = pod_with_container(0, R"(
state: {terminated: {exitCode: 1, reason: Error, message: "LevelDB write failure: IO error: No space left on device"}}
)");
  REQUIRE(pod_failure(enospc));
  CHECK(pod_failure(enospc)->reason == "DiskFull");
}

TEST_CASE("other container failures: out of memory, a crash, an image that cannot be pulled; a start is none") {
  auto oom = pod_with_container(0, R"(
state: {waiting: {reason: CrashLoopBackOff}}
lastState: {terminated: {exitCode: 137, reason: OOMKilled}}
)");
  REQUIRE(pod_failure(oom));
  CHECK(pod_failure(oom)->reason == "OutOfMemory");
  CHECK(pod_failure(oom)->message.find("exit code 137") != std::string::npos);

  auto crash = pod_with_container(0, R"(
state: {waiting: {reason: CrashLoopBackOff}}
lastState: {terminated: {exitCode: 1, reason: Error, message: "line one\nError: Invalid combination of -regtest and -testnet.\n\n"}}
)");
  REQUIRE(pod_failure(crash));
  CHECK(pod_failure(crash)->reason == "NodeCrashing");
  CHECK(pod_failure(crash)->message ==
        "bitcoind exited with exit code 1: Error: Invalid combination of -regtest and -testnet.");

  auto pull = pod_with_container(0, R"(
state: {waiting: {reason: ImagePullBackOff, message: "Back-off pulling image \"bitcoin/bitcoin:99\""}}
)");
  REQUIRE(pod_failure(pull));
  CHECK(pod_failure(pull)->reason == "ImagePullBackOff");
  CHECK(pod_failure(pull)->message.find("bitcoin/bitcoin:99") != std::string::npos);

  CHECK_FALSE(pod_failure(pod_with_container(0, "state: {waiting: {reason: ContainerCreating}}\n")));
  // Running again after a crash, not ready yet: starting, whatever the last state says.
  CHECK_FALSE(pod_failure(pod_with_container(0, R"(
state: {running: {startedAt: "2026-12-06T02:35:26Z"}}
lastState: {terminated: {exitCode: 1, reason: Error, message: "Disk space is low!"}}
)")));
  CHECK_FALSE(pod_failure(pod(0, false, "10.0.0.1")));  // no container status yet
}

TEST_CASE("the fork picture: written when the pass looked, kept from the last status when it did not") {
  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net}\nspec: {nodes: 1}\n"));
  StatusInputs in{&net, {pod(0, true, "10.0.0.1")}, {}, std::nullopt, "T1"};
  in.observations[0] = {true, 1, "aa", 0, "v"};
  in.forks = ForkReport{json::array{{{"height", 1}, {"hash", "aa"}, {"nodes", {0}}, {"depth", 0}}}, false, "OneTip",
                        "every answering node is at 1/aa on node 0"};
  auto looked = compute_status(in);
  CHECK(looked.at("forks").as_array().size() == 1);
  CHECK(condition(looked, "Forked").at("status") == "False");
  CHECK(condition(looked, "Forked").at("reason") == "OneTip");
  CHECK(condition(looked, "Forked").at("lastTransitionTime") == "T1");

  // A pass that failed before looking (forks nullopt): the same forks and condition, unchanged.
  net.status = looked;
  in.forks.reset();
  in.now = "T2";
  auto kept = compute_status(in);
  CHECK(kept.at("forks") == looked.at("forks"));
  CHECK(condition(kept, "Forked") == condition(looked, "Forked"));

  // Forked turns True: a new lastTransitionTime.
  in.forks = ForkReport{json::array{}, true, "TipsDiffer", "2 tips"};
  auto forked = compute_status(in);
  CHECK(condition(forked, "Forked").at("status") == "True");
  CHECK(condition(forked, "Forked").at("lastTransitionTime") == "T2");
}
