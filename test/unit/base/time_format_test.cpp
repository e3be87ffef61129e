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

TEST_CASE("times outside what system_clock holds are not times (found by test/fuzz)") {
  // 4052 would overflow int64 nanoseconds (undefined behaviour before).
  CHECK_FALSE(parse_time("4052-12-06T03:00:00.123456+01:00").has_value());
  CHECK_FALSE(parse_time("1600-01-01T00:00:00Z").has_value());
  CHECK(parse_time("2261-12-31T23:59:59Z").has_value());
  CHECK(parse_time("1678-01-01T00:00:00Z").has_value());
}
