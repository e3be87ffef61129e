// EventRecorder against a FAKE API server (support/fake_api_server.hpp).
#include "pkg/kube/event_recorder.hpp"
#include "support/fake_api_server.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>

using namespace kb::kube;
using namespace kb::kube::testing;
namespace json = boost::json;

namespace {
const json::value kNetwork = json::parse(R"({"apiVersion":"bitcoin.example.io/v1alpha1","kind":"BitcoinNetwork",
  "metadata":{"name":"net","namespace":"ns","uid":"uid-1","resourceVersion":"7"}})");
}

TEST_CASE("events.k8s.io/v1: the first event is created, repeats bump the series") {
  FakeApiServer server([](const FakeRequest& r) {
    if (r.method == "GET") return FakeResponse::json(200, R"({"kind":"APIResourceList"})");
    return FakeResponse::json(r.method == "POST" ? 201 : 200, r.body.empty() ? "{}" : r.body);
  });
  ClusterConfig config;
  config.server = server.url();
  config.qps = 0;
  {
    EventRecorder recorder(Client(config), {.controller = "bitcoin.example.io/controller", .instance = "pod-0"});
    recorder.record(kNetwork, EventKind::Normal, "Reconciled", "Reconcile", "3 nodes ready");
    recorder.record(kNetwork, EventKind::Normal, "Reconciled", "Reconcile", "3 nodes ready");
    recorder.record(kNetwork, EventKind::Warning, "RpcFailed", "AddNode", "node-1 did not answer");
    recorder.flush();
    CHECK(recorder.posted() == 3);
    CHECK(recorder.aggregated() == 1);
  }
  auto requests = server.requests();
  REQUIRE(requests.size() == 4);
  CHECK(requests[0].path == "/apis/events.k8s.io/v1");
  CHECK(requests[1].method == "POST");
  CHECK(requests[1].path == "/apis/events.k8s.io/v1/namespaces/ns/events");
  json::value created = json::parse(requests[1].body);
  CHECK(created.at("regarding").at("uid") == "uid-1");
  CHECK(created.at("reportingController") == "bitcoin.example.io/controller");
  CHECK(created.at("type") == "Normal");
  CHECK(requests[2].method == "PATCH");
  CHECK(requests[2].path ==
        "/apis/events.k8s.io/v1/namespaces/ns/events/" + std::string(created.at("metadata").at("name").as_string()));
  CHECK(json::parse(requests[2].body).at("series").at("count") == 2);
  CHECK(requests[3].method == "POST");
}

TEST_CASE("falls back to core/v1 Events when events.k8s.io is not served") {
  FakeApiServer server([](const FakeRequest& r) {
    if (r.method == "GET") return FakeResponse::json(404, "404 page not found");
    return FakeResponse::json(201, r.body.empty() ? "{}" : r.body);
  });
  ClusterConfig config;
  config.server = server.url();
  config.qps = 0;
  EventRecorder recorder(Client(config), {.controller = "c", .instance = "i"});
  recorder.record(kNetwork, EventKind::Warning, "Failed", "Reconcile", "boom");
  recorder.record(kNetwork, EventKind::Warning, "Failed", "Reconcile", "boom");
  recorder.flush();
  auto requests = server.requests();
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].path == "/api/v1/namespaces/ns/events");
  json::value created = json::parse(requests[1].body);
  CHECK(created.at("involvedObject").at("name") == "net");
  CHECK(created.at("count") == 1);
  CHECK(json::parse(requests[2].body).at("count") == 2);
}
