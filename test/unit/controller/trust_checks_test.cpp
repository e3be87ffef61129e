// Pure tests of what a BitcoinNetwork may make the controller do: Secret opt-in, ownership,
// the image allow-list, and which pods the gateway may route to.
#include "pkg/api/naming.hpp"
#include "pkg/base/base64.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/controller/cached_node_directory.hpp"
#include "pkg/controller/desired_objects.hpp"
#include "pkg/controller/image_policy.hpp"
#include "pkg/controller/ownership.hpp"
#include "pkg/controller/secret_opt_in.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;
using namespace kb::api;
namespace json = boost::json;

namespace {
json::value secret_with_annotation(std::string_view value) {
  return json::object{{"metadata", {{"name", "s"}, {"annotations", {{kAllowedNetworksAnnotation, value}}}}}};
}

json::value owned_by(std::string_view kind, std::string_view name, std::string_view uid, bool controller = true) {
  return json::object{
      {"metadata",
       {{"name", name},
        {"uid", std::string(name) + "-uid"},
        {"ownerReferences",
         json::array{
             {{"apiVersion", "x/v1"}, {"kind", kind}, {"name", "owner"}, {"uid", uid}, {"controller", controller}}}}}}};
}
}  // namespace

TEST_CASE("a Secret opts in by listing the network, or *, in its annotation") {
  CHECK(secret_allows_network(secret_with_annotation("net-a"), "net-a"));
  CHECK(secret_allows_network(secret_with_annotation("net-a, net-b"), "net-b"));
  CHECK(secret_allows_network(secret_with_annotation(" net-b ,net-a"), "net-b"));
  CHECK(secret_allows_network(secret_with_annotation("*"), "anything"));
  CHECK(secret_allows_network(secret_with_annotation("x, *"), "anything"));
  CHECK_FALSE(secret_allows_network(secret_with_annotation("net-a"), "net"));  // whole names only
  CHECK_FALSE(secret_allows_network(secret_with_annotation("net-ab"), "net-a"));
  CHECK_FALSE(secret_allows_network(secret_with_annotation(""), "net-a"));
  CHECK_FALSE(secret_allows_network(secret_with_annotation(","), "net-a"));
  CHECK_FALSE(secret_allows_network(secret_with_annotation("net-a"), ""));
  CHECK_FALSE(secret_allows_network(json::object{{"metadata", {{"name", "s"}}}}, "net-a"));
  CHECK_FALSE(
      secret_allows_network(json::object{{"metadata", {{"annotations", {{kAllowedNetworksAnnotation, 1}}}}}}, "net-a"));
  CHECK_FALSE(secret_allows_network(json::value(nullptr), "net-a"));
}

TEST_CASE("ownership: only objects controlled by this network's UID may be written") {
  auto mine = owned_by("BitcoinNetwork", "n-svc", "net-uid");
  auto other_network = owned_by("BitcoinNetwork", "n-sts", "old-uid");
  auto not_controller = owned_by("BitcoinNetwork", "n-rpc", "net-uid", false);
  json::value bare = json::object{{"metadata", {{"name", "n-rpcauth"}}}};
  CHECK(is_controlled_by(mine, "net-uid"));
  CHECK_FALSE(is_controlled_by(mine, ""));
  CHECK_FALSE(is_controlled_by(not_controller, "net-uid"));
  CHECK(controller_uid(other_network) == "old-uid");
  CHECK(controller_uid(bare).empty());

  CHECK_FALSE(
      find_ownership_conflict("ns", "net-uid", {{"Service", "n-svc", &mine}, {"StatefulSet", "n-sts", nullptr}}));
  auto conflict = find_ownership_conflict(
      "ns", "net-uid",
      {{"Service", "n-svc", &mine}, {"StatefulSet", "n-sts", &other_network}, {"Secret", "n-rpcauth", &bare}});
  REQUIRE(conflict);
  CHECK(conflict->kind == "StatefulSet");
  CHECK(conflict->name == "n-sts");
  CHECK(conflict->message.find("StatefulSet ns/n-sts") != std::string::npos);
  CHECK(conflict->message.find("old-uid") != std::string::npos);
  auto unowned = find_ownership_conflict("ns", "net-uid", {{"Secret", "n-rpcauth", &bare}});
  REQUIRE(unowned);
  CHECK(unowned->message.find("Secret ns/n-rpcauth already exists and has no controlling owner") != std::string::npos);
  auto weak = find_ownership_conflict("ns", "net-uid", {{"Secret", "n-rpc", &not_controller}});
  CHECK(weak);  // an ownerReference without controller: true does not make it ours
}

TEST_CASE("image allow-list: repository, repository:tag, repository@digest; textual, no normalisation") {
  ImagePolicy any;
  CHECK(image_allowed(any, "evil/miner:latest"));
  ImagePolicy policy{{"bitcoin/bitcoin", "registry.local:5000/btc/core"}};
  CHECK(image_allowed(policy, "bitcoin/bitcoin"));
  CHECK(image_allowed(policy, "bitcoin/bitcoin:28.1"));
  CHECK(image_allowed(policy, "bitcoin/bitcoin@sha256:0123abcd"));
  CHECK(image_allowed(policy, "bitcoin/bitcoin:28.1@sha256:0123abcd"));
  CHECK(image_allowed(policy, "registry.local:5000/btc/core:v1"));
  CHECK_FALSE(image_allowed(policy, "bitcoin/bitcoin-evil:1"));
  CHECK_FALSE(image_allowed(policy, "bitcoin/bitcoinx"));
  CHECK_FALSE(image_allowed(policy, "bitcoin/bitcoin/sub:1"));
  CHECK_FALSE(image_allowed(policy, "bitcoin/bitcoin:5000/evil"));  // not a tag: a tag has no '/'
  CHECK_FALSE(image_allowed(policy, "docker.io/bitcoin/bitcoin:28.1"));
  CHECK_FALSE(image_allowed(policy, "evil/bitcoin/bitcoin:1"));
  CHECK_FALSE(image_allowed(ImagePolicy{{""}}, "anything"));
  auto message = image_not_allowed_message(policy, "evil:1");
  CHECK(message.find("evil:1") != std::string::npos);
  CHECK(message.find("bitcoin/bitcoin, registry.local:5000/btc/core") != std::string::npos);
}

TEST_CASE("the gateway routes only to pods of the StatefulSet this network controls") {
  auto network =
      parse_network(kb::base::parse_yaml("metadata: {name: net1, namespace: ns, uid: net-uid}\nspec: {nodes: 3}\n"));
  auto sts = owned_by("BitcoinNetwork", "net1-sts", "net-uid");
  auto foreign_sts = owned_by("BitcoinNetwork", "net1-sts", "someone-else");
  auto pod = [](std::string_view name, std::string_view owner_uid) {
    auto p = owned_by("StatefulSet", name, owner_uid);
    p.as_object()["status"] =
        json::object{{"podIP", "10.0.0.1"}, {"conditions", json::array{{{"type", "Ready"}, {"status", "True"}}}}};
    return std::make_shared<const json::value>(std::move(p));
  };
  std::vector<kb::kube::ObjectPtr> pods{pod("net1-sts-1", "net1-sts-uid"), pod("net1-sts-0", "net1-sts-uid"),
                                        pod("net1-sts-2", "other-sts-uid"), pod("net1-sts-7", "net1-sts-uid")};
  auto nodes = owned_nodes(network, &sts, pods);
  REQUIRE(nodes.size() == 2);  // net1-sts-2 belongs to another StatefulSet; 7 is beyond spec.nodes
  CHECK(nodes[0].ordinal == 0);
  CHECK(nodes[1].ordinal == 1);
  CHECK(nodes[0].ready);
  CHECK(owned_nodes(network, &foreign_sts, pods).empty());
  CHECK(owned_nodes(network, nullptr, pods).empty());
}

TEST_CASE(
    "the per-network NetworkPolicy: P2P from the network's pods, RPC from the controller's pods in its namespace") {
  auto network =
      parse_network(kb::base::parse_yaml("metadata: {name: net1, namespace: ns, uid: u}\nspec: {nodes: 2}\n"));
  auto policy = desired_network_policy(network, "bitcoin-controller");
  const auto& ingress = policy.at("spec").at("ingress").as_array();
  REQUIRE(ingress.size() == 2);
  CHECK(ingress[0].at("ports").at(0).at("port") == kP2pPort);
  CHECK(ingress[0].at("from").at(0) ==
        json::parse(R"({"podSelector":{"matchLabels":{")" + std::string(kNetworkLabel) + R"(":"net1"}}})"));
  CHECK(ingress[1].at("ports").at(0).at("port") == kRpcPort);
  CHECK(ingress[1].at("from").at(0) ==
        json::parse(R"({"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"bitcoin-controller"}},)"
                    R"("podSelector":{"matchLabels":{"app.kubernetes.io/name":"bitcoin-controller"}}})"));
  // Outside a cluster the controller has no namespace of its own to name.
  auto anywhere = desired_network_policy(network, "");
  CHECK(anywhere.at("spec").at("ingress").at(1).at("from").at(0).at("namespaceSelector") == json::object{});
}
