// The names of a network's objects are a contract with users (kubectl get sts net-sts) and with
// the original design: they must not change by accident.
#include "pkg/api/naming.hpp"
#include "pkg/api/topology.hpp"

#include <doctest/doctest.h>

using namespace kb::api;

TEST_CASE("a network's objects are named after it") {
  CHECK(service_name("net") == "net-svc");
  CHECK(statefulset_name("net") == "net-sts");
  CHECK(generated_secret_name("net") == "net-rpc");
  CHECK(rpcauth_secret_name("net") == "net-rpcauth");
  CHECK(network_policy_name("net") == "net-peers");
  CHECK(pod_name("net", 2) == "net-sts-2");
  CHECK(dns_name("net", 2) == "net-sts-2.net-svc");
  CHECK(label_selector("net") == "bitcoin.kubectl-bitcoin.dev/network=net");
}

TEST_CASE("a pod's ordinal is read back only from this network's pods") {
  CHECK(ordinal_of_pod("net", "net-sts-0") == 0);
  CHECK(ordinal_of_pod("net", "net-sts-12") == 12);
  CHECK(ordinal_of_pod("net", "net-sts-012") == -1);
  CHECK(ordinal_of_pod("net", "other-sts-1") == -1);
  CHECK(ordinal_of_pod("net", "net-sts-") == -1);
  CHECK(ordinal_of_pod("net", "net-sts-1x") == -1);
}

TEST_CASE("every topology reads back from its name") {
  for (auto topology : kTopologies) CHECK(parse_topology(to_string(topology)) == topology);
  CHECK_FALSE(parse_topology("full"));
  CHECK_FALSE(parse_topology(""));
}
