// The functions Helm adds on top of Sprig: include, tpl, required, fail (Helm's wording), lookup
// (always empty: rendering here is offline, as with `helm template`), getHostByName (disabled).
#include "pkg/chart/function_registry.hpp"

namespace kb::chart {

void register_helm_functions(FunctionRegistry& r) {
  using Args = std::span<const Value>;
  r.add("include", 2, 2, [](CallContext& ctx, Args a) { return Value(ctx.include(string_arg(a, 0), a[1])); });
  r.add("tpl", 2, 2, [](CallContext& ctx, Args a) { return Value(ctx.tpl(string_arg(a, 0), a[1])); });
  r.add("required", 2, 2, [](CallContext&, Args a) {
    const auto& warn = string_arg(a, 0);
    if (a[1].is_nil() || (a[1].is_string() && a[1].as_string().empty())) throw TemplateFailure(warn);
    return a[1];
  });
  r.add("fail", 1, 1, [](CallContext&, Args a) -> Value { throw TemplateFailure(string_arg(a, 0)); });
  r.add("lookup", 4, 4, [](CallContext&, Args a) {
    for (std::size_t i = 0; i < 4; ++i) string_arg(a, i);
    return Value(Dict{});
  });
  r.add("getHostByName", 1, 1, [](CallContext&, Args a) {
    string_arg(a, 0);
    return Value("");
  });
}

}  // namespace kb::chart
