// `status NET -w` end to end through the real command tree, against the FAKE API server
// (test/unit/kube/support): the network is listed, then its watch delivers a change to a forked
// picture and the deletion; the Events watch stays open and empty. With stdout not a terminal the
// command prints one frame per change, separated by blank lines, and ends when the network is
// deleted.
#include "pkg/cli/status_command.hpp"
#include "test/unit/cli/support/run_cli.hpp"
#include "test/unit/kube/support/fake_api_server.hpp"
#include "test/unit/kube/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <fstream>
#include <string>

using kb::kube::testing::FakeApiServer;
using kb::kube::testing::FakeRequest;
using kb::kube::testing::FakeResponse;
using kb::kube::testing::status_json;
namespace json = boost::json;

namespace {

json::value network(const std::string& resource_version, bool forked) {
  auto object = json::parse(R"({
    "apiVersion": "bitcoin.kubectl-bitcoin.dev/v1", "kind": "BitcoinNetwork",
    "metadata": {"name": "demo", "namespace": "lab", "uid": "u1"},
    "spec": {"nodes": 2},
    "status": {"blockHeight": 7, "nodes": [{"ordinal": 0, "ready": true}, {"ordinal": 1, "ready": true}],
               "forks": [{"height": 7, "hash": "aaaaaaaaaaaaaaaa", "nodes": [0, 1], "depth": 0}],
               "conditions": [{"type": "Forked", "status": "False", "reason": "OneTip",
                               "lastTransitionTime": "2026-12-06T09:00:00Z", "message": "one"}]}})");
  object.as_object()["metadata"].as_object()["resourceVersion"] = resource_version;
  if (forked) {
    auto& status = object.as_object()["status"].as_object();
    status["forks"] = json::parse(R"([
      {"height": 7, "hash": "aaaaaaaaaaaaaaaa", "nodes": [0], "forkPoint": {"height": 2, "hash": "f"}, "depth": 5},
      {"height": 5, "hash": "bbbbbbbbbbbbbbbb", "nodes": [1], "forkPoint": {"height": 2, "hash": "f"}, "depth": 3}])");
    status["conditions"].as_array()[0] = json::parse(R"({"type": "Forked", "status": "True", "reason": "TipsDiffer",
      "lastTransitionTime": "2026-12-06T09:00:00Z", "message": "two"})");
  }
  return object;
}

std::string event_line(const std::string& type, const json::value& object) {
  return json::serialize(json::object{{"type", type}, {"object", object}}) + "\n";
}

FakeResponse answer(const FakeRequest& request) {
  const std::string network_path = kb::cli::network_ref("lab", "demo").path();
  const std::string networks_path = kb::cli::network_ref("lab").path();
  const bool watch = request.query_param("watch") == "true" || request.query_param("watch") == "1";
  if (request.path == network_path) return FakeResponse::json(200, json::serialize(network("1", false)));
  if (request.path == networks_path && !watch) {
    return FakeResponse::json(200, json::serialize(json::object{{"kind", "BitcoinNetworkList"},
                                                                {"metadata", {{"resourceVersion", "1"}}},
                                                                {"items", json::array{network("1", false)}}}));
  }
  if (request.path == networks_path && watch) {
    FakeResponse response;
    response.headers = {{"Content-Type", "application/json"}};
    response.chunks = {event_line("MODIFIED", network("2", true)), event_line("MODIFIED", network("3", true)),
                       event_line("DELETED", network("4", true))};
    response.chunk_delay = std::chrono::milliseconds(100);
    response.hold_open = true;
    return response;
  }
  if (request.path == "/api/v1/namespaces/lab/events" && !watch) {
    return FakeResponse::json(200, R"({"kind": "EventList", "metadata": {"resourceVersion": "1"}, "items": []})");
  }
  if (request.path == "/api/v1/namespaces/lab/events" && watch) {
    FakeResponse response;
    response.headers = {{"Content-Type", "application/json"}};
    response.hold_open = true;
    return response;
  }
  return FakeResponse::json(404, status_json(404, "NotFound", request.method + " " + request.path));
}

}  // namespace

TEST_CASE("status NET -w into a pipe: a frame per change (not for a change it does not show), ends on deletion") {
  FakeApiServer api{answer};
  kb::kube::testing::TempDir dir;
  auto kubeconfig = dir.path() / "config";
  std::ofstream(kubeconfig) << "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
                               "clusters:\n- name: fake\n  cluster: {server: "
                            << api.url()
                            << "}\n"
                               "contexts:\n- name: fake\n  context: {cluster: fake, user: fake, namespace: lab}\n"
                               "users:\n- name: fake\n  user: {token: t}\n";
  auto result = kb::test::run_cli({"status", "demo", "-w", "--kubeconfig", kubeconfig.string()});
  INFO(result.err);
  CHECK(result.code == 0);
  auto expected_prefix = std::string("demo  2/2 ready  height 7  Forked=False (OneTip, ");
  REQUIRE(result.out.rfind(expected_prefix, 0) == 0);
  // Three frames: the listed network, the forked one (its second MODIFIED shows nothing new), the deletion.
  auto second = result.out.find("\n\ndemo  2/2 ready  height 7  Forked=True (TipsDiffer, ");
  REQUIRE(second != std::string::npos);
  CHECK(result.out.find("  7/aaaaaaaaaaaa  node 0  fork at 2, depth 5\n  5/bbbbbbbbbbbb  node 1  fork at 2, depth 3\n",
                        second) != std::string::npos);
  CHECK(result.out.find("\n\ndemo  2/2", second + 2) == std::string::npos);
  CHECK(result.out.ends_with("\n\nnetwork demo was deleted\n"));
}
