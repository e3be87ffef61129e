// Sprig's date functions over UTC times, with the engine's injectable clock behind `now`.
// Layouts are Go's reference-time layouts ("2006-01-02T15:04:05Z07:00").
#include "pkg/chart/function_registry.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <ctime>

namespace kb::chart {
namespace {
using Args = std::span<const Value>;
using Clock = std::chrono::system_clock;

constexpr std::array<const char*, 12> kMonths = {"January", "February", "March",     "April",   "May",      "June",
                                                 "July",    "August",   "September", "October", "November", "December"};
constexpr std::array<const char*, 7> kDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                              "Thursday", "Friday", "Saturday"};

struct Broken {
  std::tm tm{};
  std::int64_t nanos = 0;
};

Broken split_time(Clock::time_point t) {
  auto since = t.time_since_epoch();
  auto secs = std::chrono::floor<std::chrono::seconds>(since);
  Broken b;
  b.nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(since - secs).count();
  std::time_t tt = static_cast<std::time_t>(secs.count());
  gmtime_r(&tt, &b.tm);
  return b;
}

std::string two(int v) {
  char buf[16];  // room for any int: GCC checks the inlined calls
  std::snprintf(buf, sizeof buf, "%02d", v);
  return buf;
}

int hour12(const std::tm& tm) { return tm.tm_hour % 12 == 0 ? 12 : tm.tm_hour % 12; }
std::string month(const std::tm& tm) { return kMonths[static_cast<std::size_t>(tm.tm_mon)]; }
std::string weekday(const std::tm& tm) { return kDays[static_cast<std::size_t>(tm.tm_wday)]; }

// Go's layout elements, longer ones before their prefixes ("January" before "Jan", "01" before "1").
// The zone is always UTC.
struct LayoutElement {
  std::string_view token;
  std::string (*write)(const std::tm& tm);
};
const LayoutElement kLayoutElements[] = {
    {"2006", [](const std::tm& tm) { return std::to_string(tm.tm_year + 1900); }},
    {"January", month},
    {"Jan", [](const std::tm& tm) { return month(tm).substr(0, 3); }},
    {"Monday", weekday},
    {"Mon", [](const std::tm& tm) { return weekday(tm).substr(0, 3); }},
    {"MST", [](const std::tm&) { return std::string("UTC"); }},
    {"Z07:00", [](const std::tm&) { return std::string("Z"); }},
    {"Z0700", [](const std::tm&) { return std::string("Z"); }},
    {"-07:00", [](const std::tm&) { return std::string("+00:00"); }},
    {"-0700", [](const std::tm&) { return std::string("+0000"); }},
    {"01", [](const std::tm& tm) { return two(tm.tm_mon + 1); }},
    {"02", [](const std::tm& tm) { return two(tm.tm_mday); }},
    {"_2", [](const std::tm& tm) { return (tm.tm_mday < 10 ? " " : "") + std::to_string(tm.tm_mday); }},
    {"06", [](const std::tm& tm) { return two(tm.tm_year % 100); }},
    {"15", [](const std::tm& tm) { return two(tm.tm_hour); }},
    {"03", [](const std::tm& tm) { return two(hour12(tm)); }},
    {"04", [](const std::tm& tm) { return two(tm.tm_min); }},
    {"05", [](const std::tm& tm) { return two(tm.tm_sec); }},
    {"PM", [](const std::tm& tm) { return std::string(tm.tm_hour >= 12 ? "PM" : "AM"); }},
    {"pm", [](const std::tm& tm) { return std::string(tm.tm_hour >= 12 ? "pm" : "am"); }},
    {"1", [](const std::tm& tm) { return std::to_string(tm.tm_mon + 1); }},
    {"2", [](const std::tm& tm) { return std::to_string(tm.tm_mday); }},
    {"3", [](const std::tm& tm) { return std::to_string(hour12(tm)); }},
    {"4", [](const std::tm& tm) { return std::to_string(tm.tm_min); }},
    {"5", [](const std::tm& tm) { return std::to_string(tm.tm_sec); }},
};

// Fractional seconds at layout[i]: ".000" (that many digits) or ".999" (trailing zeros dropped,
// the dot too when nothing is left). Returns where the layout continues.
std::size_t write_fraction(std::string_view layout, std::size_t i, std::int64_t nanos, std::string& out) {
  char digit = layout[i + 1];
  std::size_t j = i + 1;
  while (j < layout.size() && layout[j] == digit) ++j;
  std::size_t width = j - i - 1;
  char buf[16];
  std::snprintf(buf, sizeof buf, "%09lld", static_cast<long long>(nanos));
  std::string frac(buf, std::min<std::size_t>(width, 9));
  if (digit == '9') {
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    if (!frac.empty()) out += "." + frac;
  } else {
    out += "." + frac;
  }
  return j;
}

std::string format_go_layout(std::string_view layout, Clock::time_point t) {
  Broken b = split_time(t);
  std::string out;
  for (std::size_t i = 0; i < layout.size();) {
    auto rest = layout.substr(i);
    if (rest.starts_with(".0") || rest.starts_with(".9")) {
      i = write_fraction(layout, i, b.nanos, out);
      continue;
    }
    auto element = std::find_if(std::begin(kLayoutElements), std::end(kLayoutElements),
                                [&](const LayoutElement& e) { return rest.starts_with(e.token); });
    if (element == std::end(kLayoutElements)) {
      out += layout[i++];
    } else {
      out += element->write(b.tm);
      i += element->token.size();
    }
  }
  return out;
}

// Parses numeric layouts (2006-01-02, 15:04:05, RFC 3339 with Z); nullopt when the text differs.
std::optional<Clock::time_point> parse_go_layout(std::string_view layout, std::string_view text) {
  std::tm tm{};
  tm.tm_mday = 1;
  std::size_t p = 0;
  auto number = [&](std::size_t digits, int& target) {
    if (p + digits > text.size()) return false;
    int v = 0;
    for (std::size_t k = 0; k < digits; ++k) {
      char c = text[p + k];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    target = v;
    p += digits;
    return true;
  };
  for (std::size_t i = 0; i < layout.size();) {
    auto starts = [&](std::string_view token) { return layout.substr(i).starts_with(token); };
    bool ok = true;
    if (starts("2006")) {
      ok = number(4, tm.tm_year);
      tm.tm_year -= 1900;
      i += 4;
    } else if (starts("Z07:00")) {
      ok = p < text.size() && text[p] == 'Z';
      ++p;
      i += 6;
    } else if (starts("01")) {
      ok = number(2, tm.tm_mon);
      tm.tm_mon -= 1;
      i += 2;
    } else if (starts("02")) {
      ok = number(2, tm.tm_mday);
      i += 2;
    } else if (starts("15")) {
      ok = number(2, tm.tm_hour);
      i += 2;
    } else if (starts("04")) {
      ok = number(2, tm.tm_min);
      i += 2;
    } else if (starts("05")) {
      ok = number(2, tm.tm_sec);
      i += 2;
    } else {
      ok = p < text.size() && text[p] == layout[i];
      ++p;
      ++i;
    }
    if (!ok) return std::nullopt;
  }
  if (p != text.size()) return std::nullopt;
  return Clock::from_time_t(timegm(&tm));
}

class TimeObject : public Object {
 public:
  explicit TimeObject(Clock::time_point t) : t_(t) {}
  std::string type_name() const override { return "time.Time"; }
  std::string kind_name() const override { return "struct"; }
  bool has_method(std::string_view name) const override {
    return name == "Unix" || name == "Year" || name == "Format" || name == "UTC" || name == "String";
  }
  Value call_method(std::string_view name, std::span<const Value> args) const override {
    if (name == "Unix")
      return Value::int64(std::chrono::duration_cast<std::chrono::seconds>(t_.time_since_epoch()).count());
    if (name == "Year") return Value::integer(split_time(t_).tm.tm_year + 1900);
    if (name == "Format") {
      if (args.size() != 1)
        throw FunctionError("wrong number of args for Format: want 1 got " + std::to_string(args.size()));
      return Value(format_go_layout(string_arg(args, 0), t_));
    }
    if (name == "UTC") return Value(std::shared_ptr<const Object>(std::make_shared<TimeObject>(t_)));
    return Value(to_display());
  }
  std::string to_display() const override { return format_go_layout("2006-01-02 15:04:05.999999999 -0700 MST", t_); }
  Value to_data() const override { return Value(format_go_layout("2006-01-02T15:04:05.999999999Z07:00", t_)); }
  Clock::time_point time() const { return t_; }

 private:
  Clock::time_point t_;
};

Value make_time(Clock::time_point t) { return Value(std::shared_ptr<const Object>(std::make_shared<TimeObject>(t))); }

Clock::time_point time_of(CallContext& ctx, const Value& v) {
  if (v.is_object())
    if (auto* t = dynamic_cast<const TimeObject*>(&v.as_object())) return t->time();
  if (v.is_integer()) return Clock::from_time_t(static_cast<std::time_t>(v.as_integer()));
  return ctx.now();
}

}  // namespace

void register_date_functions(FunctionRegistry& r) {
  r.add("now", 0, 0, [](CallContext& ctx, Args) { return make_time(ctx.now()); });
  r.add("date", 2, 2,
        [](CallContext& ctx, Args a) { return Value(format_go_layout(string_arg(a, 0), time_of(ctx, a[1]))); });
  r.add("dateInZone", 3, 3,
        [](CallContext& ctx, Args a) { return Value(format_go_layout(string_arg(a, 0), time_of(ctx, a[1]))); });
  r.add("htmlDate", 1, 1,
        [](CallContext& ctx, Args a) { return Value(format_go_layout("2006-01-02", time_of(ctx, a[0]))); });
  r.add("unixEpoch", 1, 1, [](CallContext& ctx, Args a) {
    return Value(std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(time_of(ctx, a[0]).time_since_epoch()).count()));
  });
  r.add("toDate", 2, 2, [](CallContext&, Args a) {
    auto t = parse_go_layout(string_arg(a, 0), string_arg(a, 1));
    return make_time(t.value_or(Clock::time_point{}));
  });
  r.add("mustToDate", 2, 2, [](CallContext&, Args a) {
    auto t = parse_go_layout(string_arg(a, 0), string_arg(a, 1));
    if (!t) throw FunctionError("parsing time " + string_arg(a, 1) + " as " + string_arg(a, 0) + ": cannot parse");
    return make_time(*t);
  });
}

}  // namespace kb::chart
