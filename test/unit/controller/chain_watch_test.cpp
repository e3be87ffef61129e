// ChainWatch over passes, with fake nodes (support/fake_chain.hpp) and a real MetricsRegistry:
// one Reorg per reorg (not again on the next pass, found after a restart from the status as last
// written), Forked only after the grace period, and the per-node series' lifecycle.
#include "pkg/controller/chain_watch.hpp"

#include "test/unit/controller/support/fake_chain.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>
#include <sstream>

using namespace kb::controller;
using kb::testing::FakeChain;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

struct Network {
  std::ostringstream log_text;
  kb::observe::Logger log{log_text, kb::observe::LogLevel::debug, kb::observe::LogFormat::json};
  kb::observe::MetricsRegistry metrics;
  ChainWatch watch{metrics, log,
                   ChainWatchSettings{.fork_grace = 15s, .detail_interval = 15s, .max_details_per_pass = 2}};
  kb::api::BitcoinNetwork network;
  std::vector<FakeChain> nodes;
  ChainState state;
  ChainWatch::Clock::time_point now{};

  explicit Network(int count) : nodes(static_cast<std::size_t>(count)) {
    network.name = "net";
    network.namespace_name = "ns";
    network.spec.nodes = count;
  }
  std::map<int, NodeObservation> observations(std::set<int> silent = {}) const {
    std::map<int, NodeObservation> out;
    for (int i = 0; i < static_cast<int>(nodes.size()); ++i) {
      if (silent.contains(i)) continue;
      NodeObservation o;
      o.answered = true;
      o.blocks = nodes[static_cast<std::size_t>(i)].height();
      o.headers = o.blocks;
      o.best_block_hash = nodes[static_cast<std::size_t>(i)].active;
      o.verification_progress = 1;
      out[i] = o;
    }
    return out;
  }
  ChainLook pass(std::chrono::milliseconds later, std::set<int> silent = {}) {
    now += later;
    return watch.look(
        state, network, observations(silent),
        [&](int ordinal) -> kb::bitcoin::RpcCaller* {
          if (silent.contains(ordinal)) return nullptr;
          return &nodes[static_cast<std::size_t>(ordinal)];
        },
        now);
  }
  // Every node shares the blocks of all: the fake nodes of one network have one block tree.
  void share(const FakeChain& from) {
    for (auto& node : nodes) {
      for (const auto& [hash, block] : from.blocks) node.blocks.insert({hash, block});
    }
  }
  std::string exposed() const { return metrics.expose(); }
};

bool has_series(const std::string& text, const std::string& prefix) { return text.find(prefix) != std::string::npos; }

}  // namespace

TEST_CASE(
    "two sides mine apart: Forked after the grace period with fork point and depth; one Reorg each after the heal") {
  Network net(4);
  FakeChain tree;
  auto base = tree.extend("g", 100, "s");
  auto left = tree.extend(base, 5, "l");
  auto right = tree.extend(base, 3, "r");
  net.share(tree);
  for (auto& node : net.nodes) node.active = base;
  auto first = net.pass(0ms);
  CHECK_FALSE(first.report.forked);
  CHECK(first.report.reason == "OneTip");
  CHECK(first.reorgs.empty());

  net.nodes[0].active = net.nodes[1].active = left;
  net.nodes[2].active = net.nodes[3].active = right;
  auto split = net.pass(5s);
  CHECK(split.reorgs.empty());
  CHECK_FALSE(split.report.forked);
  CHECK(split.report.reason == "Propagating");
  REQUIRE(split.recheck_in);
  CHECK(*split.recheck_in > 14s);
  CHECK(*split.recheck_in <= 15100ms);
  REQUIRE(split.report.forks.size() == 2);
  CHECK(split.report.forks[0].at("nodes") == json::array{0, 1});
  CHECK(split.report.forks[0].at("forkPoint").at("height") == 100);
  CHECK(split.report.forks[0].at("depth") == 5);
  CHECK(split.report.forks[1].at("depth") == 3);

  // The fork point is cached per tip pair: the next pass asks no getblockhash for it.
  for (auto& node : net.nodes) node.calls.clear();
  auto later = net.pass(16s);
  CHECK(later.report.forked);
  CHECK(later.report.reason == "TipsDiffer");
  for (const auto& node : net.nodes) CHECK(std::ranges::count(node.calls, std::string("getblockhash")) == 0);

  // Heal: the shorter side follows the longer chain.
  net.nodes[2].active = net.nodes[3].active = left;
  auto healed = net.pass(2s);
  REQUIRE(healed.reorgs.size() == 2);
  CHECK(healed.reorgs[0].first == 2);
  CHECK(healed.reorgs[1].first == 3);
  CHECK(healed.reorgs[0].second.depth() == 3);
  CHECK(reorg_message(2, healed.reorgs[0].second) ==
        "node 2: reorg of depth 3 from 103/r103 to 105/l105 (fork at 100)");
  CHECK_FALSE(healed.report.forked);
  CHECK(healed.report.reason == "OneTip");
  CHECK_FALSE(healed.recheck_in);
  // The two nodes made the same move: only the first was asked about it.
  CHECK(std::ranges::count(net.nodes[2].calls, std::string("getblockheader")) == 1);
  CHECK(std::ranges::count(net.nodes[3].calls, std::string("getblockheader")) == 0);

  CHECK(net.pass(30s).reorgs.empty());  // not again at the next pass
}

TEST_CASE("a restart: the last tips come from the status; a reorg while away is found once, none is invented") {
  Network net(2);
  FakeChain tree;
  auto base = tree.extend("g", 10, "s");
  auto old_branch = tree.extend(base, 2, "a");
  auto new_branch = tree.extend(base, 4, "b");
  net.share(tree);
  net.network.status = json::parse(R"({"nodes":[{"ordinal":0,"blocks":12,"bestBlockHash":"a12"},
                                                {"ordinal":1,"blocks":14,"bestBlockHash":"b14"}]})");
  CHECK(tips_in_status(net.network.status).at(0) == ChainTip{12, "a12"});
  net.nodes[0].active = new_branch;
  net.nodes[1].active = new_branch;
  auto look = net.pass(0ms);
  REQUIRE(look.reorgs.size() == 1);
  CHECK(look.reorgs[0].first == 0);
  CHECK(look.reorgs[0].second.depth() == 2);
  CHECK(net.pass(1s).reorgs.empty());
  (void)old_branch;

  // A node replaced with an empty volume: a new chain, not a reorg.
  net.nodes[1] = FakeChain{};
  net.nodes[1].active = net.nodes[1].extend("g", 3, "n");
  CHECK(net.pass(1s).reorgs.empty());
}

TEST_CASE(
    "node series: published per answering node, details at most once per interval, gone with the node or network") {
  Network net(2);
  for (auto& node : net.nodes) node.active = node.extend("g", 7, "s");
  net.pass(0ms);
  auto text = net.exposed();
  CHECK(has_series(text, R"(bitcoin_node_blocks{namespace="ns",network="net",node="0"} 7)"));
  CHECK(has_series(text, R"(bitcoin_node_headers{namespace="ns",network="net",node="1"} 7)"));
  CHECK(has_series(text, R"(bitcoin_node_verification_progress{namespace="ns",network="net",node="1"} 1)"));
  CHECK(has_series(text, R"(bitcoin_node_peers{direction="in",namespace="ns",network="net",node="0"} 1)"));
  CHECK(has_series(text, R"(bitcoin_node_peers{direction="out",namespace="ns",network="net",node="0"} 2)"));
  CHECK(has_series(text, R"(bitcoin_node_mempool_transactions{namespace="ns",network="net",node="0"} 3)"));
  CHECK(has_series(text, R"(bitcoin_node_mempool_bytes{namespace="ns",network="net",node="0"} 750)"));
  CHECK(has_series(text, R"(bitcoin_node_chain_tips{namespace="ns",network="net",node="0"} 1)"));

  auto detail_calls = [&](int ordinal) {
    return std::ranges::count(net.nodes[static_cast<std::size_t>(ordinal)].calls, std::string("getpeerinfo"));
  };
  net.pass(5s);
  net.pass(5s);
  CHECK(detail_calls(0) == 1);
  net.pass(6s);
  CHECK(detail_calls(0) == 2);

  // Scraping does not call a node.
  auto before = net.nodes[0].calls.size() + net.nodes[1].calls.size();
  for (int i = 0; i < 50; ++i) (void)net.exposed();
  CHECK(net.nodes[0].calls.size() + net.nodes[1].calls.size() == before);

  net.pass(1s, {1});
  text = net.exposed();
  CHECK(has_series(text, R"(node="0")"));
  CHECK_FALSE(has_series(text, R"(node="1")"));

  net.watch.forget("ns", "net");
  CHECK_FALSE(has_series(net.exposed(), R"(network="net")"));
}

TEST_CASE("details: at most max_details_per_pass nodes per pass, those sampled longest ago first") {
  Network net(5);
  for (auto& node : net.nodes) node.active = node.extend("g", 3, "s");
  auto sampled = [&] {
    std::vector<long> counts;
    for (const auto& node : net.nodes) counts.push_back(std::ranges::count(node.calls, std::string("getmempoolinfo")));
    return counts;
  };
  net.pass(0ms);
  CHECK(sampled() == std::vector<long>{1, 1, 0, 0, 0});
  net.pass(1s);
  CHECK(sampled() == std::vector<long>{1, 1, 1, 1, 0});
  net.pass(1s);
  CHECK(sampled() == std::vector<long>{1, 1, 1, 1, 1});
  net.pass(1s);  // nobody due yet: 0 and 1 were sampled 3 s ago
  CHECK(sampled() == std::vector<long>{1, 1, 1, 1, 1});
  net.pass(13s);  // 0 and 1 due first (16 s), then 2 and 3 (15 s)
  CHECK(sampled() == std::vector<long>{2, 2, 1, 1, 1});
  // A node not sampled yet has its cheap series already, but no detail series.
  Network fresh(3);
  for (auto& node : fresh.nodes) node.active = node.extend("g", 3, "s");
  fresh.pass(0ms);
  auto text = fresh.exposed();
  CHECK(has_series(text, R"(bitcoin_node_blocks{namespace="ns",network="net",node="2"} 3)"));
  CHECK_FALSE(has_series(text, R"(bitcoin_node_mempool_bytes{namespace="ns",network="net",node="2"})"));
}

TEST_CASE("block arrival: the delay from the first node seen at a tip to each other node seen at it") {
  Network net(3);
  FakeChain tree;
  auto base = tree.extend("g", 5, "s");
  auto next = tree.extend(base, 1, "s");
  net.share(tree);
  for (auto& node : net.nodes) node.active = base;
  net.pass(0ms);
  net.nodes[0].active = next;
  net.pass(1s);
  net.nodes[1].active = net.nodes[2].active = next;
  net.pass(3s);
  auto text = net.exposed();
  CHECK(has_series(text, R"(bitcoin_network_block_arrival_delay_seconds_count{namespace="ns",network="net"} 2)"));
  CHECK(has_series(text, R"(bitcoin_network_block_arrival_delay_seconds_sum{namespace="ns",network="net"} 6)"));
  CHECK(
      has_series(text, R"(bitcoin_network_block_arrival_delay_seconds_bucket{namespace="ns",network="net",le="2"} 0)"));
  CHECK(
      has_series(text, R"(bitcoin_network_block_arrival_delay_seconds_bucket{namespace="ns",network="net",le="5"} 2)"));
}

TEST_CASE("prune_first_seen keeps current tips, and of the others the recent ones, at most the newest N") {
  std::map<std::string, ChainState::Clock::time_point> seen;
  ChainState::Clock::time_point t{};
  for (int i = 0; i < 10; ++i) seen["h" + std::to_string(i)] = t + std::chrono::seconds(i);
  prune_first_seen(seen, {"h0"}, t + 12s, 8s, 3);
  CHECK(seen.size() == 4);
  CHECK(seen.contains("h0"));  // a node is still at it: its first sighting stays
  CHECK(seen.contains("h9"));
  CHECK(seen.contains("h7"));
  CHECK_FALSE(seen.contains("h6"));
  CHECK_FALSE(seen.contains("h1"));
}
