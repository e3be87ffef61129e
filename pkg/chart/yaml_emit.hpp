#pragma once
// YAML text from JSON values, byte for byte as Helm's toYaml prints it (sigs.k8s.io/yaml, which
// emits through go-yaml v2): keys in go-yaml's natural order, 2-space indentation, sequences not
// indented under their key, strings quoted only when a plain scalar would read back as another
// type or is not plain-safe, multi-line strings as literal blocks, long lines folded at 80 columns.
#include "pkg/chart/value.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace kb::chart {

// The YAML document for `v`, ending in a newline (Helm's toYaml trims that newline).
std::string to_yaml(const boost::json::value& v);

// Helm's toYaml of a template value: to_yaml without the final newline.
std::string helm_to_yaml(const Value& v);

// go-yaml v2's map key order: letters after other characters, digit runs compared as numbers
// ("a9" < "a10"), otherwise by code point.
bool yaml_key_less(std::string_view a, std::string_view b);

// Whether a string must be quoted because, unquoted, YAML 1.1 would read it as another type
// (true, null, 12, 1.5, 0o17, 2001-12-14, 1:20, ...).
bool yaml_string_needs_quotes(std::string_view s);

}  // namespace kb::chart
