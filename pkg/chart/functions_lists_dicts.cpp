// Sprig's list and dict functions. Lists are copied (Sprig builds new slices); dicts are mutated in
// place by set/unset/merge, as Go maps are.
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/go_format.hpp"

#include <algorithm>

namespace kb::chart {
namespace {

using Args = std::span<const Value>;

// Sprig's list functions reject non-lists with "Cannot <what> on type <kind>"; a nil list makes
// them dereference nil, which Go reports as a runtime error.
const List& list_arg(Args a, std::size_t i, const std::string& prefix, const std::string& suffix = "") {
  if (a[i].is_list()) return a[i].as_list();
  if (a[i].is_nil()) throw FunctionError("runtime error: invalid memory address or nil pointer dereference");
  throw FunctionError(prefix + go_kind_name(a[i]) + suffix);
}

// Sprig's mergo-based merge. Without `overwrite`, only keys missing or empty in dst are filled;
// with it, every source value replaces the destination's, even an empty one or nil. Nested dicts
// merge deeply. Values are shared, not copied, as mergo assigns Go maps by reference.
void merge_into(Dict& dst, const Dict& src, bool overwrite) {
  for (const auto& [key, value] : src) {
    auto it = dst.find(key);
    if (it == dst.end()) {
      dst.emplace(key, value);
      continue;
    }
    if (it->second.is_dict() && value.is_dict()) {
      merge_into(it->second.mutable_dict(), value.as_dict(), overwrite);
    } else if (overwrite || is_empty(it->second)) {
      it->second = value;
    }
  }
}

std::int64_t cast_index(const Value& v) { return cast_to_int64(v); }

}  // namespace

void register_list_dict_functions(FunctionRegistry& r) {
  r.add("list", 0, -1, [](CallContext&, Args a) { return Value(List(a.begin(), a.end())); });
  auto push = [](CallContext&, Args a) {
    List out = list_arg(a, 0, "Cannot push on type ");
    out.push_back(a[1]);
    return Value(std::move(out));
  };
  r.add("append", 2, 2, push);
  r.add("push", 2, 2, push);
  r.add("mustAppend", 2, 2, push);
  r.add("mustPush", 2, 2, push);
  r.add("prepend", 2, 2, [](CallContext&, Args a) {
    List out = list_arg(a, 0, "Cannot prepend on type ");
    out.insert(out.begin(), a[1]);
    return Value(std::move(out));
  });
  r.add("first", 1, 1, [](CallContext&, Args a) {
    const auto& l = list_arg(a, 0, "Cannot find first on type ");
    return l.empty() ? Value() : l.front();
  });
  r.add("last", 1, 1, [](CallContext&, Args a) {
    const auto& l = list_arg(a, 0, "Cannot find last on type ");
    return l.empty() ? Value() : l.back();
  });
  r.add("rest", 1, 1, [](CallContext&, Args a) {
    const auto& l = list_arg(a, 0, "Cannot find rest on type ");
    return l.empty() ? Value(List{}) : Value(List(l.begin() + 1, l.end()));
  });
  r.add("initial", 1, 1, [](CallContext&, Args a) {
    const auto& l = list_arg(a, 0, "Cannot find initial on type ");
    return l.empty() ? Value(List{}) : Value(List(l.begin(), l.end() - 1));
  });
  r.add("reverse", 1, 1, [](CallContext&, Args a) {
    List out = list_arg(a, 0, "Cannot find reverse on type ");
    std::reverse(out.begin(), out.end());
    return Value(std::move(out));
  });
  r.add("uniq", 1, 1, [](CallContext&, Args a) {
    List out;
    for (const auto& v : list_arg(a, 0, "Cannot find uniq on type "))
      if (std::none_of(out.begin(), out.end(), [&](const Value& x) { return deep_equal(x, v); })) out.push_back(v);
    return Value(std::move(out));
  });
  r.add("has", 2, 2, [](CallContext&, Args a) {
    if (a[1].is_nil()) return Value(false);
    const auto& l = list_arg(a, 1, "Cannot find has on type ");
    return Value(std::any_of(l.begin(), l.end(), [&](const Value& x) { return deep_equal(x, a[0]); }));
  });
  r.add("without", 1, -1, [](CallContext&, Args a) {
    List out;
    for (const auto& v : list_arg(a, 0, "Cannot find without on type "))
      if (std::none_of(a.begin() + 1, a.end(), [&](const Value& x) { return deep_equal(x, v); })) out.push_back(v);
    return Value(std::move(out));
  });
  r.add("compact", 1, 1, [](CallContext&, Args a) {
    List out;
    for (const auto& v : list_arg(a, 0, "Cannot compact on type "))
      if (!is_empty(v)) out.push_back(v);
    return Value(std::move(out));
  });
  r.add("concat", 0, -1, [](CallContext&, Args a) {
    List out;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto& l = list_arg(a, i, "Cannot concat type ", " as list");
      out.insert(out.end(), l.begin(), l.end());
    }
    return Value(std::move(out));
  });
  r.add("sortAlpha", 1, 1, [](CallContext&, Args a) {
    auto strings = to_string_list(a[0]);
    std::sort(strings.begin(), strings.end());
    List out;
    for (auto& s : strings) out.emplace_back(std::move(s));
    return Value(std::move(out));
  });
  r.add("slice", 1, -1, [](CallContext&, Args a) {
    if (!a[0].is_list())
      throw FunctionError("list should be type of slice or array but " +
                          (a[0].is_nil() ? std::string("<nil>") : go_type_name(a[0])));
    const auto& l = list_arg(a, 0, "list should be type of slice or array but ");
    std::int64_t n = static_cast<std::int64_t>(l.size());
    std::int64_t from = a.size() > 1 ? cast_index(a[1]) : 0, to = a.size() > 2 ? cast_index(a[2]) : n;
    if (from < 0 || to > n || from > to)
      throw FunctionError("runtime error: slice bounds out of range [" + std::to_string(from) + ":" +
                          std::to_string(to) + "]");
    return Value(List(l.begin() + from, l.begin() + to));
  });
  r.add("chunk", 2, 2, [](CallContext&, Args a) {
    auto size = int_arg(a, 0);
    if (size <= 0) throw FunctionError("chunk size must be positive");
    List out;
    const auto& l = list_arg(a, 1, "Cannot chunk type ");
    for (std::size_t i = 0; i < l.size(); i += static_cast<std::size_t>(size))
      out.emplace_back(
          List(l.begin() + static_cast<std::ptrdiff_t>(i),
               l.begin() + static_cast<std::ptrdiff_t>(std::min(l.size(), i + static_cast<std::size_t>(size)))));
    return Value(std::move(out));
  });

  r.add("dict", 0, -1, [](CallContext&, Args a) {
    Dict out;
    for (std::size_t i = 0; i < a.size(); i += 2) out[to_go_string(a[i])] = i + 1 < a.size() ? a[i + 1] : Value("");
    return Value(std::move(out));
  });
  r.add("get", 2, 2, [](CallContext&, Args a) {
    const auto& d = dict_arg(a, 0).as_dict();
    auto it = d.find(string_arg(a, 1));
    return it == d.end() ? Value("") : it->second;
  });
  r.add("set", 3, 3, [](CallContext&, Args a) {
    dict_arg(a, 0).mutable_dict()[string_arg(a, 1)] = a[2];
    return a[0];
  });
  r.add("unset", 2, 2, [](CallContext&, Args a) {
    dict_arg(a, 0).mutable_dict().erase(string_arg(a, 1));
    return a[0];
  });
  r.add("hasKey", 2, 2,
        [](CallContext&, Args a) { return Value(dict_arg(a, 0).as_dict().count(string_arg(a, 1)) != 0); });
  // Sprig's keys and values follow Go's random map order; ours are sorted, which is one of them.
  r.add("keys", 0, -1, [](CallContext&, Args a) {
    List out;
    for (std::size_t i = 0; i < a.size(); ++i)
      for (const auto& [k, v] : dict_arg(a, i).as_dict()) out.emplace_back(k);
    return Value(std::move(out));
  });
  r.add("values", 1, 1, [](CallContext&, Args a) {
    List out;
    for (const auto& [k, v] : dict_arg(a, 0).as_dict()) out.push_back(v);
    return Value(std::move(out));
  });
  r.add("pick", 1, -1, [](CallContext&, Args a) {
    Dict out;
    const auto& d = dict_arg(a, 0).as_dict();
    for (std::size_t i = 1; i < a.size(); ++i) {
      auto it = d.find(string_arg(a, i));
      if (it != d.end()) out.emplace(it->first, it->second);
    }
    return Value(std::move(out));
  });
  r.add("omit", 1, -1, [](CallContext&, Args a) {
    Dict out = dict_arg(a, 0).as_dict();
    for (std::size_t i = 1; i < a.size(); ++i) out.erase(string_arg(a, i));
    return Value(std::move(out));
  });
  auto merge = [](bool overwrite) {
    return [overwrite](CallContext&, Args a) {
      Dict& dst = dict_arg(a, 0).mutable_dict();
      for (std::size_t i = 1; i < a.size(); ++i) merge_into(dst, dict_arg(a, i).as_dict(), overwrite);
      return a[0];
    };
  };
  r.add("merge", 1, -1, merge(false));
  r.add("mustMerge", 1, -1, merge(false));
  r.add("mergeOverwrite", 1, -1, merge(true));
  r.add("mustMergeOverwrite", 1, -1, merge(true));
  r.add("deepCopy", 1, 1, [](CallContext&, Args a) { return deep_copy(a[0]); });
  r.add("mustDeepCopy", 1, 1, [](CallContext&, Args a) { return deep_copy(a[0]); });
  r.add("dig", 0, -1, [](CallContext&, Args a) {
    if (a.size() < 3) throw FunctionError("dig needs at least three arguments");
    Value current = dict_arg(a, a.size() - 1);
    for (std::size_t i = 0; i + 2 < a.size(); ++i) {
      const auto& key = string_arg(a, i);
      if (!current.is_dict()) return a[a.size() - 2];
      auto it = current.as_dict().find(key);
      if (it == current.as_dict().end()) return a[a.size() - 2];
      current = it->second;
    }
    return current;
  });
  r.add("pluck", 1, -1, [](CallContext&, Args a) {
    List out;
    const auto& key = string_arg(a, 0);
    for (std::size_t i = 1; i < a.size(); ++i) {
      const auto& d = dict_arg(a, i).as_dict();
      auto it = d.find(key);
      if (it != d.end()) out.push_back(it->second);
    }
    return Value(std::move(out));
  });
}

}  // namespace kb::chart
