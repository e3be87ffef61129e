// mine --measure's pure parts: hop counts over the topology (and a partition), arrival windows
// from polls, delays relative to the miner, and the shapes printed. No fakes: plain values.
#include "pkg/cli/propagation.hpp"
#include "pkg/controller/peer_plan.hpp"

#include <doctest/doctest.h>
#include <boost/json.hpp>

#include <sstream>

using namespace kb::cli;
namespace json = boost::json;
using std::chrono::milliseconds;

namespace {
kb::api::NetworkSpec spec_of(int nodes, kb::api::Topology topology) {
  kb::api::NetworkSpec spec;
  spec.nodes = nodes;
  spec.topology = topology;
  return spec;
}
std::vector<std::optional<int>> hops(std::initializer_list<int> values) {
  std::vector<std::optional<int>> out;
  for (int v : values) out.push_back(v < 0 ? std::nullopt : std::optional<int>(v));
  return out;
}
const ProbeClock::time_point t0{};
ProbeClock::time_point at(int ms) { return t0 + milliseconds(ms); }
// The words of the table row whose first cell is `first`.
std::vector<std::string> row_words(const std::string& table, const std::string& first) {
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> out;
    for (std::string word; words >> word;) out.push_back(word);
    if (!out.empty() && out.front() == first) return out;
  }
  return {};
}
}  // namespace

TEST_CASE("hop counts follow the topology's edges") {
  auto ring = spec_of(4, kb::api::Topology::ring);
  CHECK(hop_counts(4, kb::controller::topology_edges(ring), 0) == hops({0, 1, 2, 1}));
  CHECK(hop_counts(4, kb::controller::topology_edges(ring), 2) == hops({2, 1, 0, 1}));
  auto ring7 = spec_of(7, kb::api::Topology::ring);
  CHECK(hop_counts(7, kb::controller::topology_edges(ring7), 0) == hops({0, 1, 2, 3, 3, 2, 1}));
  auto star = spec_of(5, kb::api::Topology::star);
  star.hub = 1;
  CHECK(hop_counts(5, kb::controller::topology_edges(star), 3) == hops({2, 1, 2, 0, 2}));
  auto mesh = spec_of(3, kb::api::Topology::mesh);
  CHECK(hop_counts(3, kb::controller::topology_edges(mesh), 1) == hops({1, 0, 1}));
  // custom edges that leave node 3 alone: it cannot be reached
  CHECK(hop_counts(4, {{0, 1}, {1, 2}}, 0) == hops({0, 1, 2, -1}));
  CHECK(hop_counts(3, {{0, 1}}, 5) == hops({-1, -1, -1}));
}

TEST_CASE("under a partition only edges inside a group carry the block; unlisted nodes are one group") {
  auto edges = kb::controller::topology_edges(spec_of(4, kb::api::Topology::ring));
  CHECK(hop_counts(4, edges, 0, {{0, 1}, {2, 3}}) == hops({0, 1, -1, -1}));
  CHECK(hop_counts(4, edges, 3, {{0, 1}, {2, 3}}) == hops({-1, -1, 1, 0}));
  // {0, 2} listed; 1 and 3 form the rest: ring edges 0-1, 1-2, 2-3, 3-0 all cross groups
  CHECK(hop_counts(4, edges, 1, {{0, 2}}) == hops({-1, 0, -1, -1}));
  auto mesh = kb::controller::topology_edges(spec_of(4, kb::api::Topology::mesh));
  CHECK(hop_counts(4, mesh, 1, {{0, 2}}) == hops({-1, 0, -1, 1}));
}

TEST_CASE("partition groups are read from status.partition, absent means none") {
  auto network = json::parse(R"({"status": {"partition": {"since": "2026-01-01T00:00:00Z",
      "groups": [{"name": "left", "nodes": [0, 1]}, {"name": "rest", "nodes": [2, 3]}]}}})");
  CHECK(partition_groups(network) == std::vector<std::vector<int>>{{0, 1}, {2, 3}});
  CHECK(partition_groups(json::parse(R"({"status": {"readyNodes": 4}})")).empty());
  CHECK(partition_groups(json::parse(R"({"spec": {}})")).empty());
}

TEST_CASE("a poll's tip: the block, the old tip, or undecided until the node is asked") {
  CHECK(classify_tip("new", "old", std::string("new")) == TipVerdict::has_block);
  CHECK(classify_tip("old", "old", std::string("new")) == TipVerdict::old_tip);
  CHECK(classify_tip("later", "old", std::string("new")) == TipVerdict::undecided);  // mined on top
  // before the mining call returned: the old tip still counts as "not yet", anything else waits
  CHECK(classify_tip("old", "old", std::nullopt) == TipVerdict::old_tip);
  CHECK(classify_tip("new", "old", std::nullopt) == TipVerdict::undecided);
  // a node that did not answer before mining ("" as old tip) is decided by the block alone
  CHECK(classify_tip("new", "", std::string("new")) == TipVerdict::has_block);
  CHECK(classify_tip("other", "", std::string("new")) == TipVerdict::undecided);
}

TEST_CASE("an arrival window runs from the last poll that missed the block to the first answer that had it") {
  std::vector<TipPoll> polls{
      {at(0), at(5), false}, {at(20), at(26), false}, {at(40), at(47), true}, {at(60), at(64), true}};
  auto window = arrival_window(polls, at(10));
  REQUIRE(window);
  CHECK(window->after == at(20));
  CHECK(window->by == at(47));
  // only polls before mining: the lower bound is when mining started
  window = arrival_window({{at(0), at(5), false}, {at(40), at(47), true}}, at(10));
  REQUIRE(window);
  CHECK(window->after == at(10));
  // a miss that left after the first sighting (a reorg away and back) does not move the bound
  window = arrival_window({{at(20), at(30), true}, {at(35), at(38), false}}, at(0));
  REQUIRE(window);
  CHECK(window->after == at(0));
  CHECK(window->by == at(30));
  CHECK_FALSE(arrival_window({{at(0), at(5), false}}, at(0)));
}

TEST_CASE("delays are intervals relative to the miner's own window") {
  std::vector<std::optional<ArrivalWindow>> windows{ArrivalWindow{at(10), at(20)}, ArrivalWindow{at(25), at(40)},
                                                    std::nullopt, ArrivalWindow{at(12), at(18)}};
  auto delays = arrival_delays(windows, 0, hops({0, 1, -1, 1}));
  REQUIRE(delays.size() == 4);
  CHECK(delays[0].reached);
  CHECK(delays[0].latest_ms == 0);
  CHECK(delays[1].earliest_ms == doctest::Approx(5));  // 25 - 20
  CHECK(delays[1].latest_ms == doctest::Approx(30));   // 40 - 10
  CHECK(delays[1].delay_ms() == doctest::Approx(17.5));
  CHECK(delays[1].uncertainty_ms() == doctest::Approx(12.5));
  CHECK_FALSE(delays[2].reached);
  CHECK_FALSE(delays[2].hops);
  // windows that overlap the miner's: never a negative delay
  CHECK(delays[3].earliest_ms == 0);
  CHECK(delays[3].latest_ms == doctest::Approx(8));
}

TEST_CASE("median of round trips") {
  CHECK(median_ms({}) == 0);
  CHECK(median_ms({3, 1, 2}) == 2);
  CHECK(median_ms({4, 1, 3, 2}) == doctest::Approx(2.5));
}

TEST_CASE("the report says how it was measured, and unreached nodes say so") {
  PropagationReport report{.network = "ring4",
                           .block_hash = "00ff" + std::string(60, 'a'),
                           .height = 105,
                           .miner = 0,
                           .concurrency = 3,
                           .interval_ms = 20,
                           .median_round_trip_ms = 14.25,
                           .timeout_ms = 30000,
                           .failed_polls = 0,
                           .nodes = {}};
  report.nodes.push_back({.node = 0, .hops = 0, .reached = true, .earliest_ms = 0, .latest_ms = 0});
  report.nodes.push_back({.node = 1, .hops = 1, .reached = true, .earliest_ms = 2, .latest_ms = 30});
  report.nodes.push_back({.node = 2, .hops = std::nullopt, .reached = false});
  auto table = render_propagation_table(report);
  CHECK(table.find("height 105") != std::string::npos);
  CHECK(table.find("getbestblockhash") != std::string::npos);
  CHECK(table.find("median round trip 14.2 ms") != std::string::npos);
  CHECK(row_words(table, "1") == std::vector<std::string>{"1", "1", "16.0", "ms", "14.0", "ms"});
  CHECK(row_words(table, "2") == std::vector<std::string>{"2", "-", "not", "reached", "within", "30.0", "s"});

  auto shape = propagation_json(report);
  CHECK(shape.at("block").at("height").as_int64() == 105);
  CHECK(shape.at("method").at("intervalMicros").as_int64() == 20000);
  const auto& nodes = shape.at("nodes").as_array();
  CHECK(nodes[1].at("delayMicros").as_int64() == 16000);
  CHECK(nodes[1].at("earliestMicros").as_int64() == 2000);
  CHECK(nodes[1].at("latestMicros").as_int64() == 30000);
  CHECK(nodes[2].at("hops").is_null());
  CHECK_FALSE(nodes[2].at("reached").as_bool());
  CHECK_FALSE(nodes[2].as_object().contains("delayMicros"));
}
