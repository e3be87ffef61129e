#include "pkg/kube/errors.hpp"
#include "pkg/kube/watch_event.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace kb::kube;

namespace {
const std::string kStream =
    R"({"type":"ADDED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"10","annotations":{"x":"}{\"\n"}}}})"
    "\n"
    R"({"type":"MODIFIED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"11"}}})"
    "\n"
    R"({"type":"BOOKMARK","object":{"kind":"Pod","metadata":{"resourceVersion":"12"}}})"
    "\n"
    R"({"type":"DELETED","object":{"kind":"Pod","metadata":{"name":"a","resourceVersion":"13"}}})"
    "\n"
    R"({"type":"ERROR","object":{"kind":"Status","code":410,"reason":"Expired","message":"too old"}})"
    "\n";

std::vector<WatchEvent> decode_in_pieces(const std::vector<std::size_t>& cuts) {
  WatchDecoder decoder;
  std::vector<WatchEvent> events;
  std::size_t start = 0;
  for (std::size_t cut : cuts) {
    decoder.feed(std::string_view(kStream).substr(start, cut - start),
                 [&](WatchEvent&& e) { events.push_back(std::move(e)); });
    start = cut;
  }
  decoder.feed(std::string_view(kStream).substr(start), [&](WatchEvent&& e) { events.push_back(std::move(e)); });
  CHECK_FALSE(decoder.has_partial());
  return events;
}

void check_events(const std::vector<WatchEvent>& events) {
  REQUIRE(events.size() == 5);
  CHECK(events[0].type == WatchEventType::Added);
  CHECK(resource_version_of(events[0].object) == "10");
  CHECK(events[1].type == WatchEventType::Modified);
  CHECK(events[2].type == WatchEventType::Bookmark);
  CHECK(resource_version_of(events[2].object) == "12");
  CHECK(events[3].type == WatchEventType::Deleted);
  CHECK(events[4].type == WatchEventType::Error);
  CHECK(is_gone(api_error_from_status(events[4].object, "WATCH", "/")));
}
}  // namespace

TEST_CASE("the whole stream at once") { check_events(decode_in_pieces({})); }

TEST_CASE("split at every single position") {
  for (std::size_t cut = 1; cut < kStream.size(); ++cut) check_events(decode_in_pieces({cut}));
}

TEST_CASE("one byte at a time and random splits") {
  std::vector<std::size_t> every;
  for (std::size_t i = 1; i < kStream.size(); ++i) every.push_back(i);
  check_events(decode_in_pieces(every));
  std::mt19937 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::size_t> cuts;
    for (std::size_t pos = 0;;) {
      pos += 1 + rng() % 40;
      if (pos >= kStream.size()) break;
      cuts.push_back(pos);
    }
    check_events(decode_in_pieces(cuts));
  }
}

TEST_CASE("events without newlines between them, and a partial tail") {
  WatchDecoder decoder;
  int n = 0;
  decoder.feed(R"({"type":"ADDED","object":{}}{"type":"ADDED","object":{}}{"type":"ADD)", [&](WatchEvent&&) { ++n; });
  CHECK(n == 2);
  CHECK(decoder.has_partial());
}

TEST_CASE("malformed input is an error that quotes little") {
  WatchDecoder decoder;
  CHECK_THROWS_AS(decoder.feed("{\"type\":}", [](WatchEvent&&) {}), KubeError);
  WatchDecoder unknown;
  CHECK_THROWS_WITH_AS(unknown.feed(R"({"type":"SURPRISE","object":{}})", [](WatchEvent&&) {}),
                       doctest::Contains("SURPRISE"), KubeError);
}
