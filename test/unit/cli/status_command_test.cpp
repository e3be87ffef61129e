// The status views are pure functions of the objects read from the cluster.
#include "pkg/cli/status_command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

namespace json = boost::json;
using namespace std::chrono_literals;
using kb::test::run_cli;

namespace {
const auto kNow = std::chrono::sys_days{std::chrono::year{2024} / 1 / 2} + 3h;

json::value node(int ordinal, bool ready, int blocks, const std::string& hash, int peers) {
  return json::object{{"ordinal", ordinal},
                      {"nodeName", "node-a"},
                      {"ip", "10.0.0." + std::to_string(10 + ordinal)},
                      {"dnsName", "demo-sts-" + std::to_string(ordinal) + ".demo-svc"},
                      {"ready", ready},
                      {"blocks", blocks},
                      {"bestBlockHash", hash},
                      {"peers", peers},
                      {"version", "/Satoshi:28.1.0/"}};
}

json::value network(json::array nodes, bool ready = true) {
  return json::object{
      {"apiVersion", "bitcoin.kubectl-bitcoin.dev/v1"},
      {"kind", "BitcoinNetwork"},
      {"metadata", {{"name", "demo"}, {"namespace", "lab"}, {"creationTimestamp", "2024-01-02T02:55:00Z"}}},
      {"spec", {{"nodes", 3}, {"topology", "ring"}, {"mining", {{"enabled", true}, {"intervalSeconds", 10}}}}},
      {"status",
       {{"readyNodes", 2},
        {"nodes", std::move(nodes)},
        {"conditions", json::array{{{"type", "Ready"},
                                    {"status", ready ? "True" : "False"},
                                    {"reason", ready ? "AllNodesReady" : "NodesNotReady"},
                                    {"message", ready ? "3/3 nodes ready" : "2/3 nodes ready"},
                                    {"lastTransitionTime", "2024-01-02T02:59:00Z"}}}}}}};
}
}  // namespace

TEST_CASE("summary: heights as a range, sync when every ready node has the same tip, minimum peers") {
  auto in_sync = kb::cli::summarize_network(
      network({node(0, true, 120, "aa", 2), node(1, true, 120, "aa", 2), node(2, false, 0, "", 0)}), kNow);
  CHECK(in_sync.name == "demo");
  CHECK(in_sync.namespace_name == "lab");
  CHECK(in_sync.ready == 2);
  CHECK(in_sync.desired == 3);
  CHECK(in_sync.height == "120");
  CHECK(in_sync.sync == "yes");
  CHECK(in_sync.peers == "2");
  CHECK(in_sync.age == "5m");
  CHECK(in_sync.is_ready);
  CHECK(in_sync.mining == "10s@node0");

  auto apart =
      kb::cli::summarize_network(network({node(0, true, 118, "aa", 1), node(1, true, 120, "bb", 2)}, false), kNow);
  CHECK(apart.height == "118-120");
  CHECK(apart.sync == "no");
  CHECK(apart.peers == "1");
  CHECK_FALSE(apart.is_ready);
  CHECK(apart.ready_reason == "NodesNotReady");

  auto empty = kb::cli::summarize_network(network({}), kNow);
  CHECK(empty.height == "-");
  CHECK(empty.sync == "-");
  CHECK(empty.peers == "-");

  json::value no_status = json::object{{"metadata", {{"name", "new"}}}, {"spec", {{"nodes", 1}}}};
  auto pending = kb::cli::summarize_network(no_status, kNow);
  CHECK_FALSE(pending.is_ready);
  CHECK(pending.ready_reason == "Pending");
  CHECK(pending.age == "<unknown>");
}

TEST_CASE("network table: NAMESPACE only across namespaces, wide adds columns") {
  auto summary = kb::cli::summarize_network(network({node(0, true, 120, "aa", 2)}), kNow);
  auto table = kb::cli::render_network_table({summary}, false, false);
  CHECK(table ==
        "NAME   READY   HEIGHT   SYNC   PEERS   AGE\n"
        "demo   2/3     120      yes    2       5m\n");
  auto all = kb::cli::render_network_table({summary}, true, false);
  CHECK(all.starts_with("NAMESPACE   NAME   READY"));
  CHECK(all.find("\nlab         demo   2/3") != std::string::npos);
  auto wide = kb::cli::render_network_table({summary}, false, true);
  CHECK(wide.find("STATUS          TOPOLOGY   MINING      IMAGE") != std::string::npos);
  CHECK(wide.find("AllNodesReady   ring       10s@node0   bitcoin/bitcoin:29.3") != std::string::npos);
}

TEST_CASE("network detail: one row per node (missing ones too), conditions and events") {
  auto object = network({node(0, true, 120, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", 2),
                         node(1, true, 120, "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206", 2)});
  json::array events{json::object{{"type", "Normal"},
                                  {"reason", "Scaled"},
                                  {"message", "StatefulSet scaled to 3"},
                                  {"count", 2},
                                  {"source", {{"component", "kubectl-bitcoin"}}},
                                  {"lastTimestamp", "2024-01-02T02:58:00Z"}}};
  auto text = kb::cli::render_network_detail(object, {events.begin(), events.end()}, kNow, false);
  INFO(text);
  CHECK(text.starts_with("Name:       demo\nNamespace:  lab\nReady:      2/3 nodes\n"));
  CHECK(text.find("Height:     120 (all ready nodes on the same tip)") != std::string::npos);
  CHECK(text.find("Mining:     every 10s on node 0") != std::string::npos);
  CHECK(text.find("ORDINAL   POD          IP          READY   BLOCKS   BEST-HASH          PEERS   VERSION\n") !=
        std::string::npos);
  CHECK(text.find("0         demo-sts-0   10.0.0.10   yes     120      0f9188f13cb7b2c7   2       /Satoshi:28.1.0/") !=
        std::string::npos);
  CHECK(text.find("2         demo-sts-2   -           no      -") != std::string::npos);
  CHECK(text.find("Ready   True     AllNodesReady   60s   3/3 nodes ready") != std::string::npos);
  CHECK(text.find("2m          Normal   Scaled   kubectl-bitcoin   StatefulSet scaled to 3 (x2)") != std::string::npos);

  auto wide = kb::cli::render_network_detail(object, {}, kNow, true);
  CHECK(wide.find("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206") != std::string::npos);
  CHECK(wide.find("NODE     DNS") != std::string::npos);
  CHECK(wide.find("Events:\n  <none>") != std::string::npos);
}

TEST_CASE("controller line: found, not ready, or not installed") {
  json::value deployment = json::parse(R"({"metadata": {"name": "bitcoin-controller", "namespace": "kb-system"},
      "spec": {"replicas": 1, "template": {"spec": {"containers": [{"image": "ghcr.io/x/kubectl-bitcoin:0.1.0"}]}}},
      "status": {"readyReplicas": 1}})");
  CHECK(kb::cli::render_controller_line({deployment}, "pod-abc") ==
        "Controller: bitcoin-controller in namespace kb-system, 1/1 ready, version 0.1.0, leader pod-abc");
  deployment.as_object()["status"] = json::object{};
  CHECK(kb::cli::render_controller_line({deployment}, "").find("0/1 ready, version 0.1.0 (NOT READY") !=
        std::string::npos);
  CHECK(kb::cli::render_controller_line({}, "").find("not installed") != std::string::npos);
  CHECK(kb::cli::render_controller_line({}, "").find("kubectl bitcoin install") != std::string::npos);
}

TEST_CASE("image tags") {
  CHECK(kb::cli::image_tag("kubectl-bitcoin:0.1.0") == "0.1.0");
  CHECK(kb::cli::image_tag("localhost:5000/kubectl-bitcoin") == "latest");
  CHECK(kb::cli::image_tag("localhost:5000/kubectl-bitcoin:dev") == "dev");
  CHECK(kb::cli::image_tag("x@sha256:0123456789abcdef0123") == "0123456789ab");
}

TEST_CASE("network names and the sentences for unknown networks") {
  CHECK(kb::cli::network_name_problem("demo").empty());
  CHECK(kb::cli::network_name_problem("net-1").empty());
  CHECK_FALSE(kb::cli::network_name_problem("Demo").empty());
  CHECK_FALSE(kb::cli::network_name_problem("-demo").empty());
  CHECK_FALSE(kb::cli::network_name_problem("de_mo").empty());
  CHECK(kb::cli::network_name_problem(std::string(48, 'a'), true).empty());
  CHECK_FALSE(kb::cli::network_name_problem(std::string(49, 'a'), true).empty());
  CHECK(kb::cli::network_name_problem(std::string(60, 'a')).empty());  // made elsewhere: can be looked up
  CHECK(kb::cli::network_name_problem("a.b").empty());
  CHECK_FALSE(kb::cli::network_name_problem("a.b", true).empty());
  CHECK(kb::cli::unknown_network_message("x", "lab", {"a", "b"}) ==
        "network \"x\" not found in namespace \"lab\"; networks there: a, b (or pick another namespace with -n)");
  CHECK(kb::cli::unknown_network_message("x", "lab", {}).find("there are no networks in that namespace") !=
        std::string::npos);
  CHECK(kb::cli::crd_missing_message().find("run kubectl bitcoin install") != std::string::npos);
}

TEST_CASE("status usage errors exit 2 and name the flag") {
  auto bad_output = run_cli({"status", "-o", "xml"});
  CHECK(bad_output.code == 2);
  CHECK(bad_output.err.find("--output") != std::string::npos);

  auto by_name_everywhere = run_cli({"status", "demo", "-A"});
  CHECK(by_name_everywhere.code == 2);
  CHECK(by_name_everywhere.err.find("across all namespaces") != std::string::npos);

  auto bad_name = run_cli({"status", "Demo"});
  CHECK(bad_name.code == 2);
  CHECK(bad_name.err.find("NETWORK \"Demo\"") != std::string::npos);

  auto check_and_watch = run_cli({"status", "demo", "--check", "-w"});
  CHECK(check_and_watch.code == 2);
  CHECK(check_and_watch.err.find("--check") != std::string::npos);

  auto bad_interval = run_cli({"status", "-w", "--interval", "soon"});
  CHECK(bad_interval.code == 2);
  CHECK(bad_interval.err.find("--interval") != std::string::npos);

  auto help = run_cli({"status", "--help"});
  CHECK(help.code == 0);
  CHECK(help.out.find("Examples:") != std::string::npos);
  CHECK(help.out.find("--check") != std::string::npos);
}
