#include "pkg/base/duration.hpp"

#include <doctest/doctest.h>

using kb::base::format_duration;
using kb::base::parse_duration;
using namespace std::chrono_literals;

TEST_CASE("Go-style durations") {
  CHECK(parse_duration("30s") == 30000ms);
  CHECK(parse_duration("1m30s") == 90000ms);
  CHECK(parse_duration("500ms") == 500ms);
  CHECK(parse_duration("1.5h") == 5400000ms);
  CHECK(parse_duration("0") == 0ms);
  CHECK_FALSE(parse_duration("").has_value());
  CHECK_FALSE(parse_duration("10").has_value());
  CHECK_FALSE(parse_duration("5 s").has_value());
  CHECK_FALSE(parse_duration("3d").has_value());
  CHECK(format_duration(90000ms) == "1m30s");
  CHECK(format_duration(1500ms) == "1.5s");
  CHECK(format_duration(250ms) == "250ms");
  CHECK(format_duration(0ms) == "0s");
}
