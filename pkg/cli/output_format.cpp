#include "pkg/cli/output_format.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/chart/yaml_emit.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <ostream>
#include <stdexcept>

namespace kb::cli {
namespace json = boost::json;

namespace {

void write_json(std::string& out, const json::value& value, int depth) {
  const std::string indent(static_cast<std::size_t>(depth + 1) * 4, ' ');
  const std::string closing(static_cast<std::size_t>(depth) * 4, ' ');
  if (value.is_object()) {
    const auto& object = value.get_object();
    if (object.empty()) {
      out += "{}";
      return;
    }
    // Keys sorted byte-wise, as Go's encoding/json prints the maps kubectl reads.
    std::vector<const json::key_value_pair*> members;
    for (const auto& member : object) members.push_back(&member);
    std::sort(members.begin(), members.end(), [](const auto* a, const auto* b) { return a->key() < b->key(); });
    out += "{\n";
    bool first = true;
    for (const auto* member : members) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      out += json::serialize(json::string(member->key()));
      out += ": ";
      write_json(out, member->value(), depth + 1);
    }
    out += "\n" + closing + "}";
  } else if (value.is_array()) {
    const auto& array = value.get_array();
    if (array.empty()) {
      out += "[]";
      return;
    }
    out += "[\n";
    bool first = true;
    for (const auto& item : array) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      write_json(out, item, depth + 1);
    }
    out += "\n" + closing + "]";
  } else {
    out += json::serialize(value);
  }
}

bool is_empty_collection(const json::value& value) {
  return (value.is_object() && value.get_object().empty()) || (value.is_array() && value.get_array().empty());
}

}  // namespace

std::string to_pretty_json(const json::value& value) {
  std::string out;
  write_json(out, value, 0);
  out += "\n";
  return out;
}

std::string to_yaml_document(const json::value& value) {
  if (is_empty_collection(value)) return value.is_object() ? "{}\n" : "[]\n";
  return chart::to_yaml(value);  // kubectl's -o yaml and Helm's toYaml both go through sigs.k8s.io/yaml
}

void print_structured(std::ostream& out, const json::value& value, std::string_view format) {
  if (format == "json") {
    out << to_pretty_json(value);
  } else if (format == "yaml") {
    out << to_yaml_document(value);
  } else {
    throw std::logic_error("print_structured: unknown format " + std::string(format));
  }
}

json::value make_list(std::vector<json::value> items) {
  json::array array;
  for (auto& item : items) array.push_back(std::move(item));
  return json::object{{"apiVersion", "v1"},
                      {"items", std::move(array)},
                      {"kind", "List"},
                      {"metadata", json::object{{"resourceVersion", ""}}}};
}

std::string human_duration(std::chrono::seconds age) {
  const long long seconds = age.count();
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return std::to_string(seconds) + "s";
  const long long minutes = seconds / 60;
  if (minutes < 10) {
    long long s = seconds % 60;
    return s == 0 ? std::to_string(minutes) + "m" : std::to_string(minutes) + "m" + std::to_string(s) + "s";
  }
  if (minutes < 60 * 3) return std::to_string(minutes) + "m";
  const long long hours = seconds / 3600;
  if (hours < 8) {
    long long m = minutes % 60;
    return m == 0 ? std::to_string(hours) + "h" : std::to_string(hours) + "h" + std::to_string(m) + "m";
  }
  if (hours < 48) return std::to_string(hours) + "h";
  if (hours < 24 * 8) {
    long long h = hours % 24;
    return h == 0 ? std::to_string(hours / 24) + "d" : std::to_string(hours / 24) + "d" + std::to_string(h) + "h";
  }
  if (hours < 24 * 365 * 2) return std::to_string(hours / 24) + "d";
  if (hours < 24 * 365 * 8) {
    long long days = (hours / 24) % 365;
    return days == 0 ? std::to_string(hours / 24 / 365) + "y"
                     : std::to_string(hours / 24 / 365) + "y" + std::to_string(days) + "d";
  }
  return std::to_string(hours / 24 / 365) + "y";
}

std::string age_of(std::string_view timestamp, std::chrono::system_clock::time_point now) {
  auto when = base::parse_time(timestamp);
  if (!when) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *when));
}

const json::value* find_path(const json::value& root, std::string_view dotted_path) {
  std::vector<std::string_view> keys;
  while (!dotted_path.empty()) {
    auto dot = dotted_path.find('.');
    keys.push_back(dotted_path.substr(0, dot));
    dotted_path = dot == std::string_view::npos ? std::string_view{} : dotted_path.substr(dot + 1);
  }
  return base::json_at_path(root, keys);
}

std::string string_at(const json::value& root, std::string_view dotted_path, std::string fallback) {
  const auto* value = find_path(root, dotted_path);
  if (value && value->is_string()) return std::string(value->get_string());
  return fallback;
}

std::int64_t int_at(const json::value& root, std::string_view dotted_path, std::int64_t fallback) {
  const auto* value = find_path(root, dotted_path);
  if (!value) return fallback;
  if (value->is_int64()) return value->get_int64();
  if (value->is_uint64()) return static_cast<std::int64_t>(value->get_uint64());
  if (value->is_double()) return static_cast<std::int64_t>(value->get_double());
  return fallback;
}

bool bool_at(const json::value& root, std::string_view dotted_path, bool fallback) {
  const auto* value = find_path(root, dotted_path);
  if (value && value->is_bool()) return value->get_bool();
  return fallback;
}

}  // namespace kb::cli
