// delete --wait end to end through the real command tree, against the FAKE API server
// (test/unit/kube/support) scripted below: the network disappears after a given number of GETs
// and its pods after a given number of lists. The wait polls once a second, so these tests take
// a second or two of real time.
#include "pkg/cli/status_command.hpp"
#include "test/unit/cli/support/run_cli.hpp"
#include "test/unit/kube/support/fake_api_server.hpp"
#include "test/unit/kube/support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <atomic>
#include <string>

using kb::kube::testing::FakeApiServer;
using kb::kube::testing::FakeRequest;
using kb::kube::testing::FakeResponse;
using kb::kube::testing::status_json;
namespace json = boost::json;

namespace {

struct DeletingCluster {
  int network_gets_until_gone;  // the network is still there for this many GETs
  int pod_lists_until_gone;     // and two pods for this many lists
  std::atomic<int> network_gets{0};
  std::atomic<int> pod_lists{0};
  std::atomic<int> deletes{0};

  FakeResponse answer(const FakeRequest& request) {
    const std::string network_path = kb::cli::network_ref("lab", "demo").path();
    if (request.method == "DELETE" && request.path == network_path) {
      ++deletes;
      return FakeResponse::json(200, status_json(200, "", "deleted"));
    }
    if (request.method == "GET" && request.path == network_path) {
      if (network_gets++ < network_gets_until_gone)
        return FakeResponse::json(200, R"({"metadata": {"name": "demo", "namespace": "lab"}})");
      return FakeResponse::json(404, status_json(404, "NotFound", "bitcoinnetworks \"demo\" not found"));
    }
    if (request.method == "GET" && request.path == "/api/v1/namespaces/lab/pods") {
      json::array items;
      if (pod_lists++ < pod_lists_until_gone) {
        items = {json::object{{"metadata", {{"name", "demo-0"}}}}, json::object{{"metadata", {{"name", "demo-1"}}}}};
      }
      return FakeResponse::json(
          200, json::serialize(json::object{{"kind", "PodList"}, {"apiVersion", "v1"}, {"items", std::move(items)}}));
    }
    return FakeResponse::json(404, status_json(404, "NotFound", request.method + " " + request.path));
  }
};

std::string kubeconfig_for(const FakeApiServer& api) {
  return "apiVersion: v1\nkind: Config\ncurrent-context: fake\n"
         "clusters:\n- name: fake\n  cluster: {server: " +
         api.url() +
         "}\n"
         "contexts:\n- name: fake\n  context: {cluster: fake, user: fake, namespace: lab}\n"
         "users:\n- name: fake\n  user: {token: t}\n";
}

}  // namespace

TEST_CASE("delete --wait returns once the network and its pods are gone") {
  DeletingCluster cluster{.network_gets_until_gone = 1, .pod_lists_until_gone = 2};
  FakeApiServer api{[&](const FakeRequest& r) { return cluster.answer(r); }};
  kb::kube::testing::TempDir dir;
  auto kubeconfig = dir.write("config", kubeconfig_for(api));
  auto result =
      kb::test::run_cli({"delete", "demo", "--wait", "--timeout", "30s", "--kubeconfig", kubeconfig.string()});
  CHECK(result.code == 0);
  CHECK(result.err == "");
  CHECK(result.out.find("network \"demo\" and its pods are gone") != std::string::npos);
  CHECK(cluster.deletes == 1);
  CHECK(cluster.pod_lists == 3);  // polled until the third list came back empty
}

TEST_CASE("delete --wait times out and says what is left") {
  DeletingCluster cluster{.network_gets_until_gone = 1000, .pod_lists_until_gone = 1000};
  FakeApiServer api{[&](const FakeRequest& r) { return cluster.answer(r); }};
  kb::kube::testing::TempDir dir;
  auto kubeconfig = dir.write("config", kubeconfig_for(api));
  auto result = kb::test::run_cli({"delete", "demo", "--wait", "--timeout", "1s", "--kubeconfig", kubeconfig.string()});
  CHECK(result.code != 0);
  CHECK(result.err.find("timed out after 1s waiting for network \"demo\" to be deleted (the network still exists, 2 "
                        "pod(s) left)") != std::string::npos);
  CHECK(cluster.network_gets >= 2);  // at once and at the deadline
}
