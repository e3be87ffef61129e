// A values file (-f) as `kubectl bitcoin install` reads it: YAML parsed the way Helm does,
// coalesced over the bundled chart's defaults and validated against its values.schema.json, then
// written back as YAML. The input is the file.
// Properties checked beyond "no crash, no leak, no hang": every failure is a YamlError or a
// ValuesError naming the file (a schema violation is a SchemaError naming the chart), and what
// to_yaml writes reads back as the same values.
#include "pkg/base/embedded_assets.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/schema_validator.hpp"
#include "pkg/chart/values.hpp"
#include "pkg/chart/yaml_emit.hpp"
#include "test/fuzz/fuzz_input.hpp"

#include <boost/json/parse.hpp>

#include <cmath>

namespace {
using namespace kb::chart;
namespace json = boost::json;

json::object chart_defaults() {
  return parse_values_yaml(kb::assets::find("chart/bitcoin-controller/values.yaml").value_or(""), "values.yaml");
}
json::value chart_schema() {
  return json::parse(kb::assets::find("chart/bitcoin-controller/values.schema.json").value_or("{}"));
}

// Equality where NaN equals NaN (".nan" is a value a file may hold).
bool same(const json::value& a, const json::value& b) {
  if (a.is_double() && b.is_double() && std::isnan(a.get_double()) && std::isnan(b.get_double())) return true;
  if (a.kind() != b.kind()) return false;
  if (const auto* array = a.if_array()) {
    const auto& other = b.get_array();
    if (array->size() != other.size()) return false;
    for (std::size_t i = 0; i < array->size(); ++i) {
      if (!same((*array)[i], other[i])) return false;
    }
    return true;
  }
  if (const auto* object = a.if_object()) {
    const auto& other = b.get_object();
    if (object->size() != other.size()) return false;
    for (const auto& entry : *object) {
      const auto* match = other.if_contains(entry.key());
      if (!match || !same(entry.value(), *match)) return false;
    }
    return true;
  }
  return a == b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const json::object defaults = chart_defaults();
  static const json::value schema = chart_schema();
  std::string_view text = kb::fuzz::as_text(data, size);
  json::object user;
  try {
    user = parse_values_yaml(text, "my-values.yaml");
  } catch (const kb::base::YamlError& error) {
    if (std::string(error.what()).find("my-values.yaml") == std::string::npos)
      kb::fuzz::finding("a YAML error that does not name the file");
    return 0;
  } catch (const ValuesError& error) {
    if (std::string(error.what()).find("my-values.yaml") == std::string::npos)
      kb::fuzz::finding("a values error that does not name the file");
    return 0;
  }
  json::object merged = coalesce_values(defaults, user);
  try {
    check_values_schema("bitcoin-controller", json::value(merged), schema);
  } catch (const SchemaError& error) {
    if (error.violations().empty()) kb::fuzz::finding("a SchemaError without violations");
  }
  std::string yaml = to_yaml(json::value(user));
  json::value again;
  try {
    again = kb::base::parse_yaml(yaml, "emitted");
  } catch (const kb::base::YamlError& error) {
    kb::fuzz::finding(std::string("to_yaml wrote YAML that does not parse: ") + error.what() + "\n" + yaml);
  }
  if (!(again.is_null() && user.empty()) && !same(numbers_as_floats(again), json::value(user))) {
    kb::fuzz::finding("to_yaml does not read back:\n" + yaml);
  }
  return 0;
}
