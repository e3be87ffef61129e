// The fork picture's pure parts: grouping by tip, the fork-point search planner (against chains
// given as one hash per height, no node), status.forks and the Forked condition.
#include "pkg/controller/fork_picture.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <cmath>

using namespace kb::controller;
namespace json = boost::json;

namespace {

NodeObservation at(std::int64_t height, std::string hash) {
  NodeObservation o;
  o.answered = true;
  o.blocks = height;
  o.best_block_hash = std::move(hash);
  return o;
}

// A chain as its block hashes by height: shared below `fork`, then named after `branch`.
std::vector<std::string> chain(std::int64_t fork, std::int64_t tip, const std::string& branch) {
  std::vector<std::string> hashes;
  for (std::int64_t h = 0; h <= tip; ++h)
    hashes.push_back(h <= fork ? "s" + std::to_string(h) : branch + std::to_string(h));
  return hashes;
}

struct SearchResult {
  std::optional<ChainTip> fork;
  int rounds = 0;
  int calls = 0;
};

SearchResult run_search(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  ForkPointSearch search({static_cast<std::int64_t>(a.size()) - 1, a.back()},
                         {static_cast<std::int64_t>(b.size()) - 1, b.back()});
  SearchResult result;
  while (auto height = search.next_height()) {
    REQUIRE(*height >= 0);
    REQUIRE(*height < static_cast<std::int64_t>(std::min(a.size(), b.size())));
    ++result.rounds;
    auto known_a = search.known_hash(ForkPointSearch::Side::a, *height);
    auto known_b = search.known_hash(ForkPointSearch::Side::b, *height);
    result.calls += !known_a + !known_b;
    search.record(*height, known_a ? *known_a : a[*height], known_b ? *known_b : b[*height]);
    REQUIRE(result.rounds < 100);
  }
  result.fork = search.fork_point();
  return result;
}

}  // namespace

TEST_CASE("group_by_tip: answering nodes by tip, most blocks first, then the lowest ordinal") {
  std::map<int, NodeObservation> observations{{0, at(5, "x")}, {1, at(7, "y")}, {2, at(5, "x")},
                                              {3, at(5, "z")}, {4, {}},         {5, at(7, "y")}};
  auto groups = group_by_tip(observations);
  REQUIRE(groups.size() == 3);
  CHECK(groups[0].tip == ChainTip{7, "y"});
  CHECK(groups[0].nodes == std::vector<int>{1, 5});
  CHECK(groups[1].tip == ChainTip{5, "x"});
  CHECK(groups[1].nodes == std::vector<int>{0, 2});
  CHECK(groups[2].nodes == std::vector<int>{3});
  CHECK(group_by_tip({}).empty());
}

TEST_CASE("fork-point search: the right block for every fork and tip height, within 1 + ceil(log2(h+1)) rounds") {
  for (std::int64_t fork = 0; fork <= 40; ++fork) {
    for (std::int64_t tip_a = fork; tip_a <= 45; ++tip_a) {
      for (std::int64_t tip_b : {fork, fork + 1, fork + 3, std::int64_t{45}}) {
        if (tip_b < fork || (tip_a == fork && tip_b == fork)) continue;
        auto a = chain(fork, tip_a, "a");
        auto b = chain(fork, tip_b, "b");
        auto result = run_search(a, b);
        INFO("fork " << fork << " tips " << tip_a << " " << tip_b);
        REQUIRE(result.fork);
        CHECK(*result.fork == ChainTip{fork, "s" + std::to_string(fork)});
        auto lower = std::min(tip_a, tip_b);
        CHECK(result.rounds <= 1 + static_cast<int>(std::ceil(std::log2(static_cast<double>(lower + 1)))));
        CHECK(result.calls <= 2 * result.rounds);
      }
    }
  }
}

TEST_CASE("fork-point search: a group that only lags costs one call") {
  auto result = run_search(chain(10, 14, "a"), chain(10, 10, "b"));
  CHECK(result.rounds == 1);
  CHECK(result.calls == 1);
  CHECK(*result.fork == ChainTip{10, "s10"});
}

TEST_CASE("fork-point search: chains with different genesis blocks share nothing") {
  std::vector<std::string> a{"ga", "a1", "a2"};
  std::vector<std::string> b{"gb", "b1", "b2", "b3"};
  auto result = run_search(a, b);
  CHECK_FALSE(result.fork);
}

TEST_CASE("fork-point search: a failed answer (empty hash) counts as a difference, never as agreement") {
  ForkPointSearch search({5, "a5"}, {5, "b5"});
  while (auto height = search.next_height()) search.record(*height, "", "");
  CHECK_FALSE(search.fork_point());
}

TEST_CASE("fork_status and fork_report: groups, the lowest fork point with the others, depth, grace") {
  std::vector<TipGroup> groups{{{105, "t105"}, {0, 1}}, {{103, "t103"}, {2}}, {{102, "u102"}, {3}}};
  ForkPoints points{{tip_pair(groups[0].tip, groups[1].tip), {100, "f100"}},
                    {tip_pair(groups[0].tip, groups[2].tip), {98, "f98"}},
                    {tip_pair(groups[1].tip, groups[2].tip), {98, "f98"}}};
  auto forks = fork_status(groups, points);
  REQUIRE(forks.size() == 3);
  CHECK(forks[0].at("forkPoint") == json::value{{"height", 98}, {"hash", "f98"}});
  CHECK(forks[0].at("depth") == 7);
  CHECK(forks[1].at("depth") == 5);
  CHECK(forks[2].at("depth") == 4);
  CHECK(forks[0].at("nodes") == json::array{0, 1});

  // A pair not searched (yet): no forkPoint, no depth for the groups it concerns.
  ForkPoints partial{{tip_pair(groups[0].tip, groups[1].tip), {100, "f100"}}};
  auto some = fork_status({groups[0], groups[1]}, partial);
  CHECK(some[0].at("depth") == 5);
  CHECK_FALSE(fork_status(groups, partial)[0].as_object().contains("forkPoint"));

  using std::chrono::seconds;
  auto within = fork_report({groups[0], groups[1]}, partial, seconds(3), seconds(15));
  CHECK_FALSE(within.forked);
  CHECK(within.reason == "Propagating");
  auto after = fork_report({groups[0], groups[1]}, partial, seconds(16), seconds(15));
  CHECK(after.forked);
  CHECK(after.reason == "TipsDiffer");
  CHECK(after.message ==
        "2 tips for more than 15s: 105/t105 on nodes 0,1 (fork at 100); 103/t103 on node 2 (fork at 100)");
  auto one = fork_report({groups[0]}, {}, std::nullopt, seconds(15));
  CHECK_FALSE(one.forked);
  CHECK(one.reason == "OneTip");
  CHECK(one.forks == json::array{{{"height", 105}, {"hash", "t105"}, {"nodes", {0, 1}}, {"depth", 0}}});
}
