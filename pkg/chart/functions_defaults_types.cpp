// Sprig's defaults (default, empty, coalesce, ternary, all, any) and type reflection (kindOf, typeOf...).
#include "pkg/chart/function_registry.hpp"

#include <algorithm>

namespace kb::chart {

void register_default_type_functions(FunctionRegistry& r) {
  using Args = std::span<const Value>;
  r.add("default", 1, -1, [](CallContext&, Args a) {
    if (a.size() < 2 || is_empty(a[1])) return a[0];
    return a[1];
  });
  r.add("empty", 1, 1, [](CallContext&, Args a) { return Value(is_empty(a[0])); });
  r.add("coalesce", 0, -1, [](CallContext&, Args a) {
    for (const auto& v : a)
      if (!is_empty(v)) return v;
    return Value();
  });
  r.add("all", 0, -1, [](CallContext&, Args a) {
    return Value(std::all_of(a.begin(), a.end(), [](const Value& v) { return !is_empty(v); }));
  });
  r.add("any", 0, -1, [](CallContext&, Args a) {
    return Value(std::any_of(a.begin(), a.end(), [](const Value& v) { return !is_empty(v); }));
  });
  r.add("ternary", 3, 3, [](CallContext&, Args a) { return bool_arg(a, 2) ? a[0] : a[1]; });
  r.add("kindOf", 1, 1, [](CallContext&, Args a) { return Value(go_kind_name(a[0])); });
  r.add("kindIs", 2, 2, [](CallContext&, Args a) { return Value(go_kind_name(a[1]) == string_arg(a, 0)); });
  r.add("typeOf", 1, 1, [](CallContext&, Args a) { return Value(go_type_name(a[0])); });
  r.add("typeIs", 2, 2, [](CallContext&, Args a) { return Value(go_type_name(a[1]) == string_arg(a, 0)); });
  r.add("typeIsLike", 2, 2, [](CallContext&, Args a) {
    auto t = go_type_name(a[1]);
    const auto& want = string_arg(a, 0);
    return Value(t == want || "*" + t == want);
  });
  r.add("deepEqual", 2, 2, [](CallContext&, Args a) { return Value(deep_equal(a[0], a[1])); });
}

}  // namespace kb::chart
