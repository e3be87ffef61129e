// The fork lines and the compact -w frame, from status objects shaped as the controller writes them.
#include "pkg/cli/fork_view.hpp"

#include "pkg/base/time_format.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::cli;
namespace json = boost::json;

namespace {

json::value forked_network() {
  return json::parse(R"({
    "metadata": {"name": "demo"},
    "spec": {"nodes": 4},
    "status": {
      "blockHeight": 105,
      "nodes": [{"ordinal": 0, "ready": true}, {"ordinal": 1, "ready": true},
                {"ordinal": 2, "ready": true}, {"ordinal": 3, "ready": true}],
      "forks": [
        {"height": 105, "hash": "3f12ab34cd56ef7890", "nodes": [0, 1], "forkPoint": {"height": 100, "hash": "aa"}, "depth": 5},
        {"height": 103, "hash": "77aa88bb99cc00dd11", "nodes": [2, 3], "forkPoint": {"height": 100, "hash": "aa"}, "depth": 3}],
      "conditions": [{"type": "Forked", "status": "True", "reason": "TipsDiffer",
                      "lastTransitionTime": "2026-12-06T09:00:00Z", "message": "2 tips"}]
    }})");
}

}  // namespace

TEST_CASE("fork lines: one per group with the fork point and depth; one group says all ready nodes") {
  CHECK(fork_lines(forked_network()) == std::vector<std::string>{"105/3f12ab34cd56  nodes 0,1  fork at 100, depth 5",
                                                                 "103/77aa88bb99cc  nodes 2,3  fork at 100, depth 3"});
  auto agreed = json::parse(R"({"status": {"nodes": [{"ready": true}, {"ready": true}, {"ready": false}],
                                 "forks": [{"height": 7, "hash": "abcdef0123456789", "nodes": [0, 1], "depth": 0}]}})");
  CHECK(fork_lines(agreed) == std::vector<std::string>{"7/abcdef012345  all 2 ready nodes"});
  auto lagging = json::parse(R"({"status": {"nodes": [{"ready": true}, {"ready": true}],
                                  "forks": [{"height": 7, "hash": "abcdef0123456789", "nodes": [1], "depth": 0}]}})");
  CHECK(fork_lines(lagging) == std::vector<std::string>{"7/abcdef012345  node 1"});
  CHECK(fork_lines(json::parse(R"({"status": {}})")).empty());
}

TEST_CASE("the compact frame: head line with Forked, the groups, the newest events") {
  auto now = *kb::base::parse_time("2026-12-06T09:00:40Z");
  json::array events;
  for (int i = 0; i < 5; ++i) {
    events.push_back({{"reason", "R" + std::to_string(i)},
                      {"message", "m" + std::to_string(i)},
                      {"lastTimestamp", "2026-12-06T09:00:3" + std::to_string(i) + "Z"}});
  }
  std::vector<json::value> list(events.begin(), events.end());
  CHECK(render_compact_network(forked_network(), list, now, 2) ==
        "demo  4/4 ready  height 105  Forked=True (TipsDiffer, 40s)\n"
        "  105/3f12ab34cd56  nodes 0,1  fork at 100, depth 5\n"
        "  103/77aa88bb99cc  nodes 2,3  fork at 100, depth 3\n"
        "  7s R3: m3\n"
        "  6s R4: m4\n");
}
