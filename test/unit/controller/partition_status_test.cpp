// decide_partition: whether a partition is in force, from the spec, the last status and the clock;
// and the status fields it gives. Pure; no fakes (the clock is a parameter).
#include "pkg/controller/partition_status.hpp"

#include "pkg/base/time_format.hpp"
#include "pkg/controller/network_status.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;
using namespace kb::api;
namespace json = boost::json;
using std::chrono::seconds;

namespace {

const auto t0 = *kb::base::parse_time("2026-12-06T09:00:00Z");

BitcoinNetwork network_with(std::vector<PartitionGroup> partitions, int duration = 0, std::int64_t generation = 2) {
  BitcoinNetwork network;
  network.name = "net";
  network.generation = generation;
  network.spec.nodes = 4;
  network.spec.topology = Topology::ring;
  network.spec.partitions = std::move(partitions);
  network.spec.partition_duration_seconds = duration;
  return network;
}

// The status a reconcile at `now` writes for `network` (no pods: only the partition matters here).
json::value status_at(const BitcoinNetwork& network, std::chrono::system_clock::time_point now) {
  auto state = decide_partition(network, now);
  return compute_status(
      StatusInputs{&network, {}, {}, std::nullopt, kb::base::format_time(now), {}, std::nullopt, &state});
}

const json::value& partitioned_condition(const json::value& status) {
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type") == "Partitioned") return c;
  }
  FAIL("no Partitioned condition");
  return status;
}

}  // namespace

TEST_CASE("no spec.partitions: not partitioned, no status.partition") {
  auto network = network_with({});
  auto state = decide_partition(network, t0);
  CHECK_FALSE(state.in_force());
  CHECK(state.reason == kNotPartitioned);
  auto status = status_at(network, t0);
  CHECK_FALSE(status.as_object().contains("partition"));
  CHECK(partitioned_condition(status).at("status") == "False");
}

TEST_CASE("the message names the layers in force: RPC only without NetworkPolicies, both with them") {
  auto network = network_with({{"left", {0, 1}}, {"right", {2, 3}}});
  auto rpc_only = decide_partition(network, t0, false).message;
  CHECK(rpc_only.find("setban") != std::string::npos);
  CHECK(rpc_only.find("not at the network layer") != std::string::npos);
  auto both = decide_partition(network, t0, true).message;
  CHECK(both.find("setban") != std::string::npos);
  CHECK(both.find("and at the network layer") != std::string::npos);
  CHECK(both.find("not at the network layer") == std::string::npos);
  // Healed: nothing in force, so no layer is named.
  CHECK(decide_partition(network_with({}), t0, true).message.find("layer") == std::string::npos);
}

TEST_CASE("in force: the groups with the rest, since now, kept while the groups stay the same") {
  auto network = network_with({{"left", {0}}, {"right", {2, 3}}});
  auto status = status_at(network, t0);
  CHECK(status.at("partition") == json::parse(R"({"groups": [{"name": "left", "nodes": [0]},
      {"name": "right", "nodes": [2, 3]}, {"name": "rest", "nodes": [1]}], "since": "2026-12-06T09:00:00Z"})"));
  const auto& condition = partitioned_condition(status);
  CHECK(condition.at("status") == "True");
  CHECK(condition.at("reason").as_string() == kPartitionInForce);
  // The message says how the cut is made (the user's way to tell the mode).
  CHECK(condition.at("message").as_string().find("left [0], right [2 3], rest [1]") != json::string::npos);
  CHECK(condition.at("message").as_string().find("setban") != json::string::npos);

  // A minute later, same groups: the same status (nothing to write).
  network.status = status;
  CHECK(status_at(network, t0 + seconds(60)) == status);

  // Other groups (node 1 moves left): a new since.
  network.spec.partitions[0].nodes = {0, 1};
  network.generation = 3;
  auto moved = status_at(network, t0 + seconds(90));
  CHECK(moved.at("partition").at("since") == "2026-12-06T09:01:30Z");
  CHECK(moved.at("partition").at("groups").as_array().size() == 2);
}

TEST_CASE("a duration: until in status, then healed (Expired) and kept healed until the spec changes") {
  auto network = network_with({{"left", {0, 1}}, {"right", {2, 3}}}, 120);
  auto status = status_at(network, t0);
  CHECK(status.at("partition").at("until") == "2026-12-06T09:02:00Z");
  network.status = status;
  CHECK(decide_partition(network, t0 + seconds(119)).in_force());
  CHECK(decide_partition(network, t0 + seconds(119)).until == t0 + seconds(120));

  auto expired = status_at(network, t0 + seconds(120));
  CHECK_FALSE(expired.as_object().contains("partition"));
  const auto& condition = partitioned_condition(expired);
  CHECK(condition.at("status") == "False");
  CHECK(condition.at("reason").as_string() == kPartitionExpired);
  CHECK(condition.at("message") ==
        "the partition left [0 1], right [2 3] from 2026-12-06T09:00:00Z ended at 2026-12-06T09:02:00Z "
        "(spec.partitionDurationSeconds 120); the network is healed and spec.partitions stays until it is changed");

  // Later passes at the same generation stay healed, and write nothing new.
  network.status = expired;
  CHECK_FALSE(decide_partition(network, t0 + seconds(600)).in_force());
  CHECK(status_at(network, t0 + seconds(600)) == expired);

  // A spec change (a new generation): in force again from now.
  network.generation = 3;
  auto again = status_at(network, t0 + seconds(700));
  CHECK(again.at("partition").at("since") == "2026-12-06T09:11:40Z");
  CHECK(partitioned_condition(again).at("status") == "True");
}

TEST_CASE("partitions the API server would refuse now: not applied, the condition names the field") {
  auto network = network_with({{"left", {0, 1}}, {"right", {1, 2}}});
  auto state = decide_partition(network, t0);
  CHECK_FALSE(state.in_force());
  CHECK(state.reason == kPartitionsInvalid);
  CHECK(state.message ==
        "not partitioned: spec.partitions[1].nodes[0]: node 1 is already in group \"left\"; a node may be in at "
        "most one group");
}

TEST_CASE("groups_in_status reads back what partition_status wrote") {
  auto network = network_with({{"left", {0, 1}}});
  auto state = decide_partition(network, t0);
  json::object status{{"partition", partition_status(state)}};
  CHECK(groups_in_status(status) == state.groups);
  CHECK(groups_in_status(json::object{}).empty());
  CHECK(partition_status(decide_partition(network_with({}), t0)).is_null());
}
