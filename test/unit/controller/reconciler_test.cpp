// Reconciler against a FAKE API server (it answers every write by echoing the object, and every
// GET by name with 404: no Secret or foreign object of the network's names exists yet) and FAKE
// nodes (an RpcCaller that fails the way a misbehaving image does): what it writes, and what the
// status it writes says. Covers the paths where a pure decision meets the orchestration.
#include "pkg/controller/reconciler.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/controller/credentials.hpp"
#include "pkg/controller/network_credentials.hpp"
#include "pkg/kube/resource_ref.hpp"
#include "test/unit/kube/support/fake_api_server.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <sstream>

using namespace kb::controller;
using namespace kb::api;
using kb::kube::testing::FakeApiServer;
using kb::kube::testing::FakeRequest;
using kb::kube::testing::FakeResponse;
using kb::kube::testing::status_json;
namespace json = boost::json;

namespace {

// An image gone wrong: every answer is over the client's size limit.
class OversizedNode : public kb::bitcoin::RpcCaller {
 public:
  json::value call(std::string_view method, json::array = {}) override {
    throw kb::bitcoin::RpcTransportError(kb::bitcoin::RpcTransportError::Kind::response_too_large, "10.0.0.5:18443",
                                         std::string(method), "the body is over this client's limit of 1048576 bytes");
  }
  std::vector<kb::bitcoin::BatchItem> call_batch(const std::vector<kb::bitcoin::RpcRequest>&) override { return {}; }
};

struct Harness {
  FakeApiServer api{[](const FakeRequest& request) {
    // GETs by name (Secrets, which are not cached, and names the caches do not hold): not found.
    if (request.method == "GET") return FakeResponse::json(404, status_json(404, "NotFound", "not found"));
    // Creates and applies answer with the object sent, as the API server would (minus defaults).
    return FakeResponse::json(request.method == "POST" ? 201 : 200, request.body.empty() ? "{}" : request.body);
  }};
  kb::kube::Store networks, statefulsets, services, pods, policies;
  kb::observe::MetricsRegistry metrics;
  std::ostringstream log_text;
  kb::observe::Logger log{log_text, kb::observe::LogLevel::debug, kb::observe::LogFormat::text};
  ReconcilerSettings settings;
  std::unique_ptr<kb::kube::Client> client;
  std::unique_ptr<NetworkCredentials> credentials;  // outlives the reconciler, which holds a reference
  std::unique_ptr<Reconciler> reconciler;

  explicit Harness(RpcFactory factory = nullptr) {
    pods.add_index(kPodsByNetworkIndex, index_by_network());
    kb::kube::ClusterConfig config;
    config.server = api.url();
    config.namespace_name = "ns";
    config.qps = 0;
    if (!factory) {
      factory = [](const std::string&, int, const RpcCredentials&) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
        return std::make_unique<OversizedNode>();
      };
    }
    client = std::make_unique<kb::kube::Client>(config);
    // As the controller wires it: user Secrets are read by GET by name (these networks name none,
    // so their credentials are derived from the key).
    credentials = std::make_unique<NetworkCredentials>(
        CredentialKey{std::string(32, '\x07')},
        [c = *client](const std::string& secret_ns, const std::string& name) {
          return c.get_if_exists(kb::kube::refs::secrets(secret_ns, name));
        },
        settings.resync);
    reconciler =
        std::make_unique<Reconciler>(*client, ReconcilerCaches{&networks, &statefulsets, &services, &pods, &policies},
                                     factory, nullptr, log, metrics, settings, *credentials);
  }

  void add_network(std::string_view spec_json) {
    json::value network = {{"apiVersion", "bitcoin.kubectl-bitcoin.dev/v1"},
                           {"kind", "BitcoinNetwork"},
                           {"metadata", {{"name", "net"}, {"namespace", "ns"}, {"uid", "u-1"}, {"generation", 1}}},
                           {"spec", json::parse(spec_json)}};
    networks.upsert(std::make_shared<const json::value>(std::move(network)));
  }

  // Writes only: the reconciler also GETs objects by name (ownership checks, Secrets).
  std::vector<FakeRequest> writes_to(std::string_view path_part) const {
    std::vector<FakeRequest> out;
    for (const auto& r : api.requests()) {
      if (r.method != "GET" && r.path.find(path_part) != std::string::npos) out.push_back(r);
    }
    return out;
  }

  json::value degraded_condition() const {
    auto patches = writes_to("/bitcoinnetworks/net/status");
    REQUIRE(!patches.empty());
    auto status = json::parse(patches.back().body).at("status");
    for (const auto& c : status.at("conditions").as_array()) {
      if (c.at("type") == "Degraded") return c;
    }
    FAIL("no Degraded condition");
    return {};
  }
};

json::value ready_pod(int ordinal, std::string ip) {
  return json::object{
      {"metadata",
       {{"name", "net-sts-" + std::to_string(ordinal)}, {"namespace", "ns"}, {"labels", network_labels("net")}}},
      {"status", {{"podIP", ip}, {"conditions", json::array{{{"type", "Ready"}, {"status", "True"}}}}}}};
}

}  // namespace

TEST_CASE("refused spec.args: no StatefulSet is written, Degraded names the argument, no fast polling") {
  Harness h;
  h.add_network(R"({"nodes": 1, "args": ["-txindex", "--norpcauth"]})");
  auto next = h.reconciler->reconcile("ns/net");
  CHECK(h.writes_to("/statefulsets").empty());
  auto degraded = h.degraded_condition();
  CHECK(degraded.at("status") == "True");
  CHECK(degraded.at("reason") == "ArgsRefused");
  CHECK(degraded.at("message").as_string().find("spec.args[1] \"--norpcauth\" sets -rpcauth") != json::string::npos);
  CHECK(next == Requeue::after(h.settings.resync));

  // Fixed by the user: the StatefulSet follows.
  h.add_network(R"({"nodes": 1, "args": ["-txindex"]})");
  h.reconciler->reconcile("ns/net");
  CHECK(h.writes_to("/statefulsets/net-sts").size() == 1);
}

TEST_CASE("a node whose answers are over the size limit makes the network Degraded: NodeAnswerTooLarge") {
  Harness h;
  h.add_network(R"({"nodes": 1})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.5")));
  auto next = h.reconciler->reconcile("ns/net");
  auto degraded = h.degraded_condition();
  CHECK(degraded.at("status") == "True");
  CHECK(degraded.at("reason") == "NodeAnswerTooLarge");
  CHECK(degraded.at("message").as_string().find("node 0") != json::string::npos);
  CHECK(degraded.at("message").as_string().find("1048576 bytes") != json::string::npos);
  CHECK(next == Requeue::after(h.settings.not_ready_poll));
}

TEST_CASE("an IPv6 pod's node is reached at its IPv6 address") {
  std::vector<std::string> hosts;
  Harness h([&](const std::string& host, int port, const RpcCredentials&) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
    hosts.push_back(host + " " + std::to_string(port));
    return std::make_unique<OversizedNode>();
  });
  h.add_network(R"({"nodes": 1})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "fd00:10:244::5")));
  h.reconciler->reconcile("ns/net");
  REQUIRE(!hosts.empty());
  CHECK(hosts.front() == "fd00:10:244::5 18443");
}
