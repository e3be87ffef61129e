#pragma once
// Output formats shared by the commands: kubectl's -o json (indented by four spaces) and -o yaml,
// a List wrapper for several objects, and kubectl's human-readable ages ("45s", "3m20s", "2d4h").
#include <boost/json/value.hpp>

#include <chrono>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <string_view>
#include <vector>

namespace kb::cli {

// kubectl's `-o json`: four-space indentation, keys sorted, one member per line, trailing newline.
std::string to_pretty_json(const boost::json::value& value);
// kubectl's `-o yaml` (sigs.k8s.io/yaml: keys sorted, strings quoted where YAML would misread them).
std::string to_yaml_document(const boost::json::value& value);

// Prints `value` as "json" or "yaml" (anything else is a programming error).
void print_structured(std::ostream& out, const boost::json::value& value, std::string_view format);

// {"apiVersion": "v1", "kind": "List", "items": [...], "metadata": {"resourceVersion": ""}}, as kubectl prints
// several objects.
boost::json::value make_list(std::vector<boost::json::value> items);

// kubectl's duration.HumanDuration.
std::string human_duration(std::chrono::seconds age);
// Age of an RFC 3339 timestamp relative to `now`; "<unknown>" when it is missing or malformed.
std::string age_of(std::string_view timestamp, std::chrono::system_clock::time_point now);

// Path lookups on JSON that never throw: the value at a.b.c, or a fallback. Dotted paths suit
// paths that come as text (table columns); in code prefer base::json_at(v, "a", "b", "c") and
// kube::name_of & co. (pkg/kube/object_meta.hpp).
const boost::json::value* find_path(const boost::json::value& root, std::string_view dotted_path);
std::string string_at(const boost::json::value& root, std::string_view dotted_path, std::string fallback = "");
std::int64_t int_at(const boost::json::value& root, std::string_view dotted_path, std::int64_t fallback = 0);
bool bool_at(const boost::json::value& root, std::string_view dotted_path, bool fallback = false);

}  // namespace kb::cli
