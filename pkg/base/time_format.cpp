#include "pkg/base/time_format.hpp"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace kb::base {
using namespace std::chrono;

namespace {
// `fraction_digits`: 0 (seconds), 3 (milliseconds) or 6 (microseconds).
std::string format(system_clock::time_point t, int fraction_digits) {
  auto secs = time_point_cast<seconds>(t);
  if (secs > t) secs -= seconds(1);
  std::time_t tt = system_clock::to_time_t(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                        tm.tm_hour, tm.tm_min, tm.tm_sec);
  const auto us = duration_cast<microseconds>(t - secs).count();
  if (fraction_digits == 6) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%06lld", static_cast<long long>(us));
  } else if (fraction_digits == 3) {
    n += std::snprintf(buf + n, sizeof buf - n, ".%03lld", static_cast<long long>(us / 1000));
  }
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

bool read_int(std::string_view text, std::size_t pos, std::size_t len, int& out) {
  if (pos + len > text.size()) return false;
  auto* first = text.data() + pos;
  auto [ptr, ec] = std::from_chars(first, first + len, out);
  return ec == std::errc() && ptr == first + len;
}
}  // namespace

std::string format_time(system_clock::time_point t) { return format(t, 0); }
std::string format_micro_time(system_clock::time_point t) { return format(t, 6); }
std::string format_milli_time(system_clock::time_point t) { return format(t, 3); }

std::optional<system_clock::time_point> parse_time(std::string_view text) {
  int year, month, day, hour, minute, second;
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':')
    return std::nullopt;
  if (!read_int(text, 0, 4, year) || !read_int(text, 5, 2, month) || !read_int(text, 8, 2, day) ||
      !read_int(text, 11, 2, hour) || !read_int(text, 14, 2, minute) || !read_int(text, 17, 2, second))
    return std::nullopt;
  // system_clock counts int64 nanoseconds: years 1678 to 2261 fit, others would overflow.
  if (year < 1678 || year > 2261) return std::nullopt;
  std::size_t pos = 19;
  microseconds fraction{0};
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    long long value = 0;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (digits < 6) {
        value = value * 10 + (text[pos] - '0');
        ++digits;
      }
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    while (digits++ < 6) value *= 10;
    fraction = microseconds(value);
  }
  if (pos >= text.size()) return std::nullopt;
  seconds offset{0};
  if (text[pos] == 'Z' || text[pos] == 'z') {
    ++pos;
  } else if (text[pos] == '+' || text[pos] == '-') {
    int oh, om;
    if (pos + 6 > text.size() || text[pos + 3] != ':' || !read_int(text, pos + 1, 2, oh) ||
        !read_int(text, pos + 4, 2, om))
      return std::nullopt;
    offset = hours(oh) + minutes(om);
    if (text[pos] == '-') offset = -offset;
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != text.size()) return std::nullopt;
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  std::time_t tt = timegm(&tm);
  return system_clock::from_time_t(tt) - offset + fraction;
}

}  // namespace kb::base
