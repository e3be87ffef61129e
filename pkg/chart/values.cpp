#include "pkg/chart/values.hpp"

#include "pkg/base/yaml_parse.hpp"

#include <boost/json.hpp>

namespace kb::chart {
namespace json = boost::json;

namespace {

void coalesce_tables(json::object& dst, const json::object& src) {
  for (const auto& kv : src) {
    auto* existing = dst.if_contains(kv.key());
    if (!existing) {
      dst[kv.key()] = kv.value();
      continue;
    }
    if (existing->is_null()) {
      dst.erase(kv.key());
    } else if (existing->is_object() && kv.value().is_object()) {
      coalesce_tables(existing->get_object(), kv.value().get_object());
    }
    // Otherwise the user's value stands (Helm warns when a table meets a non-table).
  }
}

// Nulls the user set for keys the chart does not have stay as nulls in Helm; nested nulls under a
// key the chart does have are removed by coalesce_tables above.
}  // namespace

json::object parse_values_yaml(std::string_view text, std::string_view source) {
  json::value v = kb::base::parse_yaml(text, source);
  if (v.is_null()) return {};
  if (!v.is_object())
    throw ValuesError(std::string(source) + ": values must be a YAML mapping, found " +
                      (v.is_array() ? "a sequence" : "a scalar"));
  return numbers_as_floats(v).as_object();
}

void merge_values(json::object& base, const json::object& overlay) {
  for (const auto& kv : overlay) {
    auto* existing = base.if_contains(kv.key());
    if (existing && existing->is_object() && kv.value().is_object())
      merge_values(existing->get_object(), kv.value().get_object());
    else
      base[kv.key()] = kv.value();
  }
}

json::object merge_user_values(const ValueOptions& options, const SetFileReader& read_file) {
  json::object base;
  for (const auto& file : options.files) merge_values(base, parse_values_yaml(file.content, file.name));
  for (const auto& v : options.json_values) apply_set(v, SetKind::Json, base);
  for (const auto& v : options.values) apply_set(v, SetKind::Typed, base);
  for (const auto& v : options.string_values) apply_set(v, SetKind::String, base);
  for (const auto& v : options.file_values) apply_set(v, SetKind::File, base, read_file);
  for (const auto& v : options.literal_values) apply_set(v, SetKind::Literal, base);
  return base;
}

json::object coalesce_values(const json::object& chart_defaults, const json::object& user) {
  json::object out = user;
  coalesce_tables(out, chart_defaults);
  return out;
}

}  // namespace kb::chart
