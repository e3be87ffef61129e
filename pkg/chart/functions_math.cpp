// Sprig's math and conversions. Integer arithmetic is int64 through spf13/cast, as in Sprig; the
// float variants (addf...) work in float64.
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/go_format.hpp"

#include <charconv>
#include <cmath>
#include <string>

namespace kb::chart {
namespace {
using Args = std::span<const Value>;

std::int64_t checked_div(std::int64_t a, std::int64_t b) {
  if (b == 0) throw FunctionError("runtime error: integer divide by zero");
  return a / b;
}
std::int64_t checked_mod(std::int64_t a, std::int64_t b) {
  if (b == 0) throw FunctionError("runtime error: integer divide by zero");
  return a % b;
}

// How many of start, start+step, ... lie before `stop` (or up to it, `inclusive`) for a non-zero
// step; computed without overflow, as is each value start + k*step (C++20: modular conversion).
std::uint64_t count_in_range(std::int64_t start, std::int64_t stop, std::int64_t step, bool inclusive) {
  bool up = step > 0;
  if (up ? (inclusive ? stop < start : stop <= start) : (inclusive ? stop > start : stop >= start)) return 0;
  std::uint64_t distance = up ? static_cast<std::uint64_t>(stop) - static_cast<std::uint64_t>(start)
                              : static_cast<std::uint64_t>(start) - static_cast<std::uint64_t>(stop);
  std::uint64_t magnitude = up ? static_cast<std::uint64_t>(step) : 0 - static_cast<std::uint64_t>(step);
  return inclusive ? distance / magnitude + 1 : (distance - 1) / magnitude + 1;
}
std::int64_t nth_in_range(std::int64_t start, std::int64_t step, std::uint64_t k) {
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(start) + k * static_cast<std::uint64_t>(step));
}
}  // namespace

void register_math_functions(FunctionRegistry& r) {
  r.add("add", 0, -1, [](CallContext&, Args a) {
    std::int64_t sum = 0;
    for (const auto& v : a) sum += cast_to_int64(v);
    return Value::int64(sum);
  });
  r.add("add1", 1, 1, [](CallContext&, Args a) { return Value::int64(cast_to_int64(a[0]) + 1); });
  r.add("sub", 2, 2, [](CallContext&, Args a) { return Value::int64(cast_to_int64(a[0]) - cast_to_int64(a[1])); });
  r.add("mul", 1, -1, [](CallContext&, Args a) {
    std::int64_t product = cast_to_int64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) product *= cast_to_int64(a[i]);
    return Value::int64(product);
  });
  r.add("div", 2, 2,
        [](CallContext&, Args a) { return Value::int64(checked_div(cast_to_int64(a[0]), cast_to_int64(a[1]))); });
  r.add("mod", 2, 2,
        [](CallContext&, Args a) { return Value::int64(checked_mod(cast_to_int64(a[0]), cast_to_int64(a[1]))); });
  auto extreme = [](bool want_max) {
    return [want_max](CallContext&, Args a) {
      std::int64_t best = cast_to_int64(a[0]);
      for (std::size_t i = 1; i < a.size(); ++i) {
        auto v = cast_to_int64(a[i]);
        if (want_max ? v > best : v < best) best = v;
      }
      return Value::int64(best);
    };
  };
  r.add("max", 1, -1, extreme(true));
  r.add("biggest", 1, -1, extreme(true));
  r.add("min", 1, -1, extreme(false));
  auto extreme_float = [](bool want_max) {
    return [want_max](CallContext&, Args a) {
      double best = cast_to_float64(a[0]);
      for (std::size_t i = 1; i < a.size(); ++i) {
        double v = cast_to_float64(a[i]);
        if (want_max ? v > best : v < best) best = v;
      }
      return Value(best);
    };
  };
  r.add("maxf", 1, -1, extreme_float(true));
  r.add("minf", 1, -1, extreme_float(false));
  r.add("addf", 0, -1, [](CallContext&, Args a) {
    double sum = 0;
    for (const auto& v : a) sum += cast_to_float64(v);
    return Value(sum);
  });
  r.add("add1f", 1, 1, [](CallContext&, Args a) { return Value(cast_to_float64(a[0]) + 1); });
  r.add("subf", 1, -1, [](CallContext&, Args a) {
    double v = cast_to_float64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) v -= cast_to_float64(a[i]);
    return Value(v);
  });
  r.add("mulf", 1, -1, [](CallContext&, Args a) {
    double v = cast_to_float64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) v *= cast_to_float64(a[i]);
    return Value(v);
  });
  r.add("divf", 1, -1, [](CallContext&, Args a) {
    double v = cast_to_float64(a[0]);
    for (std::size_t i = 1; i < a.size(); ++i) v /= cast_to_float64(a[i]);
    return Value(v);
  });
  r.add("floor", 1, 1, [](CallContext&, Args a) { return Value(std::floor(cast_to_float64(a[0]))); });
  r.add("ceil", 1, 1, [](CallContext&, Args a) { return Value(std::ceil(cast_to_float64(a[0]))); });
  r.add("round", 2, 3, [](CallContext&, Args a) {
    double scale = std::pow(10.0, static_cast<double>(cast_to_int64(a[1])));
    double rounding = a.size() > 2 ? cast_to_float64(a[2]) : 0.5;
    double v = cast_to_float64(a[0]) * scale;
    double integral = std::trunc(v);
    double fraction = v - integral;
    if (fraction >= rounding)
      integral += 1;
    else if (-fraction >= rounding)
      integral -= 1;
    return Value(integral / scale);
  });
  r.add("int", 1, 1, [](CallContext&, Args a) { return Value::integer(cast_to_int64(a[0])); });
  r.add("int64", 1, 1, [](CallContext&, Args a) { return Value::int64(cast_to_int64(a[0])); });
  r.add("float64", 1, 1, [](CallContext&, Args a) { return Value(cast_to_float64(a[0])); });
  r.add("atoi", 1, 1, [](CallContext&, Args a) {
    const auto& s = string_arg(a, 0);
    std::int64_t v = 0;
    auto res = std::from_chars(s.data(), s.data() + s.size(), v);
    return Value::integer(res.ec == std::errc() && res.ptr == s.data() + s.size() ? v : 0);
  });
  r.add("toString", 1, 1, [](CallContext&, Args a) { return Value(to_go_string(a[0])); });
  r.add("toStrings", 1, 1, [](CallContext&, Args a) {
    List out;
    for (auto& s : to_string_list(a[0])) out.emplace_back(std::move(s));
    return Value(std::move(out));
  });
  r.add("toDecimal", 1, 1, [](CallContext&, Args a) {
    std::int64_t v = 0;
    const auto& s = to_go_string(a[0]);
    auto res = std::from_chars(s.data(), s.data() + s.size(), v, 8);
    return Value::int64(res.ec == std::errc() ? v : 0);
  });
  r.add("until", 1, 1, [](CallContext& ctx, Args a) {
    auto n = int_arg(a, 0);
    check_generated_size(ctx, n < 0 ? 0 - static_cast<std::uint64_t>(n) : static_cast<std::uint64_t>(n));
    List out;
    std::int64_t step = n < 0 ? -1 : 1;
    for (std::int64_t i = 0; i != n; i += step) out.push_back(Value::integer(i));
    return Value(std::move(out));
  });
  r.add("untilStep", 3, 3, [](CallContext& ctx, Args a) {
    auto start = int_arg(a, 0), stop = int_arg(a, 1), step = int_arg(a, 2);
    List out;
    if (step == 0) return Value(std::move(out));
    std::uint64_t count = count_in_range(start, stop, step, false);
    check_generated_size(ctx, count);
    for (std::uint64_t k = 0; k < count; ++k) out.push_back(Value::integer(nth_in_range(start, step, k)));
    return Value(std::move(out));
  });
  r.add("seq", 0, 3, [](CallContext& ctx, Args a) {
    std::int64_t start = 1, step = 1, end = 0;
    for (std::size_t i = 0; i < a.size(); ++i) int_arg(a, i);
    if (a.empty()) return Value("");
    if (a.size() == 1) {
      end = a[0].as_integer();
      if (end < 1) step = -1;
    } else if (a.size() == 2) {
      start = a[0].as_integer();
      end = a[1].as_integer();
      step = end < start ? -1 : 1;
    } else {
      start = a[0].as_integer();
      step = a[1].as_integer();
      end = a[2].as_integer();
      if (step == 0 || (end < start && step > 0) || (end > start && step < 0)) return Value("");
    }
    std::uint64_t count = count_in_range(start, end, step, true);
    check_generated_size(ctx, count);
    std::string out;
    for (std::uint64_t k = 0; k < count; ++k) out += (k == 0 ? "" : " ") + std::to_string(nth_in_range(start, step, k));
    return Value(out);
  });
}

}  // namespace kb::chart
