// The dashboard's pure parts: who the local server answers (loopback, Host, token, method), what
// it serves, and the picture it builds from a network's status and its nodes' getpeerinfo. No
// fakes: plain values, and the assets as embedded in this build.
#include "pkg/base/embedded_assets.hpp"
#include "pkg/cli/command.hpp"
#include "pkg/cli/dashboard_access.hpp"
#include "pkg/cli/network_picture.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

using namespace kb::cli;
namespace json = boost::json;
using Kind = DashboardRoute::Kind;

namespace {
const std::string kToken = "0123456789abcdef0123456789abcdef";
DashboardRoute get(const std::string& target, const std::string& host = "127.0.0.1:8001") {
  return route_dashboard_request("GET", target, host, 8001, kToken);
}
}  // namespace

TEST_CASE("the dashboard listens on loopback addresses only") {
  for (const char* address : {"127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"}) {
    CAPTURE(address);
    CHECK(loopback_problem(address).empty());
  }
  for (const char* address : {"0.0.0.0", "10.0.0.1", "::", "127.0.0", "127.0.0.1.example.com", "127.0.0.1:80", ""}) {
    CAPTURE(address);
    auto problem = loopback_problem(address);
    CHECK(problem.find("--address") != std::string::npos);
    CHECK(problem.find("loopback") != std::string::npos);
  }
}

TEST_CASE("the Host header must name this server (no DNS rebinding)") {
  CHECK(host_allowed("127.0.0.1:8001", 8001));
  CHECK(host_allowed("localhost:8001", 8001));
  CHECK(host_allowed("[::1]:8001", 8001));
  CHECK_FALSE(host_allowed("127.0.0.1:8002", 8001));
  CHECK_FALSE(host_allowed("rebind.example:8001", 8001));
  CHECK_FALSE(host_allowed("127.0.0.1", 8001));
  CHECK_FALSE(host_allowed("x127.0.0.1:8001", 8001));
  CHECK_FALSE(host_allowed("", 8001));
}

TEST_CASE("requests are routed only under the token, for GET, from this server's Host") {
  auto index = get("/" + kToken + "/");
  CHECK(index.kind == Kind::asset);
  CHECK(index.asset == "web/dashboard/index.html");
  CHECK(get("/" + kToken + "/app.js").asset == "web/dashboard/app.js");
  CHECK(get("/" + kToken + "/style.css").asset == "web/dashboard/style.css");
  auto state = get("/" + kToken + "/api/state?network=demo");
  CHECK(state.kind == Kind::state);
  CHECK(state.network == "demo");
  CHECK(get("/" + kToken + "/api/state").network.empty());
  CHECK(get("/" + kToken + "/api/networks").kind == Kind::networks);

  struct Refusal {
    std::string method;
    std::string target;
    std::string host;
    int status;
  };
  const std::string wrong_token(kToken.size(), '0');
  for (const auto& r : std::vector<Refusal>{
           {"GET", "/" + kToken + "/", "rebind.example:8001", 403},
           {"GET", "/" + kToken + "/api/state", "127.0.0.1:9999", 403},
           {"POST", "/" + kToken + "/api/state", "127.0.0.1:8001", 405},
           {"GET", "/", "127.0.0.1:8001", 404},
           {"GET", "/api/state", "127.0.0.1:8001", 404},
           {"GET", "/" + wrong_token + "/api/state", "127.0.0.1:8001", 404},
           {"GET", "/" + kToken.substr(0, 31) + "/", "127.0.0.1:8001", 404},
           {"GET", "/" + kToken, "127.0.0.1:8001", 404},
           {"GET", "/" + kToken + "/../../etc/passwd", "127.0.0.1:8001", 404},
           {"GET", "/" + kToken + "/manifests/crd.yaml", "127.0.0.1:8001", 404},
           {"GET", "/" + kToken + "/api/state?network=Bad_Name", "127.0.0.1:8001", 400},
           {"GET", "/" + kToken + "/api/state?network=a%2Fb", "127.0.0.1:8001", 400},
       }) {
    CAPTURE(r.method);
    CAPTURE(r.target);
    CAPTURE(r.host);
    auto route = route_dashboard_request(r.method, r.target, r.host, 8001, kToken);
    CHECK(route.kind == Kind::refused);
    CHECK(route.status == r.status);
    CHECK_FALSE(route.reason.empty());
  }
  // No token configured: nothing is served.
  CHECK(route_dashboard_request("GET", "//", "127.0.0.1:8001", 8001, "").kind == Kind::refused);
}

TEST_CASE("every file the router serves is embedded in the binary, with its content type") {
  for (const char* name : {"index.html", "app.js", "style.css"}) {
    auto route = get("/" + kToken + "/" + name);
    REQUIRE(route.kind == Kind::asset);
    auto content = kb::assets::find(route.asset);
    REQUIRE(content);
    CHECK_FALSE(content->empty());
  }
  CHECK(asset_content_type("web/dashboard/index.html") == "text/html; charset=utf-8");
  CHECK(asset_content_type("web/dashboard/app.js") == "text/javascript; charset=utf-8");
  CHECK(asset_content_type("web/dashboard/style.css") == "text/css; charset=utf-8");
  // The page names its own files relatively, so it works under the token path and offline.
  auto index = std::string(*kb::assets::find("web/dashboard/index.html"));
  CHECK(index.find("src=\"app.js\"") != std::string::npos);
  CHECK(index.find("href=\"style.css\"") != std::string::npos);
  CHECK(index.find("//") == std::string::npos);
}

namespace {
const json::value kNetwork = json::parse(R"({
  "metadata": {"name": "demo", "namespace": "lab"},
  "spec": {"nodes": 3, "topology": "ring"},
  "status": {"readyNodes": 3, "blockHeight": 7, "nodes": [
    {"ordinal": 0, "ip": "10.244.0.10", "ready": true, "blocks": 7, "bestBlockHash": "aa", "peers": 2},
    {"ordinal": 1, "ip": "10.244.0.11", "ready": true, "blocks": 7, "bestBlockHash": "aa", "peers": 2},
    {"ordinal": 2, "ip": "fd00::12", "ready": false, "reason": "WarmingUp"}]}})");
}  // namespace

TEST_CASE("live connections come from getpeerinfo, mapped to ordinals by pod IP") {
  auto ordinals = ordinals_by_ip(kNetwork);
  CHECK(ordinals == std::map<std::string, int>{{"10.244.0.10", 0}, {"10.244.0.11", 1}, {"fd00::12", 2}});
  std::map<int, json::value> peers{
      // node 0 dialled 1 (port 18444) and has an inbound one from 2 (an ephemeral port)
      {0, json::parse(R"([{"addr": "10.244.0.11:18444"}, {"addr": "[fd00::12]:51234"},
                          {"addr": "192.0.2.9:18444"}, {"addr": "10.244.0.10:18444"}, {"id": 7}])")},
      // node 1 sees the same connection to 0 from its side
      {1, json::parse(R"([{"addr": "10.244.0.10:40110"}])")},
      {2, json::parse(R"({"not": "an array"})")},
  };
  auto edges = live_edges(ordinals, peers);
  CHECK(edges == std::vector<kb::api::Edge>{{0, 1}, {0, 2}});
  CHECK(live_edges(ordinals, {}).empty());
}

TEST_CASE("the picture carries status, forks and partition field by field, bounded") {
  auto network = kNetwork;
  auto& status = network.as_object()["status"].as_object();
  status["forks"] = json::parse(R"([
    {"height": 9, "hash": "bb", "nodes": [0], "forkPoint": {"height": 6, "hash": "cc"}, "depth": 3, "extra": "dropped"},
    {"height": 8, "hash": "dd", "nodes": [1], "forkPoint": {"height": 6, "hash": "cc"}, "depth": 2}])");
  status["partition"] = json::parse(R"({"since": "2026-12-06T09:00:00Z", "groups": [{"name": "left", "nodes": [0]}]})");
  std::string long_message(kMaxMessageBytes - 1, 'x');
  long_message += "é and more";  // a two-byte character across the limit
  status["conditions"] = json::array{
      json::object{{"type", "Forked"}, {"status", "True"}, {"reason", "TipsDiffer"}, {"message", long_message}}};

  PictureInputs inputs{.network = network,
                       .topology_edges = {{0, 1}, {0, 2}, {1, 2}},
                       .live_edges = {{0, 1}},
                       .peers_known = true,
                       .rpc_problem = "",
                       .events = {json::parse(R"({"type": "Normal", "reason": "Reorg", "message": "node 1: reorg",
                                                  "lastTimestamp": "2026-12-06T09:01:00Z", "count": 2})")},
                       .observed_at = "2026-12-06T09:02:00Z"};
  auto picture = network_picture(inputs);
  CHECK(picture.at("name") == "demo");
  CHECK(picture.at("namespace") == "lab");
  CHECK(picture.at("nodes") == 3);
  CHECK(picture.at("topologyEdges") == json::parse("[[0,1],[0,2],[1,2]]"));
  CHECK(picture.at("liveEdges") == json::parse("[[0,1]]"));
  CHECK(picture.at("rpcProblem").is_null());
  const auto& nodes = picture.at("nodeStatus").as_array();
  REQUIRE(nodes.size() == 3);
  CHECK(nodes[2].at("ready") == false);
  CHECK(nodes[2].at("reason") == "WarmingUp");
  CHECK(nodes[2].at("blocks").is_null());
  CHECK_FALSE(nodes[0].as_object().contains("ip"));  // the page does not need pod IPs
  const auto& forks = picture.at("forks").as_array();
  REQUIRE(forks.size() == 2);
  CHECK(forks[0].at("forkPoint").at("height") == 6);
  CHECK(forks[0].at("depth") == 3);
  CHECK_FALSE(forks[0].as_object().contains("extra"));
  CHECK(picture.at("partition").at("source") == "status");
  CHECK(picture.at("partition").at("groups").at(0).at("name") == "left");
  auto message = std::string(picture.at("conditions").at(0).at("message").as_string());
  CHECK(message.size() <= kMaxMessageBytes + std::string("…").size());
  CHECK(message.find("\xC3") == std::string::npos);  // the cut fell before the é, not inside it
  CHECK(picture.at("events").at(0).at("time") == "2026-12-06T09:01:00Z");
  CHECK(picture.at("events").at(0).at("count") == 2);

  // Asked for but not yet in force: spec.partitions; no RPC: liveEdges null and the reason.
  auto asked = kNetwork;
  asked.as_object()["spec"].as_object()["partitions"] = json::parse(R"([{"name": "a", "nodes": [0, 1]}])");
  PictureInputs without_rpc{.network = asked, .rpc_problem = "you may not read Secret demo-rpc"};
  auto second = network_picture(without_rpc);
  CHECK(second.at("partition").at("source") == "spec");
  CHECK(second.at("liveEdges").is_null());
  CHECK(second.at("rpcProblem") == "you may not read Secret demo-rpc");
  CHECK(second.at("forks").is_null());
  CHECK(network_picture(PictureInputs{.network = kNetwork}).at("partition").is_null());
}

TEST_CASE("usage errors of dashboard and mine --measure exit 2 before any cluster is contacted") {
  struct Case {
    std::vector<std::string> args;
    std::string mentions;
  };
  for (const auto& c : std::vector<Case>{
           {{"dashboard", "demo", "--address", "0.0.0.0"}, "--address 0.0.0.0 is not a loopback address"},
           {{"dashboard", "demo", "--address", "192.168.1.5"}, "--address"},
           {{"dashboard", "demo", "--refresh", "10ms"}, "--refresh"},
           {{"dashboard", "demo", "--concurrency", "9"}, "--concurrency"},
           {{"dashboard", "demo", "--port", "70000"}, "--port"},
           {{"dashboard", "Not_A_Network"}, "NETWORK"},
           {{"mine", "demo", "3", "--measure"}, "--measure mines exactly one block"},
           {{"mine", "demo", "--measure", "--timeout", "soon"}, "--timeout"},
           {{"mine", "demo", "--measure", "--poll-interval", "0s"}, "--poll-interval"},
           {{"mine", "demo", "--measure", "--concurrency", "0"}, "--concurrency"},
           {{"mine", "demo", "-o", "json"}, "--measure"},
       }) {
    auto result = kb::test::run_cli(c.args);
    std::string line;
    for (const auto& a : c.args) line += a + " ";
    INFO(line, " -> ", result.err);
    CHECK(result.code == kExitUsage);
    CHECK(result.err.find(c.mentions) != std::string::npos);
  }
}
