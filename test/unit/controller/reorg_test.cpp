// Reorg detection against a fake node (test/unit/controller/support/fake_chain.hpp: a block tree
// answering as bitcoind does), both as Bitcoin Core answers getchaintips (the old branch listed)
// and as a node that lists only the active tip; and getchaintips as Bitcoin SV 1.0.13 answered it
// on this machine after a 2-block reorg.
#include "pkg/controller/reorg.hpp"

#include "test/unit/controller/support/fake_chain.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <algorithm>

using namespace kb::controller;
using kb::testing::FakeChain;
namespace json = boost::json;

namespace {
ChainTip tip_of(const FakeChain& node) { return {node.height(), node.active}; }
}  // namespace

TEST_CASE("a tip that extends the old one is no reorg, for one getblockhash") {
  FakeChain node;
  node.active = node.extend("g", 3, "a");
  auto old_tip = tip_of(node);
  node.active = node.extend(node.active, 2, "a");
  CHECK_FALSE(find_reorg(node, old_tip, tip_of(node), 64));
  CHECK(node.calls == std::vector<std::string>{"getblockhash"});
}

TEST_CASE("a reorg: depth, fork point and message, whether getchaintips lists the old branch or not") {
  for (bool lists : {true, false}) {
    FakeChain node;
    node.list_stale_tips = lists;
    auto base = node.extend("g", 100, "s");
    node.active = node.extend(base, 3, "a");  // the node's tip: 103
    auto old_tip = tip_of(node);
    node.active = node.extend(base, 5, "b");  // a longer branch arrives: 105
    auto reorg = find_reorg(node, old_tip, tip_of(node), 64);
    INFO("getchaintips lists stale tips: " << lists);
    REQUIRE(reorg);
    CHECK(reorg->depth() == 3);
    CHECK(reorg->fork_exact);
    CHECK(reorg->fork_point == ChainTip{100, "s100"});
    CHECK(reorg_message(2, *reorg) == "node 2: reorg of depth 3 from 103/a103 to 105/b105 (fork at 100)");
    // Listed: getchaintips and one getblockhash; not listed: one getblockheader per block walked.
    auto headers = std::ranges::count(node.calls, std::string("getblockheader"));
    CHECK(headers == (lists ? 1 : 4));
  }
}

TEST_CASE("a reorg to a lower or equal tip (invalidateblock, a same-height branch)") {
  FakeChain node;
  auto base = node.extend("g", 10, "s");
  node.active = node.extend(base, 2, "a");
  auto old_tip = tip_of(node);
  node.active = node.extend(base, 1, "b");
  auto reorg = find_reorg(node, old_tip, tip_of(node), 64);
  REQUIRE(reorg);
  CHECK(reorg->depth() == 2);
  CHECK(reorg->fork_point.height == 10);
}

TEST_CASE("a walk deeper than the bound says so instead of inventing a fork point") {
  FakeChain node;
  node.list_stale_tips = false;
  node.active = node.extend("g", 20, "a");
  auto old_tip = tip_of(node);
  node.active = node.extend("g", 25, "b");
  auto reorg = find_reorg(node, old_tip, tip_of(node), 5);
  REQUIRE(reorg);
  CHECK_FALSE(reorg->fork_exact);
  CHECK(reorg->fork_point.height == 15);
  CHECK(reorg_message(0, *reorg) == "node 0: reorg of depth more than 5 from 20/a20 to 25/b25 (fork below 15)");
}

TEST_CASE("a node that does not know its old tip (wiped, replaced) started a new chain: no reorg") {
  FakeChain node;
  node.active = node.extend("g", 4, "n");
  CHECK_FALSE(find_reorg(node, {9, "gone9"}, tip_of(node), 64));
}

TEST_CASE("getchaintips: the fork height from branchlen, as Bitcoin SV 1.0.13 answered after a 2-block reorg") {
  auto answer = json::parse(R"([
    {"height": 20, "hash": "45bd1f6d5d624b1f69ad5415498cb49a6bb307ac613fb5244e819cdc8e722c85", "branchlen": 0, "status": "active"},
    {"height": 18, "hash": "3f01e845e685300bdf35bdf55dfa05cad51fc76c1ab3e07b0d684c69a978f862", "branchlen": 2, "status": "valid-fork"}
  ])");
  ChainTip old_tip{18, "3f01e845e685300bdf35bdf55dfa05cad51fc76c1ab3e07b0d684c69a978f862"};
  CHECK(fork_height_from_chain_tips(answer, old_tip) == 16);
  CHECK_FALSE(
      fork_height_from_chain_tips(answer, {20, "45bd1f6d5d624b1f69ad5415498cb49a6bb307ac613fb5244e819cdc8e722c85"}));
  CHECK_FALSE(fork_height_from_chain_tips(answer, {7, "unknown"}));
  CHECK_FALSE(fork_height_from_chain_tips(
      json::parse(R"([{"hash":"x","height":3,"branchlen":9,"status":"valid-fork"}])"), {3, "x"}));
}
