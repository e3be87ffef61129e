// Pure tests of the builders and of parse_network; no fakes needed.
#include "pkg/controller/desired_objects.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/base/yaml_parse.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>

using namespace kb::controller;
using namespace kb::api;
namespace json = boost::json;

namespace {
BitcoinNetwork sample(std::string_view extra_spec = "") {
  std::string yaml =
      "apiVersion: bitcoin.kubectl-bitcoin.dev/v1\nkind: BitcoinNetwork\n"
      "metadata: {name: mynet, namespace: ns1, uid: u-1, generation: 3}\n"
      "spec:\n  nodes: 3\n" +
      std::string(extra_spec);
  return parse_network(kb::base::parse_yaml(yaml));
}
}  // namespace

TEST_CASE("parse_network applies defaults and reads every field") {
  auto net = sample();
  CHECK(net.spec.nodes == 3);
  CHECK(net.spec.image == std::string(kDefaultImage));
  CHECK(net.spec.topology == Topology::mesh);
  CHECK_FALSE(net.spec.mining.enabled);
  auto full = sample(
      "  topology: custom\n  customEdges: [{from: 0, to: 2}]\n  mining: {enabled: true, intervalSeconds: 5}\n"
      "  args: [-txindex=1]\n  storage: {size: 1Gi}\n");
  CHECK(full.spec.topology == Topology::custom);
  CHECK(full.spec.custom_edges == std::vector<Edge>{{0, 2}});
  CHECK(full.spec.mining.enabled);
  CHECK(full.spec.mining.interval_seconds == 5);
  CHECK(full.spec.args == std::vector<std::string>{"-txindex=1"});
  CHECK(full.spec.storage.size == "1Gi");
}

TEST_CASE("parse_network names the bad field") {
  CHECK_THROWS_WITH_AS(sample("  topology: hexagon\n"), doctest::Contains("spec.topology"), NetworkSpecError);
  CHECK_THROWS_WITH_AS(parse_network(kb::base::parse_yaml("metadata: {name: a}\nspec: {nodes: x}\n")),
                       doctest::Contains("spec.nodes"), NetworkSpecError);
}

TEST_CASE("StatefulSet: original shape, owner reference, restricted security, no credential in the spec") {
  auto net = sample("  args: [-txindex=1]\n");
  auto sts = desired_statefulset(net, "abc123");
  const auto& spec = sts.at("spec").as_object();
  CHECK(sts.at("metadata").at("name") == "mynet-sts");
  CHECK(spec.at("replicas") == 3);
  CHECK(spec.at("serviceName") == "mynet-svc");
  auto owner = sts.at("metadata").at("ownerReferences").at(0);
  CHECK(owner.at("uid") == "u-1");
  CHECK(owner.at("controller") == true);
  const auto& pod = spec.at("template").at("spec").as_object();
  CHECK(pod.at("securityContext").at("runAsNonRoot") == true);
  const auto& container = pod.at("containers").at(0).as_object();
  CHECK(container.at("securityContext").at("allowPrivilegeEscalation") == false);
  auto args = json::serialize(container.at("args"));
  CHECK(args.find("-rpcauth=$(BC_RPC_AUTH)") != std::string::npos);
  CHECK(args.find("rpcpassword") == std::string::npos);
  CHECK(container.at("args").as_array().back() == "-txindex=1");
  CHECK(pod.at("volumes").at(0).at("emptyDir").is_object());
}

TEST_CASE("storage size gives a volume claim template that is deleted with the network") {
  auto sts = desired_statefulset(sample("  storage: {size: 2Gi}\n"), "h");
  CHECK(sts.at("spec").at("volumeClaimTemplates").at(0).at("spec").at("resources").at("requests").at("storage") ==
        "2Gi");
  CHECK(sts.at("spec").at("persistentVolumeClaimRetentionPolicy").at("whenDeleted") == "Delete");
  CHECK_FALSE(sts.at("spec").at("template").at("spec").as_object().contains("volumes"));
}

TEST_CASE("Service is headless and selects only this network's pods") {
  auto svc = desired_service(sample());
  CHECK(svc.at("spec").at("clusterIP") == "None");
  CHECK(svc.at("spec").at("selector") == json::value{{std::string(kNetworkLabel), "mynet"}});
}

TEST_CASE("naming: ordinals parse back only for this network's pods") {
  CHECK(ordinal_of_pod("net", "net-sts-12") == 12);
  CHECK(ordinal_of_pod("net", "net-sts-") == -1);
  CHECK(ordinal_of_pod("net", "net-sts-01") == -1);
  CHECK(ordinal_of_pod("net", "net2-sts-1") == -1);
  CHECK(ordinal_of_pod("net", "other") == -1);
  CHECK(dns_name("net", 1) == "net-sts-1.net-svc");
}

TEST_CASE("StatefulSet runs bitcoind itself, not the image's entrypoint, with its data on the volume") {
  auto sts = desired_statefulset(sample("  args: [-txindex=1]\n"), "h");
  const auto& pod = sts.at("spec").at("template").at("spec").as_object();
  const auto& container = pod.at("containers").at(0).as_object();
  CHECK(container.at("command") == json::array{"bitcoind"});
  // The log's tail becomes the termination message of a failed bitcoind (how DiskFull is found).
  CHECK(container.at("terminationMessagePolicy") == "FallbackToLogsOnError");
  std::vector<std::string> args;
  for (const auto& a : container.at("args").as_array()) args.emplace_back(a.as_string());
  auto has = [&](std::string_view arg) { return std::find(args.begin(), args.end(), arg) != args.end(); };
  for (auto expected : {"-regtest",
                        "-server=1",
                        "-listen=1",
                        "-printtoconsole=1",
                        "-datadir=/data",
                        "-rpcport=18443",
                        "-port=18444",
                        "-listenonion=0",
                        "-dnsseed=0",
                        "-fixedseeds=0",
                        "-natpmp=0",
                        "-dbcache=4",
                        "-maxmempool=5",
                        "-maxsigcachesize=4",
                        "-par=1",
                        "-rpcthreads=2",
                        "-rpcworkqueue=16",
                        "-maxconnections=120",
                        "-rpcallowip=0.0.0.0/0",
                        "-rpcallowip=::/0"}) {
    CHECK_MESSAGE(has(expected), expected);
  }
  // "::" before 0.0.0.0: a dual-stack "::" takes IPv4 too, and a later 0.0.0.0 failure is harmless.
  auto v6 = std::find(args.begin(), args.end(), "-rpcbind=::");
  auto v4 = std::find(args.begin(), args.end(), "-rpcbind=0.0.0.0");
  REQUIRE(v6 != args.end());
  REQUIRE(v4 != args.end());
  CHECK(v6 < v4);
  // One -datadir only, and the user's arguments come last.
  CHECK(std::count_if(args.begin(), args.end(), [](const std::string& a) { return a.starts_with("-datadir"); }) == 1);
  CHECK(args.back() == "-txindex=1");

  CHECK(container.at("volumeMounts") == json::parse(R"([{"name": "data", "mountPath": "/data"}])"));
  bool home = false;
  for (const auto& e : container.at("env").as_array()) {
    if (e.at("name") == "HOME") home = e.at("value") == "/data";
  }
  CHECK(home);

  // Pod Security "restricted", as the image's own bitcoin user (101).
  const auto& pod_security = pod.at("securityContext");
  CHECK(pod_security.at("runAsNonRoot") == true);
  CHECK(pod_security.at("runAsUser") == 101);
  CHECK(pod_security.at("runAsGroup") == 101);
  CHECK(pod_security.at("fsGroup") == 101);
  CHECK(pod_security.at("seccompProfile").at("type") == "RuntimeDefault");
  const auto& security = container.at("securityContext");
  CHECK(security.at("readOnlyRootFilesystem") == true);
  CHECK(security.at("allowPrivilegeEscalation") == false);
  CHECK(security.at("runAsNonRoot") == true);
  CHECK(security.at("capabilities").at("drop") == json::array{"ALL"});
  CHECK(security.at("seccompProfile").at("type") == "RuntimeDefault");
  CHECK(pod.at("volumes").at(0).at("name") == "data");

  // With spec.storage the same mount is backed by the claim template "data".
  auto claimed = desired_statefulset(sample("  storage: {size: 1Gi}\n"), "h");
  CHECK(claimed.at("spec").at("volumeClaimTemplates").at(0).at("metadata").at("name") == "data");
  CHECK(claimed.at("spec").at("template").at("spec").at("containers").at(0).at("volumeMounts") ==
        container.at("volumeMounts"));
}
