// Reconciler against a FAKE API server (it answers every write by echoing the object and keeping
// it, and a GET by name with what was written there, else 404: no Secret or foreign object of the
// network's names exists beforehand) and FAKE nodes (RpcCallers scripted per test): the requests
// it sends, in order, and what the status it writes says. Covers the paths where a pure decision
// meets the orchestration.
#include "pkg/controller/reconciler.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/controller/credentials.hpp"
#include "pkg/controller/network_credentials.hpp"
#include "pkg/kube/resource_ref.hpp"
#include "test/unit/bitcoin/support/fake_rpc_caller.hpp"
#include "test/unit/kube/support/fake_api_server.hpp"

#include <doctest/doctest.h>

#include <thread>

#include <boost/json.hpp>

#include <algorithm>
#include <map>
#include <mutex>
#include <set>
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

constexpr const char* kNetworksPath = "/apis/bitcoin.kubectl-bitcoin.dev/v1/namespaces/ns/bitcoinnetworks";
constexpr const char* kNetworkPath = "/apis/bitcoin.kubectl-bitcoin.dev/v1/namespaces/ns/bitcoinnetworks/net";

struct Harness {
  std::mutex written_mutex;                    // the fake server answers on its own thread
  std::map<std::string, std::string> written;  // by path: what applies left there
  FakeApiServer api{[this](const FakeRequest& request) {
    std::lock_guard lock(written_mutex);
    // GETs by name (Secrets, which are not cached, and names the caches do not hold): what an
    // earlier apply wrote, else not found.
    // The network read live by a list by name (the controller may list networks, not get them).
    if (request.method == "GET" && request.path == kNetworksPath) {
      auto it = written.find(kNetworkPath);
      bool match = it != written.end() && request.query_param("fieldSelector") == "metadata.name=net";
      return FakeResponse::json(200, R"({"kind":"BitcoinNetworkList","apiVersion":"bitcoin.kubectl-bitcoin.dev/v1",)"
                                     R"("metadata":{"resourceVersion":"1"},"items":[)" +
                                         (match ? it->second : std::string()) + "]}");
    }
    if (request.method == "GET") {
      auto it = written.find(request.path);
      if (it != written.end()) return FakeResponse::json(200, it->second);
      return FakeResponse::json(404, status_json(404, "NotFound", "not found"));
    }
    if (request.method == "DELETE") {
      written.erase(request.path);
      return FakeResponse::json(200, R"({"kind":"Status","status":"Success"})");
    }
    // Creates and applies answer with the object sent, as the API server would (minus defaults).
    if (!request.body.empty()) written[request.path] = request.body;
    return FakeResponse::json(request.method == "POST" ? 201 : 200, request.body.empty() ? "{}" : request.body);
  }};
  kb::kube::Store networks, statefulsets, services, pods, policies;
  kb::observe::MetricsRegistry metrics;
  std::ostringstream log_text;
  kb::observe::Logger log{log_text, kb::observe::LogLevel::debug, kb::observe::LogFormat::text};
  ReconcilerSettings settings;
  std::unique_ptr<kb::kube::Client> client;
  std::unique_ptr<NetworkCredentials> credentials;  // outlives the reconciler, which holds a reference
  std::unique_ptr<kb::kube::EventRecorder> events;  // only when asked for: its posts are writes too
  std::unique_ptr<Reconciler> reconciler;

  explicit Harness(RpcFactory factory = nullptr, std::shared_ptr<const kb::kube::WriteFence> fence = nullptr,
                   bool record_events = false) {
    settings.write_fence = std::move(fence);
    pods.add_index(kPodsByNetworkIndex, index_by_network());
    kb::kube::ClusterConfig config;
    config.server = api.url();
    config.namespace_name = "ns";
    config.qps = 0;
    if (!factory) {
      factory = [](const std::string&, int, const RpcCredentials&,
                   std::chrono::milliseconds) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
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
    if (record_events) events = std::make_unique<kb::kube::EventRecorder>(*client, kb::kube::EventRecorderOptions{});
    reconciler =
        std::make_unique<Reconciler>(*client, ReconcilerCaches{&networks, &statefulsets, &services, &pods, &policies},
                                     factory, events.get(), log, metrics, settings, *credentials);
  }

  void add_network(std::string_view spec_json) {
    json::value network = {{"apiVersion", "bitcoin.kubectl-bitcoin.dev/v1"},
                           {"kind", "BitcoinNetwork"},
                           {"metadata", {{"name", "net"}, {"namespace", "ns"}, {"uid", "u-1"}, {"generation", 1}}},
                           {"spec", json::parse(spec_json)}};
    // The API server holds it too (the reconciler reads it live before it creates anything).
    {
      std::lock_guard lock(written_mutex);
      written[kNetworkPath] = json::serialize(network);
    }
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

  // "PATCH <path>" of each write after the first `from` requests, in order.
  std::vector<std::string> writes_since(std::size_t from) const {
    std::vector<std::string> out;
    auto requests = api.requests();
    for (std::size_t i = from; i < requests.size(); ++i) {
      if (requests[i].method != "GET") out.push_back(requests[i].method + " " + requests[i].path);
    }
    return out;
  }

  // What the informers would deliver after the writes: the applied objects in the caches, and the
  // written status on the network.
  void observe_writes() {
    std::lock_guard lock(written_mutex);
    auto cache_of = [this](const std::string& path) -> kb::kube::Store* {
      if (path.find("/services/") != std::string::npos) return &services;
      if (path.find("/statefulsets/") != std::string::npos) return &statefulsets;
      if (path.find("/networkpolicies/") != std::string::npos) return &policies;
      return nullptr;
    };
    for (const auto& [path, body] : written) {
      if (auto* cache = cache_of(path)) cache->upsert(std::make_shared<const json::value>(json::parse(body)));
    }
    auto status = written.find("/apis/bitcoin.kubectl-bitcoin.dev/v1/namespaces/ns/bitcoinnetworks/net/status");
    if (status == written.end()) return;
    auto network = *networks.get("ns/net");
    network.as_object()["status"] = json::parse(status->second).at("status");
    networks.upsert(std::make_shared<const json::value>(std::move(network)));
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

TEST_CASE("a network that never gets ready is polled less and less often, up to resync; a spec change starts over") {
  using std::chrono::seconds;
  Harness h;
  h.add_network(R"({"nodes": 1})");  // no pod ever comes up
  std::vector<Requeue> got;
  for (int i = 0; i < 6; ++i) got.push_back(h.reconciler->reconcile("ns/net"));
  std::vector<Requeue> want{Requeue::after(seconds(2)),  Requeue::after(seconds(4)),  Requeue::after(seconds(8)),
                            Requeue::after(seconds(16)), Requeue::after(seconds(30)), Requeue::after(seconds(30))};
  CHECK(got == want);

  // The user changes the spec (a new generation): quick polls again while it comes up.
  auto network = *h.networks.get("ns", "net");
  network.at("metadata").as_object()["generation"] = 2;
  network.at("spec").as_object()["nodes"] = 2;
  h.networks.upsert(std::make_shared<const json::value>(std::move(network)));
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(seconds(2)));
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(seconds(4)));
}

TEST_CASE("a network deleted on the server but not yet in the cache: nothing is created again") {
  // The garbage collector deleted the network's objects; their delete events came before the
  // network's own. The cache still holds the network: the reconciler must not re-create them.
  Harness h;
  h.add_network(R"({"nodes": 1})");
  {
    std::lock_guard lock(h.written_mutex);
    h.written.erase(kNetworkPath);
  }
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::await_change());
  CHECK(h.writes_to("/").empty());

  // Deleted and made again under the same name (another uid): the cached one is gone all the same.
  h.add_network(R"({"nodes": 1})");
  {
    std::lock_guard lock(h.written_mutex);
    auto live = json::parse(h.written[kNetworkPath]);
    live.at("metadata").as_object()["uid"] = "u-2";
    h.written[kNetworkPath] = json::serialize(live);
  }
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::await_change());
  CHECK(h.writes_to("/").empty());

  // Still there: created as usual.
  h.add_network(R"({"nodes": 1})");
  h.reconciler->reconcile("ns/net");
  CHECK(h.writes_to("/statefulsets/net-sts").size() == 1);
}

namespace {

// What a serving node with no peers answers at `blocks` height (the calls a reconcile makes).
json::value serving_node_answer(std::string_view method, int blocks) {
  if (method == "getblockchaininfo") return {{"blocks", blocks}, {"bestblockhash", "00ab"}};
  if (method == "getnetworkinfo") return {{"connections", 0}, {"subversion", "/Satoshi:29.3.0/"}};
  if (method == "getaddednodeinfo") return json::array{};
  return nullptr;
}

// A node that can be stopped (SIGSTOP): while stopped, every call runs into the caller's deadline.
struct StoppableNode {
  bool stopped = false;
  std::vector<std::chrono::milliseconds> deadlines;  // of every connection opened, in order

  class Caller : public kb::bitcoin::RpcCaller {
   public:
    Caller(StoppableNode& node, std::chrono::milliseconds deadline) : node_(node), deadline_(deadline) {}
    json::value call(std::string_view method, json::array = {}) override {
      if (node_.stopped) {
        throw kb::bitcoin::RpcTransportError(kb::bitcoin::RpcTransportError::Kind::call_timeout, "10.0.0.5:18443",
                                             std::string(method),
                                             "no complete answer within " + std::to_string(deadline_.count()) + " ms");
      }
      return serving_node_answer(method, 3);
    }
    std::vector<kb::bitcoin::BatchItem> call_batch(const std::vector<kb::bitcoin::RpcRequest>&) override { return {}; }

   private:
    StoppableNode& node_;
    std::chrono::milliseconds deadline_;
  };

  RpcFactory factory() {
    return [this](const std::string&, int, const RpcCredentials&,
                  std::chrono::milliseconds deadline) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
      deadlines.push_back(deadline);
      return std::make_unique<Caller>(*this, deadline);
    };
  }
};

json::value node_entry(const json::value& status, int ordinal) {
  return status.at("nodes").at(static_cast<std::size_t>(ordinal));
}

// Nodes as they start: the port refuses, then bitcoind answers "warming up" (-28) while it
// loads, then it serves. By IP.
struct StartingNodes {
  std::set<std::string> loading, serving;

  class Caller : public kb::bitcoin::RpcCaller {
   public:
    Caller(StartingNodes& nodes, std::string ip) : nodes_(nodes), ip_(std::move(ip)) {}
    json::value call(std::string_view method, json::array = {}) override {
      if (nodes_.loading.contains(ip_)) throw kb::bitcoin::RpcError(-28, "Loading block index...", std::string(method));
      if (!nodes_.serving.contains(ip_)) {
        throw kb::bitcoin::RpcTransportError(kb::bitcoin::RpcTransportError::Kind::connect_refused, ip_ + ":18443",
                                             std::string(method), "connection refused");
      }
      return serving_node_answer(method, 0);
    }
    std::vector<kb::bitcoin::BatchItem> call_batch(const std::vector<kb::bitcoin::RpcRequest>&) override { return {}; }

   private:
    StartingNodes& nodes_;
    std::string ip_;
  };

  RpcFactory factory() {
    return [this](const std::string& ip, int, const RpcCredentials&,
                  std::chrono::milliseconds) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
      return std::make_unique<Caller>(*this, ip);
    };
  }
};

struct StartingNetwork {
  StartingNodes nodes;
  Harness h{nodes.factory()};
  StartingNetwork() {
    h.add_network(R"({"nodes": 3})");
    for (int i = 0; i < 3; ++i) {
      h.pods.upsert(std::make_shared<const json::value>(ready_pod(i, "10.0.0." + std::to_string(i + 5))));
    }
  }
  Requeue pass() { return h.reconciler->reconcile("ns/net"); }
};

}  // namespace

TEST_CASE("ready nodes whose bitcoind does not answer: the back-off; one that answers starts it over") {
  using std::chrono::seconds;
  StartingNetwork net;
  CHECK(net.pass() == Requeue::after(seconds(2)));
  CHECK(net.pass() == Requeue::after(seconds(4)));
  CHECK(net.pass() == Requeue::after(seconds(8)));
  // One answers (no pod changed, so only a poll finds it): back to the shortest poll.
  net.nodes.serving.insert("10.0.0.5");
  CHECK(net.pass() == Requeue::after(seconds(2)));
  CHECK(net.pass() == Requeue::after(seconds(4)));
  // One that stops answering is no progress: the back-off goes on.
  net.nodes.serving.erase("10.0.0.5");
  CHECK(net.pass() == Requeue::after(seconds(8)));
  net.nodes.serving = {"10.0.0.5", "10.0.0.6", "10.0.0.7"};
  // All answer, and are told their peers: a look soon to see them connected (see below).
  CHECK(net.pass() == Requeue::after(seconds(2)));
}

TEST_CASE("a node that says it is warming up keeps the polls at the shortest interval") {
  using std::chrono::seconds;
  StartingNetwork net;
  CHECK(net.pass() == Requeue::after(seconds(2)));
  CHECK(net.pass() == Requeue::after(seconds(4)));
  net.nodes.loading.insert("10.0.0.6");
  for (int i = 0; i < 5; ++i) CHECK(net.pass() == Requeue::after(seconds(2)));
  // Loaded, but the others stay silent: the back-off resumes from the start.
  net.nodes.loading.clear();
  net.nodes.serving.insert("10.0.0.6");
  CHECK(net.pass() == Requeue::after(seconds(2)));  // progress
  CHECK(net.pass() == Requeue::after(seconds(4)));
  CHECK(net.pass() == Requeue::after(seconds(8)));
}

TEST_CASE("a node that stops answering: NodeNotResponding, then short probes until it answers again") {
  StoppableNode node;
  Harness h(node.factory());
  const auto full = h.settings.node_call_timeout;
  const auto probe = h.settings.probe_call_timeout;
  REQUIRE(probe < full);
  h.add_network(R"({"nodes": 1})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.5")));
  h.reconciler->reconcile("ns/net");
  h.observe_writes();
  // First contact with the short deadline; once it answered, its connection has the full one.
  CHECK(node.deadlines == std::vector{probe, full});
  h.reconciler->reconcile("ns/net");
  CHECK(node.deadlines == std::vector{probe, full});
  CHECK(h.degraded_condition().at("status") == "False");

  // Stopped: the connection's call runs into the full deadline; the status says so.
  node.stopped = true;
  auto next = h.reconciler->reconcile("ns/net");
  h.observe_writes();
  CHECK(next == Requeue::after(h.settings.not_ready_poll));
  auto status = json::parse(h.writes_to("/bitcoinnetworks/net/status").back().body).at("status");
  CHECK(node_entry(status, 0).at("ready") == false);
  CHECK(node_entry(status, 0).at("reason") == "NodeNotResponding");
  auto message = std::string(node_entry(status, 0).at("message").as_string());
  CHECK(message.find("within " + std::to_string(full.count()) + " ms") != std::string::npos);
  CHECK(h.degraded_condition().at("reason") == "NodeNotResponding");
  CHECK(h.degraded_condition().at("message").as_string().starts_with("node 0: "));

  // Still stopped: a fresh connection with the short deadline each pass, and the status (which
  // keeps the first diagnosis) is not rewritten.
  auto status_writes = h.writes_to("/bitcoinnetworks/net/status").size();
  h.reconciler->reconcile("ns/net");
  h.reconciler->reconcile("ns/net");
  CHECK(node.deadlines == std::vector{probe, full, probe, probe});
  CHECK(h.writes_to("/bitcoinnetworks/net/status").size() == status_writes);

  // Resumed (SIGCONT): the probe answers, the node is ready again, and the full deadline is back.
  node.stopped = false;
  h.reconciler->reconcile("ns/net");
  h.observe_writes();
  status = json::parse(h.writes_to("/bitcoinnetworks/net/status").back().body).at("status");
  CHECK(node_entry(status, 0).at("ready") == true);
  CHECK_FALSE(node_entry(status, 0).as_object().contains("reason"));
  CHECK(h.degraded_condition().at("status") == "False");
  h.reconciler->reconcile("ns/net");
  CHECK(node.deadlines.back() == full);

  // A replaced pod (new IP) is not heard from yet: the short deadline until it answers.
  node.stopped = true;
  h.reconciler->reconcile("ns/net");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.6")));
  node.deadlines.clear();
  h.reconciler->reconcile("ns/net");
  CHECK(node.deadlines == std::vector{probe});
}

TEST_CASE("a pod that never answers holds a worker for the short deadline only, and is logged once") {
  StoppableNode node;
  node.stopped = true;  // accepts, never answers (a hung image, a simulated node)
  Harness h(node.factory());
  h.add_network(R"({"nodes": 1})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.7")));
  for (int pass = 0; pass < 3; ++pass) h.reconciler->reconcile("ns/net");
  h.observe_writes();
  const auto probe = h.settings.probe_call_timeout;
  CHECK(node.deadlines == std::vector{probe, probe, probe});
  auto status = json::parse(h.writes_to("/bitcoinnetworks/net/status").back().body).at("status");
  CHECK(node_entry(status, 0).at("reason") == "NodeNotResponding");
  CHECK(h.degraded_condition().at("reason") == "NodeNotResponding");
}

TEST_CASE("an IPv6 pod's node is reached at its IPv6 address") {
  std::vector<std::string> hosts;
  Harness h([&](const std::string& host, int port, const RpcCredentials&,
                std::chrono::milliseconds) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
    hosts.push_back(host + " " + std::to_string(port));
    return std::make_unique<OversizedNode>();
  });
  h.add_network(R"({"nodes": 1})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "fd00:10:244::5")));
  h.reconciler->reconcile("ns/net");
  REQUIRE(!hosts.empty());
  CHECK(hosts.front() == "fd00:10:244::5 18443");
}

namespace {
constexpr const char* kSecrets = "/api/v1/namespaces/ns/secrets/";
constexpr const char* kStatus = "PATCH /apis/bitcoin.kubectl-bitcoin.dev/v1/namespaces/ns/bitcoinnetworks/net/status";
}  // namespace

TEST_CASE("a new network: its objects are read first, then written in order, then its status") {
  Harness h;
  h.add_network(R"({"nodes": 1})");
  auto next = h.reconciler->reconcile("ns/net");
  std::vector<std::string> expected{
      "PATCH " + std::string(kSecrets) + "net-rpc",
      "PATCH " + std::string(kSecrets) + "net-rpcauth",
      "PATCH /api/v1/namespaces/ns/services/net-svc",
      "PATCH /apis/apps/v1/namespaces/ns/statefulsets/net-sts",
      "PATCH /apis/networking.k8s.io/v1/namespaces/ns/networkpolicies/net-peers",
      kStatus,
  };
  CHECK(h.writes_since(0) == expected);
  // Every check (ownership by GET) comes before the first write.
  auto requests = h.api.requests();
  auto first_write = std::find_if(requests.begin(), requests.end(), [](const auto& r) { return r.method != "GET"; });
  CHECK(std::all_of(first_write, requests.end(), [](const auto& r) { return r.method != "GET"; }));
  for (auto it = first_write; it != requests.end(); ++it) {
    if (it->path.ends_with("/status")) continue;
    CHECK(it->header("content-type") == "application/apply-patch+yaml");  // server-side apply
  }
  CHECK(next == Requeue::after(h.settings.not_ready_poll));  // no node answers yet
}

TEST_CASE("a new network's objects are announced by one Created event that names them all") {
  // The fake server does not serve events.k8s.io/v1, so the recorder posts core/v1 Events.
  Harness h(nullptr, nullptr, /*record_events=*/true);
  h.add_network(R"({"nodes": 1})");
  h.reconciler->reconcile("ns/net");
  h.events->flush();
  auto posts = h.writes_to("/api/v1/namespaces/ns/events");
  REQUIRE(posts.size() == 1);
  auto event = json::parse(posts.front().body);
  CHECK(event.at("reason") == "Created");
  CHECK(event.at("message") ==
        "Created Secret net-rpc, Secret net-rpcauth, Service net-svc, StatefulSet net-sts, NetworkPolicy net-peers");
  h.observe_writes();
  h.reconciler->reconcile("ns/net");  // nothing created: nothing announced
  h.events->flush();
  CHECK(h.writes_to("/api/v1/namespaces/ns/events").size() == 1);
}

TEST_CASE("created_event_note lists the objects in the order they were created") {
  CHECK(created_event_note({"Service a-svc"}) == "Created Service a-svc");
  CHECK(created_event_note({"Secret a-rpc", "StatefulSet a-sts"}) == "Created Secret a-rpc, StatefulSet a-sts");
}

TEST_CASE("a steady network: a second reconcile writes nothing") {
  Harness h;
  h.add_network(R"({"nodes": 1})");
  h.reconciler->reconcile("ns/net");
  h.observe_writes();
  auto before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");
  CHECK(h.writes_since(before).empty());
}

TEST_CASE("a scale up patches the StatefulSet's replicas, and nothing else but the status") {
  Harness h;
  h.add_network(R"({"nodes": 1})");
  h.reconciler->reconcile("ns/net");
  h.observe_writes();
  h.add_network(R"({"nodes": 3})");
  h.observe_writes();  // the status stays as written
  auto before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");
  std::vector<std::string> expected{"PATCH /apis/apps/v1/namespaces/ns/statefulsets/net-sts", kStatus};
  CHECK(h.writes_since(before) == expected);
  auto sts = h.writes_to("/statefulsets/net-sts");
  REQUIRE(sts.size() == 2);
  CHECK(json::parse(sts.back().body).at("spec").at("replicas") == 3);
}

TEST_CASE("a user Secret that does not exist: Degraded SecretNotFound, no objects written, back-off") {
  Harness h;
  h.add_network(R"({"nodes": 1, "secret": "mine"})");
  CHECK_THROWS(h.reconciler->reconcile("ns/net"));
  auto requests = h.api.requests();
  CHECK(std::any_of(requests.begin(), requests.end(),
                    [](const auto& r) { return r.method == "GET" && r.path == std::string(kSecrets) + "mine"; }));
  std::vector<std::string> expected{kStatus};
  CHECK(h.writes_since(0) == expected);  // neither Secrets nor the StatefulSet: the password goes nowhere
  auto degraded = h.degraded_condition();
  CHECK(degraded.at("status") == "True");
  CHECK(degraded.at("reason") == "SecretNotFound");
}

namespace {
// A caller that forwards to a FAKE node the test keeps (the reconciler drops its callers).
class SharedCaller : public kb::bitcoin::RpcCaller {
 public:
  explicit SharedCaller(std::shared_ptr<kb::bitcoin::testing::FakeRpcCaller> node) : node_(std::move(node)) {}
  json::value call(std::string_view method, json::array params = {}) override {
    return node_->call(method, std::move(params));
  }
  std::vector<kb::bitcoin::BatchItem> call_batch(const std::vector<kb::bitcoin::RpcRequest>& requests) override {
    return node_->call_batch(requests);
  }

 private:
  std::shared_ptr<kb::bitcoin::testing::FakeRpcCaller> node_;
};
}  // namespace

TEST_CASE("a closed write fence (the term ended): nodes are observed, but no block is mined") {
  // Every connection the reconciler opened (the first-contact probe, then the node's connection),
  // kept here after the reconciler dropped them.
  std::vector<std::shared_ptr<kb::bitcoin::testing::FakeRpcCaller>> connections;
  auto called = [&](std::string_view prefix) {
    return std::ranges::any_of(connections, [&](const auto& c) {
      return std::ranges::any_of(c->calls, [&](const std::string& call) { return call.starts_with(prefix); });
    });
  };
  auto fence = std::make_shared<kb::kube::WriteFence>();  // closed: this replica's term is over
  Harness h(
      [&](const std::string&, int, const RpcCredentials&,
          std::chrono::milliseconds) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
        auto fake = std::make_shared<kb::bitcoin::testing::FakeRpcCaller>();
        fake->answer("getblockchaininfo", json::value{{"blocks", 5}, {"bestblockhash", "00ab"}})
            .answer("getnetworkinfo", json::value{{"connections", 0}, {"subversion", "/Satoshi:29.3.0/"}})
            .answer("getaddednodeinfo", json::array{})
            .answer("generatetoaddress", json::array{"00cd"});
        connections.push_back(fake);
        return std::make_unique<SharedCaller>(fake);
      },
      fence);
  h.add_network(R"({"nodes": 1, "mining": {"enabled": true, "intervalSeconds": 5}})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.5")));
  CHECK_THROWS_AS(h.reconciler->reconcile("ns/net"), kb::kube::FenceClosedError);
  REQUIRE(!connections.empty());
  CHECK_FALSE(called("generate"));
  CHECK(called("getblockchaininfo"));

  fence->open_until(std::chrono::steady_clock::now() + std::chrono::seconds(10));  // leading again
  h.observe_writes();
  CHECK_NOTHROW(h.reconciler->reconcile("ns/net"));
  CHECK(called("generatetoaddress"));
}

TEST_CASE("a node's RPC error while mining (a FAKE RpcCaller): Degraded, the status still written, back-off") {
  kb::bitcoin::testing::FakeRpcCaller* node = nullptr;
  Harness h([&](const std::string&, int, const RpcCredentials&,
                std::chrono::milliseconds) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
    auto fake = std::make_unique<kb::bitcoin::testing::FakeRpcCaller>();
    fake->answer("getblockchaininfo", json::value{{"blocks", 5}, {"bestblockhash", "00ab"}})
        .answer("getnetworkinfo", json::value{{"connections", 0}, {"subversion", "/Satoshi:29.3.0/"}})
        .answer("getaddednodeinfo", json::array{})
        .answer("generatetoaddress", kb::bitcoin::RpcError(-32603, "Internal error", "generatetoaddress"));
    node = fake.get();
    return fake;
  });
  h.add_network(R"({"nodes": 1, "mining": {"enabled": true, "intervalSeconds": 5}})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.5")));
  CHECK_THROWS_AS(h.reconciler->reconcile("ns/net"), kb::bitcoin::RpcError);
  REQUIRE(node != nullptr);
  REQUIRE(!node->calls.empty());
  CHECK(node->calls.back().starts_with("generatetoaddress [1,"));
  auto degraded = h.degraded_condition();
  CHECK(degraded.at("status") == "True");
  CHECK(degraded.at("reason") == "NodeRpcError");
  CHECK(degraded.at("message").as_string().find("Internal error") != json::string::npos);
  // What the node did say reaches the status.
  auto status = json::parse(h.writes_to("/bitcoinnetworks/net/status").back().body).at("status");
  CHECK(status.at("blockHeight") == 5);
}

namespace {

// FAKE nodes by pod IP: each answers with its chain, no peers, and a fixed added-node list, and
// records its calls. The reconciler's callers forward to them, so a node keeps its record (and a
// test can replace its answers) across reconciles and reconnects.
struct FakeNodes {
  std::map<std::string, kb::bitcoin::testing::FakeRpcCaller> by_ip;
  std::vector<std::string> dialled;   // the hosts the reconciler opened connections to, in order
  std::vector<std::string> sequence;  // "<ip> <method>" of every call on any node, in order

  void add(const std::string& ip, std::vector<std::string> added, bool connected = false) {
    json::array list;
    for (const auto& address : added) list.push_back(json::object{{"addednode", address}, {"connected", connected}});
    by_ip[ip] = {};
    by_ip[ip]
        .answer("getblockchaininfo", json::value{{"blocks", 1}, {"bestblockhash", "00ab"}})
        .answer("getnetworkinfo", json::value{{"connections", 1}, {"subversion", "/Satoshi:29.3.0/"}})
        .answer("getaddednodeinfo", std::move(list))
        .answer("addnode", json::value(nullptr))
        .answer("disconnectnode", json::value(nullptr));
  }

  void clear_calls() {
    for (auto& [ip, node] : by_ip) node.calls.clear();
  }

  RpcFactory factory() {
    return [this](const std::string& host, int, const RpcCredentials&,
                  std::chrono::milliseconds) -> std::unique_ptr<kb::bitcoin::RpcCaller> {
      dialled.push_back(host);
      return std::make_unique<Forward>(*this, host);
    };
  }

 private:
  class Forward : public kb::bitcoin::RpcCaller {
   public:
    Forward(FakeNodes& nodes, std::string ip) : nodes_(nodes), ip_(std::move(ip)) {}
    json::value call(std::string_view method, json::array params = {}) override {
      nodes_.sequence.push_back(ip_ + " " + std::string(method) + " " + json::serialize(params));
      return nodes_.by_ip.at(ip_).call(method, std::move(params));
    }
    std::vector<kb::bitcoin::BatchItem> call_batch(const std::vector<kb::bitcoin::RpcRequest>& requests) override {
      return nodes_.by_ip.at(ip_).call_batch(requests);
    }

   private:
    FakeNodes& nodes_;
    std::string ip_;
  };
};

bool called(const kb::bitcoin::testing::FakeRpcCaller& node, const std::string& call) {
  return std::find(node.calls.begin(), node.calls.end(), call) != node.calls.end();
}

std::vector<std::string> peer_calls(const kb::bitcoin::testing::FakeRpcCaller& node) {
  std::vector<std::string> out;
  for (const auto& call : node.calls) {
    if (call.starts_with("addnode ") || call.starts_with("disconnectnode ")) out.push_back(call);
  }
  return out;
}

json::value last_status(const Harness& h) {
  return json::parse(h.writes_to("/bitcoinnetworks/net/status").back().body).at("status");
}

json::value condition_in(const json::value& status, std::string_view type) {
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type").as_string() == type) return c;
  }
  FAIL("no condition " << type);
  return {};
}

}  // namespace

TEST_CASE("a scale down patches the replicas down, and the survivors drop the removed node from their added nodes") {
  // A 3-node mesh dials 0→1, 1→2, 2→0; a 2-node mesh only 0→1. Node 2 goes.
  FakeNodes nodes;
  nodes.add("10.0.0.10", {"10.0.0.11:18444"}, /*connected=*/true);
  nodes.add("10.0.0.11", {"10.0.0.12:18444"}, /*connected=*/true);
  nodes.add("10.0.0.12", {"10.0.0.10:18444"}, /*connected=*/true);
  Harness h(nodes.factory());
  h.add_network(R"({"nodes": 3, "mining": {"enabled": false}})");
  for (int ordinal = 0; ordinal < 3; ++ordinal) {
    h.pods.upsert(std::make_shared<const json::value>(ready_pod(ordinal, "10.0.0.1" + std::to_string(ordinal))));
  }
  h.reconciler->reconcile("ns/net");
  // Not a structured binding: doctest's message is a lambda, and clang before 16 cannot capture one.
  for (const auto& entry : nodes.by_ip) CHECK_MESSAGE(peer_calls(entry.second).empty(), entry.first);  // as planned
  h.observe_writes();

  h.add_network(R"({"nodes": 2, "mining": {"enabled": false}})");
  h.observe_writes();  // the status stays as written
  nodes.clear_calls();
  auto before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");

  std::vector<std::string> expected{"PATCH /apis/apps/v1/namespaces/ns/statefulsets/net-sts", kStatus};
  CHECK(h.writes_since(before) == expected);
  CHECK(json::parse(h.writes_to("/statefulsets/net-sts").back().body).at("spec").at("replicas") == 2);
  // Node 1 forgets node 2 (and drops the connection); node 0 never had it; node 2 is left alone.
  std::vector<std::string> forget{R"(addnode ["10.0.0.12:18444","remove"])", R"(disconnectnode ["10.0.0.12:18444"])"};
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.11")) == forget);
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")).empty());
  CHECK(nodes.by_ip.at("10.0.0.12").calls.empty());
  auto status = last_status(h);
  CHECK(status.at("nodes").as_array().size() == 2);
  CHECK(status.at("replicas") == 3);  // node 2's pod has not gone yet
  CHECK(condition_in(status, "Progressing").at("reason") == "ScalingDown");
}

TEST_CASE("after it changed peers, the reconciler looks again soon: the status then shows the connections") {
  FakeNodes nodes;
  nodes.add("10.0.0.10", {});
  nodes.add("10.0.0.11", {});
  Harness h(nodes.factory());
  h.add_network(R"({"nodes": 2, "mining": {"enabled": false}})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.10")));
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(1, "10.0.0.11")));
  // Both answer (all ready), and node 0 is told to dial node 1: bitcoind has not connected yet.
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(h.settings.not_ready_poll));
  CHECK(called(nodes.by_ip.at("10.0.0.10"), R"(addnode ["10.0.0.11:18444","add"])"));
  // Connected; nothing to change: the resync period.
  nodes.add("10.0.0.10", {"10.0.0.11:18444"}, /*connected=*/true);
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(h.settings.resync));
}

TEST_CASE("a partition's NetworkPolicies: groups' first, then <name>-peers without P2P; heal reverses it") {
  Harness h;
  const std::string policies = "/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies/";
  auto p2p_rules = [&](const std::string& name) {
    int count = 0;
    std::string body;
    for (const auto& w : h.writes_to(policies + name)) {
      if (w.method == "PATCH" && w.path == policies + name) body = w.body;  // the last apply of it
    }
    REQUIRE(!body.empty());
    auto policy = json::parse(body);
    for (const auto& rule : policy.at("spec").at("ingress").as_array()) {
      if (rule.at("ports").at(0).at("port") == kb::api::kP2pPort) ++count;
    }
    return count;
  };
  h.add_network(R"({"nodes": 4, "mining": {"enabled": false},
                    "partitions": [{"name": "left", "nodes": [0, 1]}, {"name": "right", "nodes": [2, 3]}]})");
  h.reconciler->reconcile("ns/net");
  std::vector<std::string> policy_writes;
  for (const auto& w : h.writes_since(0)) {
    if (w.find("/networkpolicies/") != std::string::npos) policy_writes.push_back(w);
  }
  CHECK(policy_writes == std::vector<std::string>{"PATCH " + policies + "net-peers-left",
                                                  "PATCH " + policies + "net-peers-right",
                                                  "PATCH " + policies + "net-peers"});
  CHECK(p2p_rules("net-peers") == 0);
  CHECK(p2p_rules("net-peers-left") == 1);
  h.observe_writes();
  auto before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");  // in force and applied: nothing to write but the status
  for (const auto& w : h.writes_since(before)) CHECK(w.find("/networkpolicies/") == std::string::npos);

  // Heal: <name>-peers admits P2P again before the groups' policies go.
  h.add_network(R"({"nodes": 4, "mining": {"enabled": false}})");
  before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");
  policy_writes.clear();
  for (const auto& w : h.writes_since(before)) {
    if (w.find("/networkpolicies/") != std::string::npos) policy_writes.push_back(w);
  }
  CHECK(policy_writes == std::vector<std::string>{"PATCH " + policies + "net-peers",
                                                  "DELETE " + policies + "net-peers-left",
                                                  "DELETE " + policies + "net-peers-right"});
  CHECK(p2p_rules("net-peers") == 1);
  // Once the cache has seen the deletes, nothing is left to delete.
  h.policies.erase("ns/net-peers-left");
  h.policies.erase("ns/net-peers-right");
  h.observe_writes();
  before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");
  for (const auto& w : h.writes_since(before)) CHECK(w.find("/networkpolicies/") == std::string::npos);
}

TEST_CASE("a group policy's name taken by a foreign NetworkPolicy: not taken over, P2P not cut, the pass fails") {
  Harness h;
  const std::string left = "/apis/networking.k8s.io/v1/namespaces/ns/networkpolicies/net-peers-left";
  {
    std::lock_guard lock(h.written_mutex);  // a user's policy: no ownerReference to the network
    h.written[left] = R"({"metadata": {"name": "net-peers-left", "namespace": "ns"}, "spec": {}})";
  }
  h.add_network(R"({"nodes": 2, "mining": {"enabled": false}, "partitions": [{"name": "left", "nodes": [0]}]})");
  CHECK_THROWS(h.reconciler->reconcile("ns/net"));
  CHECK(h.writes_to(left).empty());
  // <name>-peers is not changed to drop P2P: the groups' policies are not all in place.
  for (const auto& w : h.writes_to("/networkpolicies/")) CHECK(!w.path.ends_with("/net-peers"));
  auto degraded = condition_in(last_status(h), "Degraded");
  CHECK(degraded.at("status") == "True");
  CHECK(std::string(degraded.at("message").as_string()).find("net-peers-left") != std::string::npos);
}

TEST_CASE("an edge added but not connected is dialled again at each pass, the passes backing off") {
  // A dial that met a closed door (a ban not yet lifted on the peer, a NetworkPolicy the network
  // plugin has not applied yet) is not retried by bitcoind for about a minute.
  FakeNodes nodes;
  nodes.add("10.0.0.10", {"10.0.0.11:18444"});  // not connected
  nodes.add("10.0.0.11", {});
  Harness h(nodes.factory(), nullptr, /*record_events=*/true);
  h.add_network(R"({"nodes": 2, "mining": {"enabled": false}})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.10")));
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(1, "10.0.0.11")));
  const auto redial = std::vector<std::string>{R"(addnode ["10.0.0.11:18444","onetry"])"};
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(h.settings.not_ready_poll));
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")) == redial);
  nodes.clear_calls();
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(h.settings.not_ready_poll * 2));
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")) == redial);
  // No PeersUpdated Event for a redial: the added-node list did not change (Created is the only one).
  h.events->flush();
  auto posts = h.writes_to("/api/v1/namespaces/ns/events");
  REQUIRE(!posts.empty());
  for (const auto& post : posts) CHECK(json::parse(post.body).at("reason") == "Created");
  // Connected: no dial, the resync period.
  nodes.add("10.0.0.10", {"10.0.0.11:18444"}, /*connected=*/true);
  nodes.clear_calls();
  CHECK(h.reconciler->reconcile("ns/net") == Requeue::after(h.settings.resync));
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")).empty());
}

TEST_CASE("a replaced pod: its old address is removed from its peers and its new one added") {
  // A 2-node mesh: node 0 dials node 1, whose pod comes back with a new IP.
  FakeNodes nodes;
  nodes.add("10.0.0.10", {"10.0.0.11:18444"});
  nodes.add("10.0.0.11", {});
  Harness h(nodes.factory());
  h.add_network(R"({"nodes": 2, "mining": {"enabled": false}})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.10")));
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(1, "10.0.0.11")));
  h.reconciler->reconcile("ns/net");
  // Added but not connected: dialled again, the list itself is as planned.
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")) == std::vector<std::string>{R"(addnode ["10.0.0.11:18444","onetry"])"});
  h.observe_writes();

  nodes.add("10.0.0.21", {});
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(1, "10.0.0.21")));
  nodes.clear_calls();
  nodes.dialled.clear();
  auto before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");

  std::vector<std::string> expected{R"(addnode ["10.0.0.11:18444","remove"])", R"(addnode ["10.0.0.21:18444","add"])",
                                    R"(addnode ["10.0.0.21:18444","onetry"])"};
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")) == expected);  // not connected: nothing to disconnect
  CHECK(!called(nodes.by_ip.at("10.0.0.10"), R"(disconnectnode ["10.0.0.11:18444"])"));
  CHECK(nodes.by_ip.at("10.0.0.11").calls.empty());  // the old pod is not asked
  // The new IP only: the first-contact probe (short deadline), then the node's connection.
  CHECK(nodes.dialled == std::vector<std::string>{"10.0.0.21", "10.0.0.21"});
  CHECK(h.writes_since(before) == std::vector<std::string>{kStatus});  // the pod's new IP in the status
  CHECK(last_status(h).at("nodes").at(1).at("ip") == "10.0.0.21");
}

namespace {

std::vector<std::string> ban_calls(const kb::bitcoin::testing::FakeRpcCaller& node) {
  std::vector<std::string> out;
  for (const auto& call : node.calls) {
    if (call.starts_with("setban ")) out.push_back(call);
  }
  return out;
}

// A spec change as the API server makes it: the status stays, the generation grows.
void change_spec(Harness& h, std::string_view spec_json) {
  auto network = *h.networks.get("ns", "net");
  network.at("spec") = json::parse(spec_json);
  auto& metadata = network.at("metadata").as_object();
  metadata["generation"] = metadata.at("generation").as_int64() + 1;
  h.networks.upsert(std::make_shared<const json::value>(std::move(network)));
}

std::vector<std::string> event_reasons(const Harness& h) {
  std::vector<std::string> out;
  for (const auto& post : h.writes_to("/api/v1/namespaces/ns/events")) {
    out.emplace_back(json::parse(post.body).at("reason").as_string());
  }
  return out;
}

}  // namespace

TEST_CASE("a partition (FAKE nodes): cross-group addnode entries go, the other side is banned; heal lifts the bans") {
  // A ring of 4 dials 0→1, 1→2, 2→3, 3→0; split {0,1} {2,3} only 0→1 and 2→3 stay.
  FakeNodes nodes;
  nodes.add("10.0.0.10", {"10.0.0.11:18444"}, /*connected=*/true);
  nodes.add("10.0.0.11", {"10.0.0.12:18444"}, /*connected=*/true);
  nodes.add("10.0.0.12", {"10.0.0.13:18444"}, /*connected=*/true);
  nodes.add("10.0.0.13", {"10.0.0.10:18444"}, /*connected=*/true);
  for (auto& [ip, node] : nodes.by_ip) node.answer("listbanned", json::array{}).answer("setban", nullptr);
  Harness h(nodes.factory(), nullptr, /*record_events=*/true);
  h.add_network(R"({"nodes": 4, "topology": "ring"})");
  for (int ordinal = 0; ordinal < 4; ++ordinal) {
    h.pods.upsert(std::make_shared<const json::value>(ready_pod(ordinal, "10.0.0.1" + std::to_string(ordinal))));
  }
  h.reconciler->reconcile("ns/net");
  for (const auto& entry : nodes.by_ip) CHECK_MESSAGE(peer_calls(entry.second).empty(), entry.first);  // as planned
  for (const auto& entry : nodes.by_ip) CHECK_MESSAGE(ban_calls(entry.second).empty(), entry.first);
  h.observe_writes();

  change_spec(h, R"({"nodes": 4, "topology": "ring",
                     "partitions": [{"name": "left", "nodes": [0, 1]}, {"name": "right", "nodes": [2, 3]}]})");
  nodes.clear_calls();
  h.reconciler->reconcile("ns/net");
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.10")).empty());
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.11")) ==
        std::vector<std::string>{R"(addnode ["10.0.0.12:18444","remove"])", R"(disconnectnode ["10.0.0.12:18444"])"});
  CHECK(peer_calls(nodes.by_ip.at("10.0.0.13")) ==
        std::vector<std::string>{R"(addnode ["10.0.0.10:18444","remove"])", R"(disconnectnode ["10.0.0.10:18444"])"});
  CHECK(ban_calls(nodes.by_ip.at("10.0.0.10")) ==
        std::vector<std::string>{R"(setban ["10.0.0.12","add"])", R"(setban ["10.0.0.13","add"])"});
  CHECK(ban_calls(nodes.by_ip.at("10.0.0.13")) ==
        std::vector<std::string>{R"(setban ["10.0.0.10","add"])", R"(setban ["10.0.0.11","add"])"});
  // The entries go before the bans: bitcoind dials an added node even when it is banned.
  const auto& calls = nodes.by_ip.at("10.0.0.11").calls;
  auto remove_at = std::ranges::find(calls, R"(addnode ["10.0.0.12:18444","remove"])");
  auto ban_at = std::ranges::find(calls, R"(setban ["10.0.0.12","add"])");
  CHECK(remove_at < ban_at);
  auto status = last_status(h);
  CHECK(status.at("partition").at("groups") ==
        json::parse(R"([{"name": "left", "nodes": [0, 1]}, {"name": "right", "nodes": [2, 3]}])"));
  CHECK(condition_in(status, "Partitioned").at("status") == "True");
  h.events->flush();
  CHECK(std::ranges::count(event_reasons(h), "PartitionApplied") == 1);
  h.observe_writes();

  // Healed: the nodes list the bans as bitcoind does; each is lifted, and the ring's entries come back.
  change_spec(h, R"({"nodes": 4, "topology": "ring"})");
  nodes.add("10.0.0.11", {});
  nodes.by_ip.at("10.0.0.11")
      .answer("listbanned", json::parse(R"([{"address": "10.0.0.12/32"}, {"address": "10.0.0.13/32"},
                                             {"address": "192.0.2.7/32"}])"))
      .answer("setban", nullptr);
  for (const auto& ip : {"10.0.0.10", "10.0.0.12", "10.0.0.13"}) {
    nodes.by_ip.at(ip).calls.clear();
    nodes.by_ip.at(ip).answer("listbanned", json::parse(R"([{"address": "10.0.0.11/32"}])"));
  }
  nodes.sequence.clear();
  h.reconciler->reconcile("ns/net");
  // Every node lifts its bans before any node dials: a dial to a peer that still bans the dialler
  // fails, and bitcoind tries an added node again only a minute later.
  auto first_add = std::ranges::find_if(nodes.sequence, [](const auto& c) { return c.find(" addnode ") != c.npos; });
  auto last_unban = std::ranges::find_if(nodes.sequence.rbegin(), nodes.sequence.rend(), [](const auto& c) {
    return c.find("\"remove\"]") != c.npos && c.find(" setban ") != c.npos;
  });
  REQUIRE(first_add != nodes.sequence.end());
  REQUIRE(last_unban != nodes.sequence.rend());
  CHECK(last_unban.base() <= first_add);
  CHECK(ban_calls(nodes.by_ip.at("10.0.0.11")) ==
        std::vector<std::string>{R"(setban ["10.0.0.12","remove"])", R"(setban ["10.0.0.13","remove"])"});
  CHECK(called(nodes.by_ip.at("10.0.0.11"), R"(addnode ["10.0.0.12:18444","add"])"));
  auto healed = last_status(h);
  CHECK(healed.at("partition").is_null());  // the merge patch names the field that went away
  CHECK(condition_in(healed, "Partitioned").at("reason") == "NotPartitioned");
  h.events->flush();
  CHECK(std::ranges::count(event_reasons(h), "PartitionHealed") == 1);
}

TEST_CASE("partitions written before the CRD's rules: not applied, Degraded names the field") {
  FakeNodes nodes;
  nodes.add("10.0.0.10", {});
  Harness h(nodes.factory());
  h.add_network(R"({"nodes": 1, "partitions": [{"name": "a", "nodes": [0]}, {"name": "b", "nodes": [0]}]})");
  h.pods.upsert(std::make_shared<const json::value>(ready_pod(0, "10.0.0.10")));
  h.reconciler->reconcile("ns/net");
  auto status = last_status(h);
  CHECK(condition_in(status, "Degraded").at("reason") == "PartitionsInvalid");
  CHECK(condition_in(status, "Degraded").at("message").as_string().find("spec.partitions[1].nodes[0]") !=
        json::string::npos);
  CHECK(condition_in(status, "Partitioned").at("status") == "False");
  CHECK(ban_calls(nodes.by_ip.at("10.0.0.10")).empty());
}

TEST_CASE("a fork and its reorg through the reconciler: status.forks, Forked, one Reorg event after the status") {
  // FAKE nodes (FakeNodes above) with scripted chains: node 0 on the branch l (tip 7), node 1 on
  // the branch r (tip 5), both forked off block f2; then node 1 follows l. Their getblockhash
  // answers are queued in the order the fork-point search and the reorg check ask them.
  FakeNodes nodes;
  nodes.add("10.0.0.10", {"10.0.0.11:18444"}, true);
  nodes.add("10.0.0.11", {}, true);
  auto tip = [](int height, const std::string& hash) {
    return json::value{{"blocks", height}, {"headers", height}, {"bestblockhash", hash}};
  };
  auto& node0 = nodes.by_ip.at("10.0.0.10");
  auto& node1 = nodes.by_ip.at("10.0.0.11");
  node0 = {};
  node1 = {};
  for (auto* node : {&node0, &node1}) {
    node->answer("getnetworkinfo", json::value{{"connections", 1}, {"subversion", "/Satoshi:29.3.0/"}})
        .answer("getaddednodeinfo", json::array{})
        .answer("addnode", json::value(nullptr));
  }
  node0.answer("getblockchaininfo", tip(7, "l7"));
  node1.answer("getblockchaininfo", tip(5, "r5")).answer("getblockchaininfo", tip(5, "r5"));
  node1.answer("getblockchaininfo", tip(7, "l7"));
  // Search between l7 and r5: height 5 (node 0: l5 / r5 known), 2 (f2 / f2), 3 (l3 / r3) -> fork f2.
  for (auto hash : {"l5", "f2", "l3"}) node0.answer("getblockhash", json::string(hash));
  // Then node 1's reorg check: its chain at 5 is l5 (not r5), and the fork's hash at 2.
  for (auto hash : {"f2", "r3", "l5", "f2"}) node1.answer("getblockhash", json::string(hash));
  node1.answer("getblockheader", json::value{{"hash", "r5"}, {"height", 5}, {"confirmations", -1}});
  node1.answer("getchaintips", json::parse(R"([{"height":7,"hash":"l7","branchlen":0,"status":"active"},
                                               {"height":5,"hash":"r5","branchlen":3,"status":"valid-fork"}])"));

  Harness h(nodes.factory(), nullptr, /*record_events=*/true);
  h.settings.chains.fork_grace = std::chrono::milliseconds(1);
  h.reconciler = std::make_unique<Reconciler>(
      *h.client, ReconcilerCaches{&h.networks, &h.statefulsets, &h.services, &h.pods, &h.policies}, nodes.factory(),
      h.events.get(), h.log, h.metrics, h.settings, *h.credentials);
  h.add_network(R"({"nodes": 2, "mining": {"enabled": false}})");
  for (int ordinal = 0; ordinal < 2; ++ordinal) {
    h.pods.upsert(std::make_shared<const json::value>(ready_pod(ordinal, "10.0.0.1" + std::to_string(ordinal))));
  }
  h.reconciler->reconcile("ns/net");
  h.observe_writes();
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  h.reconciler->reconcile("ns/net");  // tips still differ, now past the (1 ms) grace period
  h.observe_writes();
  auto forked = last_status(h);
  CHECK(forked.at("forks") == json::parse(R"([
    {"height": 7, "hash": "l7", "nodes": [0], "forkPoint": {"height": 2, "hash": "f2"}, "depth": 5},
    {"height": 5, "hash": "r5", "nodes": [1], "forkPoint": {"height": 2, "hash": "f2"}, "depth": 3}])"));
  CHECK(condition_in(forked, "Forked").at("status") == "True");
  CHECK(condition_in(forked, "Forked").at("reason") == "TipsDiffer");

  auto before = h.api.requests().size();
  h.reconciler->reconcile("ns/net");  // node 1 is on l7 now
  h.events->flush();
  auto healed = last_status(h);
  CHECK(condition_in(healed, "Forked").at("status") == "False");
  CHECK(healed.at("forks").as_array().size() == 1);
  // The status that shows node 1 on l7 is written before the Event (the fake nodes' static
  // added-node lists also make the peer sync post PeersUpdated at every pass: not counted here).
  auto reorg_posts = [&h](std::size_t from) {
    std::vector<std::size_t> at;
    auto requests = h.api.requests();
    for (std::size_t i = from; i < requests.size(); ++i) {
      if (requests[i].method == "POST" && requests[i].body.find(R"("reason":"Reorg")") != std::string::npos)
        at.push_back(i);
    }
    return at;
  };
  auto posted = reorg_posts(before);
  REQUIRE(posted.size() == 1);
  auto requests = h.api.requests();
  std::size_t status_patch = 0;
  for (std::size_t i = before; i < requests.size(); ++i) {
    if (requests[i].method + " " + requests[i].path == kStatus) status_patch = i;
  }
  CHECK(status_patch > before);
  CHECK(status_patch < posted[0]);
  auto event = json::parse(requests[posted[0]].body);
  CHECK(event.at("type") == "Normal");
  CHECK(event.at("involvedObject").at("name") == "net");
  CHECK(event.at("message") == "node 1: reorg of depth 3 from 5/r5 to 7/l7 (fork at 2)");

  h.observe_writes();
  auto again = h.api.requests().size();
  h.reconciler->reconcile("ns/net");  // nothing moved: no event again
  h.events->flush();
  CHECK(reorg_posts(again).empty());
  CHECK(h.metrics.expose().find(R"(bitcoin_node_blocks{namespace="ns",network="net",node="1"} 7)") !=
        std::string::npos);
  CHECK(h.metrics.counter_total("kubectl_bitcoin_node_rpc_calls_total") > 0);
}
