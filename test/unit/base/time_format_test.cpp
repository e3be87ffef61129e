#include "pkg/base/time_format.hpp"

#include <doctest/doctest.h>

using namespace kb::base;
using namespace std::chrono_literals;

TEST_CASE("RFC 3339 times round-trip") {
  auto t = parse_time("2024-02-29T23:59:58Z");
  REQUIRE(t);
  CHECK(format_time(*t) == "2024-02-29T23:59:58Z");
  auto micro = parse_time("2024-02-29T23:59:58.123456Z");
  REQUIRE(micro);
  CHECK(format_micro_time(*micro) == "2024-02-29T23:59:58.123456Z");
  auto offset = parse_time("2024-03-01T01:59:58+02:00");
  REQUIRE(offset);
  CHECK(*offset == *t);
  CHECK_FALSE(parse_time("yesterday"));
  CHECK_FALSE(parse_time("2024-02-29T23:59:58"));
}

TEST_CASE("log records carry milliseconds; fractions are truncated, never rounded up") {
  auto t = parse_time("2024-02-29T23:59:58.123999Z");
  REQUIRE(t);
  CHECK(format_milli_time(*t) == "2024-02-29T23:59:58.123Z");
  CHECK(format_time(*t) == "2024-02-29T23:59:58Z");
  CHECK(format_milli_time(std::chrono::system_clock::time_point{} + 5ms) == "1970-01-01T00:00:00.005Z");
}
