// Client and transport against a FAKE API server (test/unit/kube/support/fake_api_server.hpp):
// a scripted HTTP peer on 127.0.0.1, not Kubernetes. The real API server is exercised by
// test/integration/kube.
#include "pkg/kube/client.hpp"
#include "pkg/base/base64.hpp"
#include "pkg/kube/discovery.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/kubeconfig.hpp"
#include "support/fake_api_server.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

#include <atomic>
#include <fstream>
#include <sstream>
#include <thread>

using namespace kb::kube;
using namespace kb::kube::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
ClusterConfig config_for(const FakeApiServer& server) {
  ClusterConfig c;
  c.server = server.url();
  c.namespace_name = "default";
  c.qps = 0;  // unlimited unless a test says otherwise
  c.auth.token = "t0ken";
  return c;
}

const std::string kPod =
    R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"ns","resourceVersion":"5"}})";

std::string file(const std::string& name) {
  std::ifstream in(std::string(KB_TEST_DATA) + "/tls/" + name);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

FakeTls server_tls(bool require_client_cert = false) {
  std::string dir = std::string(KB_TEST_DATA) + "/tls/";
  return FakeTls{dir + "server.crt", dir + "server.key", require_client_cert ? dir + "ca.crt" : ""};
}
}  // namespace

TEST_CASE("get sends the token, user agent and Accept; 404 is typed") {
  FakeApiServer server([](const FakeRequest& r) {
    if (r.path == "/api/v1/namespaces/ns/pods/p") return FakeResponse::json(200, kPod);
    return FakeResponse::json(404, status_json(404, "NotFound", "pods \\\"q\\\" not found"));
  });
  Client client(config_for(server));
  json::value pod = client.get(refs::pods("ns", "p"));
  CHECK(pod.at("metadata").at("name") == "p");
  auto request = server.requests().at(0);
  CHECK(request.method == "GET");
  CHECK(request.header("authorization") == "Bearer t0ken");
  CHECK(request.header("user-agent") == "kubectl-bitcoin");
  CHECK(request.header("accept") == "application/json");
  try {
    client.get(refs::pods("ns", "q"));
    FAIL("expected NotFound");
  } catch (const ApiError& e) {
    CHECK(is_not_found(e));
    CHECK(e.path() == "/api/v1/namespaces/ns/pods/q");
    CHECK(std::string(e.what()).find("t0ken") == std::string::npos);
  }
  CHECK_FALSE(client.get_if_exists(refs::pods("ns", "q")));
}

TEST_CASE("keep-alive: sequential requests share one connection; a stale one is replaced") {
  std::atomic<int> calls{0};
  FakeApiServer server([&](const FakeRequest&) {
    FakeResponse r = FakeResponse::json(200, kPod);
    // The 4th request finds its pooled connection closed by the server, like an idle timeout.
    if (++calls == 4) r.drop = true;
    return r;
  });
  Client client(config_for(server));
  for (int i = 0; i < 3; ++i) client.get(refs::pods("ns", "p"));
  CHECK(server.connections() == 1);
  client.get(refs::pods("ns", "p"));  // retried on a fresh connection
  CHECK(server.connections() == 2);
  CHECK(calls == 5);
}

TEST_CASE("Retry-After on 429 is honoured, then the answer is returned") {
  std::atomic<int> calls{0};
  FakeApiServer server([&](const FakeRequest&) {
    if (++calls == 1) {
      FakeResponse r = FakeResponse::json(429, status_json(429, "TooManyRequests", "slow down"));
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    return FakeResponse::json(200, kPod);
  });
  Client client(config_for(server));
  auto start = std::chrono::steady_clock::now();
  client.get(refs::pods("ns", "p"));
  CHECK(std::chrono::steady_clock::now() - start >= 900ms);
  CHECK(calls == 2);
  ClientMetrics m = client.metrics();
  CHECK(m.requests == 2);
  CHECK(m.responses_4xx == 1);
  CHECK(m.responses_2xx == 1);
  CHECK(m.retries_after == 1);
  CHECK(m.connections_opened == 1);
}

TEST_CASE("401 re-runs the exec plugin and retries once") {
  TempDir dir;
  FakeApiServer server([](const FakeRequest& r) {
    if (r.header("authorization") == "Bearer token-bar-2") return FakeResponse::json(200, kPod);
    return FakeResponse::json(401, status_json(401, "Unauthorized", "Unauthorized"));
  });
  ClusterConfig c = config_for(server);
  c.auth.token.clear();
  ExecConfig exec;
  exec.api_version = "client.authentication.k8s.io/v1";
  exec.command = "/bin/sh";
  exec.args = {std::string(KB_TEST_DATA) + "/exec-plugin.sh"};
  exec.interactive_mode = "Never";
  exec.env = {{"KB_COUNTER", (dir.path() / "n").string()}, {"KB_API", exec.api_version}, {"FOO", "bar"}};
  c.auth.exec = exec;
  Client client(c);
  client.get(refs::pods("ns", "p"));
  CHECK(server.requests().size() == 2);
  // A server that keeps refusing yields Unauthorized after one retry.
  FakeApiServer refusing(
      [](const FakeRequest&) { return FakeResponse::json(401, status_json(401, "Unauthorized", "Unauthorized")); });
  c.server = refusing.url();
  CHECK_THROWS_WITH_AS(Client(c).get(refs::pods("ns", "p")), doctest::Contains("Unauthorized"), ApiError);
  CHECK(refusing.requests().size() == 2);
}

TEST_CASE("list follows continue tokens and fills in apiVersion/kind") {
  FakeApiServer server([](const FakeRequest& r) {
    std::string cont = r.query_param("continue");
    CHECK(r.query_param("limit") == "2");
    CHECK(r.query_param("labelSelector") == "app=x");
    std::string next = cont.empty() ? "page2" : "";
    std::string name = cont.empty() ? "a" : "c";
    return FakeResponse::json(
        200, R"({"kind":"PodList","apiVersion":"v1","metadata":{"resourceVersion":"77","continue":")" + next +
                 R"("},"items":[{"metadata":{"name":")" + name + R"("}},{"metadata":{"name":")" + name + name +
                 R"("}}]})");
  });
  Client client(config_for(server));
  ListOptions options;
  options.limit = 2;
  options.label_selector = "app=x";
  ListResult result = client.list(refs::pods("ns"), options);
  REQUIRE(result.items.size() == 4);
  CHECK(result.resource_version == "77");
  CHECK(result.items[2].at("metadata").at("name") == "c");
  CHECK(result.items[0].at("kind") == "Pod");
  CHECK(result.items[0].at("apiVersion") == "v1");
  CHECK(server.requests().size() == 2);
}

TEST_CASE("write verbs: methods, content types, query options and delete options") {
  FakeApiServer server([](const FakeRequest& r) { return FakeResponse::json(r.method == "POST" ? 201 : 200, kPod); });
  Client client(config_for(server));
  json::value pod = json::parse(kPod);
  auto ref = refs::pods("ns", "p");
  client.create(refs::pods("ns"), pod, {.dry_run = true, .field_manager = "kb"});
  client.update(ref, pod);
  client.update_status(ref, pod);
  client.patch(ref, PatchType::Merge, json::object{{"metadata", {{"labels", {{"a", "b"}}}}}});
  client.patch(ref, PatchType::Json, json::array{json::object{{"op", "remove"}, {"path", "/x"}}});
  client.patch(ref, PatchType::StrategicMerge, json::object{});
  client.apply(ref, pod, {.field_manager = "kubectl-bitcoin", .force = true});
  client.remove(ref,
                {.propagation_policy = "Foreground", .precondition_uid = "u-1", .precondition_resource_version = "5"});
  client.update_scale(refs::stateful_sets("ns", "s"), 3);
  CHECK_THROWS_AS(client.apply(ref, pod, {}), KubeError);  // SSA needs a field manager

  auto requests = server.requests();
  REQUIRE(requests.size() == 9);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].path == "/api/v1/namespaces/ns/pods");
  CHECK(requests[0].query == "dryRun=All&fieldManager=kb");
  CHECK(requests[0].header("content-type") == "application/json");
  CHECK(requests[1].method == "PUT");
  CHECK(requests[2].path == "/api/v1/namespaces/ns/pods/p/status");
  CHECK(requests[3].header("content-type") == "application/merge-patch+json");
  CHECK(requests[4].header("content-type") == "application/json-patch+json");
  CHECK(requests[5].header("content-type") == "application/strategic-merge-patch+json");
  CHECK(requests[6].header("content-type") == "application/apply-patch+yaml");
  CHECK(requests[6].query == "fieldManager=kubectl-bitcoin&force=true");
  CHECK(requests[7].method == "DELETE");
  json::value options = json::parse(requests[7].body);
  CHECK(options.at("propagationPolicy") == "Foreground");
  CHECK(options.at("preconditions").at("uid") == "u-1");
  CHECK(options.at("preconditions").at("resourceVersion") == "5");
  CHECK(requests[8].path == "/apis/apps/v1/namespaces/ns/statefulsets/s/scale");
  CHECK(json::parse(requests[8].body) == json::parse(R"({"spec":{"replicas":3}})"));
}

TEST_CASE("watch decodes events split across HTTP chunks and returns the last resourceVersion") {
  std::string e1 = R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"11"}}})"
                   "\n";
  std::string e2 = R"({"type":"MODIFIED","object":{"metadata":{"name":"a","resourceVersion":"12"}}})"
                   "\n";
  std::string e3 = R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"15"}}})"
                   "\n";
  std::string all = e1 + e2 + e3;
  FakeApiServer server([&](const FakeRequest& r) {
    CHECK(r.query_param("watch") == "1");
    CHECK(r.query_param("resourceVersion") == "10");
    CHECK(r.query_param("allowWatchBookmarks") == "true");
    CHECK(r.query_param("timeoutSeconds") == "30");
    FakeResponse response;
    response.headers.emplace_back("Content-Type", "application/json");
    // Chunk boundaries in the middle of events, and one chunk holding the end of one and the start of the next.
    response.chunks = {all.substr(0, 7), all.substr(7, e1.size() + 3 - 7), all.substr(e1.size() + 3, 30),
                       all.substr(e1.size() + 33)};
    response.chunk_delay = 5ms;
    return response;
  });
  Client client(config_for(server));
  std::vector<WatchEvent> events;
  std::string rv =
      client.watch(refs::pods("ns"), {.resource_version = "10", .timeout_seconds = 30}, [&](const WatchEvent& e) {
        events.push_back(e);
        return true;
      });
  REQUIRE(events.size() == 3);
  CHECK(events[0].type == WatchEventType::Added);
  CHECK(events[1].type == WatchEventType::Modified);
  CHECK(events[2].type == WatchEventType::Bookmark);
  CHECK(rv == "15");
}

TEST_CASE("watch: an ERROR event with 410 is thrown as Gone; a stop request ends a quiet stream") {
  FakeApiServer server([](const FakeRequest& r) {
    FakeResponse response;
    if (r.query_param("resourceVersion") == "1") {
      response.chunks = {
          R"J({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old resource version: 1 (9)"}})J"};
    } else {
      response.hold_open = true;
    }
    return response;
  });
  Client client(config_for(server));
  try {
    client.watch(refs::pods(), {.resource_version = "1"}, [](const WatchEvent&) { return true; });
    FAIL("expected 410");
  } catch (const ApiError& e) {
    CHECK(is_gone(e));
  }
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(100ms);
    stop.request_stop();
  });
  auto start = std::chrono::steady_clock::now();
  client.watch(
      refs::pods(), {.resource_version = "2"}, [](const WatchEvent&) { return true; }, stop.get_token());
  CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("stream_lines delivers whole lines (pods/log?follow=true style)") {
  FakeApiServer server([](const FakeRequest& r) {
    CHECK(r.target == "/api/v1/namespaces/ns/pods/p/log?follow=true");
    FakeResponse response;
    response.chunks = {"line one\nline t", "wo\n", "tail without newline"};
    return response;
  });
  Client client(config_for(server));
  std::vector<std::string> lines;
  client.stream_lines("/api/v1/namespaces/ns/pods/p/log?follow=true", [&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  });
  CHECK(lines == std::vector<std::string>{"line one", "line two", "tail without newline"});
  CHECK(client.request("GET", "/api/v1/namespaces/ns/pods/p/log?follow=true").find("line one") == 0);
}

TEST_CASE("streams follow the same retry policy: 503 with Retry-After, and a stop request ends the wait") {
  std::atomic<int> calls{0};
  FakeApiServer server([&](const FakeRequest&) {
    if (++calls == 1) {
      FakeResponse r = FakeResponse::json(503, status_json(503, "ServiceUnavailable", "starting"));
      r.headers.emplace_back("Retry-After", "1");
      return r;
    }
    FakeResponse response;
    response.chunks = {"ready\n"};
    return response;
  });
  Client client(config_for(server));
  std::vector<std::string> lines;
  client.stream_lines("/api/v1/namespaces/ns/pods/p/log", [&](std::string_view line) {
    lines.emplace_back(line);
    return true;
  });
  CHECK(lines == std::vector<std::string>{"ready"});
  CHECK(calls == 2);
  CHECK(client.metrics().retries_after == 1);

  // Asked to wait 30 s, stopped after a moment: the stream returns without another request.
  FakeApiServer busy([](const FakeRequest&) {
    FakeResponse r = FakeResponse::json(429, status_json(429, "TooManyRequests", "slow down"));
    r.headers.emplace_back("Retry-After", "30");
    return r;
  });
  std::stop_source stop;
  std::jthread stopper([&] {
    std::this_thread::sleep_for(200ms);
    stop.request_stop();
  });
  auto started = std::chrono::steady_clock::now();
  Client(config_for(busy))
      .stream_get(
          "/api/v1/namespaces/ns/pods/p/log", [](std::string_view) { return true; }, stop.get_token());
  CHECK(std::chrono::steady_clock::now() - started < 10s);
  CHECK(busy.requests().size() == 1);
}

TEST_CASE("raw requests return any status; request() throws on errors") {
  FakeApiServer server([](const FakeRequest&) {
    FakeResponse r = FakeResponse::json(503, "upstream unavailable");
    return r;
  });
  Client client(config_for(server));
  RawResponse response = client.raw({.path = "/api/v1/namespaces/ns/services/s:80/proxy/"});
  CHECK(response.status == 503);
  CHECK(response.body == "upstream unavailable");
  CHECK(response.header("content-type") == "application/json");
  CHECK_THROWS_WITH_AS(client.request("GET", "/x"), doctest::Contains("upstream unavailable"), ApiError);
}

TEST_CASE("an unreachable server fails fast and names the address; a slow one times out") {
  int port;
  {
    FakeApiServer gone([](const FakeRequest&) { return FakeResponse{}; });
    port = gone.port();
  }
  ClusterConfig c;
  c.server = "http://127.0.0.1:" + std::to_string(port);
  c.qps = 0;
  CHECK_THROWS_WITH_AS(Client(c).get(refs::pods()), doctest::Contains(("127.0.0.1:" + std::to_string(port)).c_str()),
                       TransportError);

  FakeApiServer slow([](const FakeRequest&) {
    std::this_thread::sleep_for(1500ms);
    return FakeResponse::json(200, "{}");
  });
  ClusterConfig s = config_for(slow);
  s.request_timeout = 200ms;
  auto start = std::chrono::steady_clock::now();
  try {
    Client(s).get(refs::pods());
    FAIL("expected a timeout");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::Timeout);
    CHECK(std::string(e.what()).find("200ms") != std::string::npos);
  }
  CHECK(std::chrono::steady_clock::now() - start < 1400ms);
}

TEST_CASE("client-side rate limit: qps and burst") {
  FakeApiServer server([](const FakeRequest&) { return FakeResponse::json(200, "{}"); });
  ClusterConfig c = config_for(server);
  c.qps = 10;
  c.burst = 2;
  Client client(c);
  auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 5; ++i) client.get(refs::pods());
  CHECK(std::chrono::steady_clock::now() - start >= 250ms);  // 2 free, 3 at 100 ms each
}

TEST_CASE("TLS: verified against the kubeconfig CA, by IP or tls-server-name; failures suggest the CA option") {
  FakeTls tls = server_tls();
  FakeApiServer server([](const FakeRequest&) { return FakeResponse::json(200, kPod); }, &tls);
  ClusterConfig c = config_for(server);
  c.tls.ca_pem = file("ca.crt");
  c.tls.ca_origin = "file ca.crt";
  CHECK_NOTHROW(Client(c).get(refs::pods("ns", "p")));

  ClusterConfig named = c;
  named.tls.server_name = "kb-test.local";
  CHECK_NOTHROW(Client(named).get(refs::pods("ns", "p")));

  ClusterConfig wrong_name = c;
  wrong_name.tls.server_name = "elsewhere.example";
  try {
    Client(wrong_name).get(refs::pods("ns", "p"));
    FAIL("expected a verification failure");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::TlsVerify);
    CHECK(std::string(e.what()).find("elsewhere.example") != std::string::npos);
  }

  ClusterConfig other_ca = c;
  other_ca.tls.ca_pem = file("other-ca.crt");
  try {
    Client(other_ca).get(refs::pods("ns", "p"));
    FAIL("expected a verification failure");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::TlsVerify);
    CHECK(std::string(e.what()).find("--certificate-authority") != std::string::npos);
    CHECK(std::string(e.what()).find(server.url()) != std::string::npos);
  }

  ClusterConfig system_trust = c;
  system_trust.tls.ca_pem.clear();
  CHECK_THROWS_AS(Client(system_trust).get(refs::pods("ns", "p")), TransportError);

  ClusterConfig insecure = system_trust;
  insecure.tls.insecure_skip_verify = true;
  CHECK_NOTHROW(Client(insecure).get(refs::pods("ns", "p")));
}

TEST_CASE("TLS: a client certificate is presented when the server asks") {
  FakeTls tls = server_tls(/*require_client_cert=*/true);
  FakeApiServer server([](const FakeRequest&) { return FakeResponse::json(200, kPod); }, &tls);
  ClusterConfig c = config_for(server);
  c.tls.ca_pem = file("ca.crt");
  c.tls.client_cert_pem = file("client.crt");
  c.tls.client_key_pem = file("client.key");
  Client(c).get(refs::pods("ns", "p"));
  CHECK(server.last_client_subject() == "kb-test-user");

  ClusterConfig mismatched = c;
  mismatched.tls.client_key_pem = file("server.key");
  CHECK_THROWS_WITH_AS(Client{mismatched}, doctest::Contains("does not match"), ConfigError);
}

TEST_CASE("discovery: served resources, kinds and subresources") {
  FakeApiServer server([](const FakeRequest& r) {
    if (r.path == "/apis/apps/v1")
      return FakeResponse::json(200, R"({"kind":"APIResourceList","groupVersion":"apps/v1","resources":[
        {"name":"statefulsets","namespaced":true,"kind":"StatefulSet","verbs":["get","list"]},
        {"name":"statefulsets/scale","namespaced":true,"kind":"Scale","verbs":["get"]},
        {"name":"statefulsets/status","namespaced":true,"kind":"StatefulSet","verbs":["get"]}]})");
    if (r.path == "/apis/apps")
      return FakeResponse::json(200, R"({"preferredVersion":{"groupVersion":"apps/v1","version":"v1"}})");
    return FakeResponse::json(404, "404 page not found");
  });
  Discovery discovery(Client(config_for(server)));
  CHECK(discovery.has_resource("apps", "v1", "statefulsets"));
  CHECK_FALSE(discovery.has_resource("apps", "v1", "deployments"));
  CHECK_FALSE(discovery.has_group_version("bitcoin.example.io/v1alpha1"));
  auto sts = discovery.resource_for_kind("apps/v1", "StatefulSet");
  REQUIRE(sts);
  CHECK(sts->resource == "statefulsets");
  CHECK(sts->namespaced);
  CHECK(sts->subresources == std::vector<std::string>{"scale", "status"});
  CHECK(discovery.preferred_version("apps") == "v1");
  CHECK(discovery.preferred_version("") == "v1");
  std::size_t before = server.requests().size();
  discovery.has_resource("apps", "v1", "statefulsets");
  CHECK(server.requests().size() == before);  // cached
  discovery.invalidate();
  discovery.has_resource("apps", "v1", "statefulsets");
  CHECK(server.requests().size() == before + 1);
}

TEST_CASE("kubeconfig certificate data that is not PEM: the error names the kubeconfig and the field") {
  auto messages_for = [](const std::string& user, const std::string& cluster_extra) {
    Kubeconfig config = parse_kubeconfig(R"(
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1")" +
                                             cluster_extra + R"(}}]
users: [{name: u, user: )" + user + R"(}]
)",
                                         "/k/bad.kubeconfig");
    try {
      Client client(resolve_kubeconfig(config, {}));
      return std::string("no error");
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
  };
  // base64 of "not a cert" and "not a key"
  CHECK(messages_for("{client-certificate-data: bm90IGEgY2VydA==, client-key-data: bm90IGEga2V5}", "")
            .starts_with("/k/bad.kubeconfig: users[u].user.client-certificate-data: is not a PEM certificate"));
  CHECK(messages_for("{token: t}", ", certificate-authority-data: bm90IGEgY2VydA==")
            .starts_with("/k/bad.kubeconfig: clusters[c].cluster.certificate-authority-data: the CA bundle is not "
                         "valid PEM"));
  const std::string cert = kb::base::base64_encode(file("client.crt"));
  CHECK(messages_for("{client-certificate-data: " + cert + ", client-key-data: bm90IGEga2V5}", "")
            .starts_with("/k/bad.kubeconfig: users[u].user.client-key-data: is not a PEM private key"));
}
