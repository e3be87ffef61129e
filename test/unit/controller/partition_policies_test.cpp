// The network-layer cut of a partition: the policies per group, `<name>-peers` without its P2P rule
// while partitioned, and which group policies a heal or a change of groups deletes. Pure; the live
// policies are JSON objects as the informer cache holds them (no API server).
#include "pkg/controller/partition_policies.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/controller/desired_objects.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <set>

using namespace kb::controller;
using namespace kb::api;
namespace json = boost::json;

namespace {

BitcoinNetwork four_nodes() {
  return parse_network(kb::base::parse_yaml("metadata: {name: net, namespace: ns, uid: u1}\nspec: {nodes: 4}\n"));
}

std::set<int> p2p_ports(const json::value& policy) {
  std::set<int> out;
  for (const auto& rule : policy.at("spec").at("ingress").as_array()) {
    for (const auto& port : rule.at("ports").as_array()) out.insert(static_cast<int>(port.at("port").as_int64()));
  }
  return out;
}

// The pod names a selector's pod-name expression admits.
std::set<std::string> pod_names(const json::value& selector) {
  std::set<std::string> out;
  for (const auto& e : selector.at("matchExpressions").as_array()) {
    CHECK(e.at("key") == "statefulset.kubernetes.io/pod-name");
    CHECK(e.at("operator") == "In");
    for (const auto& v : e.at("values").as_array()) out.insert(std::string(v.as_string()));
  }
  return out;
}

}  // namespace

TEST_CASE("<name>-peers admits P2P only while no partition is in force; RPC from the controller always") {
  auto network = four_nodes();
  CHECK(p2p_ports(desired_network_policy(network, "bitcoin-controller")) == std::set<int>{kP2pPort, kRpcPort});
  auto partitioned = desired_network_policy(network, "bitcoin-controller", true);
  CHECK(p2p_ports(partitioned) == std::set<int>{kRpcPort});
  CHECK(partitioned.at("metadata").at("name") == "net-peers");
}

TEST_CASE("one policy per group: its pods reachable on P2P only from the same pods") {
  auto network = four_nodes();
  std::vector<PartitionGroup> groups = {{"left", {0, 1}}, {"right", {2}}, {"rest", {3}}};
  auto policies = desired_partition_policies(network, groups);
  REQUIRE(policies.size() == 3);
  CHECK(policies[0].name == "net-peers-left");
  CHECK(policies[2].name == "net-peers-rest");
  for (std::size_t i = 0; i < policies.size(); ++i) {
    const auto& policy = policies[i].object;
    CHECK(policy.at("metadata").at("name").as_string() == policies[i].name);
    CHECK(policy.at("metadata").at("namespace") == "ns");
    CHECK(policy.at("metadata").at("labels").at(kPartitionGroupLabel) == groups[i].name.c_str());
    CHECK(policy.at("metadata").at("labels").at(kNetworkLabel) == "net");
    CHECK(policy.at("metadata").at("ownerReferences").at(0).at("uid") == "u1");
    const auto& spec = policy.at("spec");
    CHECK(spec.at("policyTypes") == json::array{"Ingress"});
    std::set<std::string> expected;
    for (int ordinal : groups[i].nodes) expected.insert(pod_name("net", ordinal));
    CHECK(pod_names(spec.at("podSelector")) == expected);
    CHECK(spec.at("podSelector").at("matchLabels").at(kNetworkLabel) == "net");
    const auto& rules = spec.at("ingress").as_array();
    REQUIRE(rules.size() == 1);
    CHECK(rules[0].at("ports") == json::parse(R"([{"protocol": "TCP", "port": 18444}])"));
    // The only source is the group's own pods.
    REQUIRE(rules[0].at("from").as_array().size() == 1);
    CHECK(rules[0].at("from").at(0).at("podSelector") == spec.at("podSelector"));
  }
  CHECK(pod_names(policies[0].object.at("spec").at("podSelector")) == std::set<std::string>{"net-sts-0", "net-sts-1"});
}

TEST_CASE("no partition, or a group without nodes: no policy for it") {
  auto network = four_nodes();
  CHECK(desired_partition_policies(network, {}).empty());
  auto policies = desired_partition_policies(network, {{"left", {0, 1}}, {"empty", {}}});
  REQUIRE(policies.size() == 1);
  CHECK(policies[0].name == "net-peers-left");
}

TEST_CASE("stale group policies: this network's group policies that are no longer wanted, nothing else") {
  auto network = four_nodes();
  auto left = desired_partition_policies(network, {{"left", {0, 1}}});
  auto live_of = [&](std::string name, std::string ns, std::string uid, bool group_label) {
    json::object labels{{std::string(kNetworkLabel), "net"}};
    if (group_label) labels[kPartitionGroupLabel] = "g";
    json::object owner{{"uid", uid}, {"controller", true}};
    json::object metadata{{"name", name},
                          {"namespace", ns},
                          {"labels", std::move(labels)},
                          {"ownerReferences", json::array{std::move(owner)}}};
    return json::value(json::object{{"metadata", std::move(metadata)}});
  };
  auto kept = live_of("net-peers-left", "ns", "u1", true);
  auto old_group = live_of("net-peers-right", "ns", "u1", true);
  auto main_policy = live_of("net-peers", "ns", "u1", false);            // never a group policy
  auto other_network = live_of("other-peers-right", "ns", "u2", true);   // another network's
  auto other_namespace = live_of("net-peers-right", "ns2", "u1", true);  // not this namespace
  std::vector<const json::value*> live{&kept, &old_group, &main_policy, &other_network, &other_namespace};
  CHECK(stale_partition_policies(network, live, left) == std::vector<std::string>{"net-peers-right"});
  // Healed: every group policy of the network goes, and still nothing else.
  CHECK(stale_partition_policies(network, live, {}) == std::vector<std::string>{"net-peers-left", "net-peers-right"});
  // After the deletes the cache holds no group policy: nothing left to do.
  CHECK(stale_partition_policies(network, {&main_policy, &other_network}, {}).empty());
}
