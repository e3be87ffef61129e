#include "pkg/cli/output_format.hpp"

#include "pkg/kube/time_format.hpp"

#include <boost/json.hpp>

#include <array>
#include <cctype>
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
    out += "{\n";
    bool first = true;
    for (const auto& [key, item] : object) {
      if (!first) out += ",\n";
      first = false;
      out += indent;
      out += json::serialize(json::string(key));
      out += ": ";
      write_json(out, item, depth + 1);
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

// --- A small YAML emitter, used until pkg/chart's Helm-compatible emitter is available. ---

bool is_yaml_keyword(std::string_view text) {
  static constexpr std::array<std::string_view, 22> words = {
      "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
      "True", "False", "Yes", "No", "On", "Off", "Null", "TRUE", "FALSE", "NULL", "YES", "NO"};
  for (auto word : words) {
    if (text == word) return true;
  }
  return false;
}

bool looks_numeric(std::string_view text) {
  if (text.empty()) return false;
  std::size_t i = (text[0] == '-' || text[0] == '+') ? 1 : 0;
  if (i == text.size()) return false;
  if (text[i] == '.' || std::isdigit(static_cast<unsigned char>(text[i]))) return true;  // 1, 1.5, .5, 0x1, 1e3
  return text.substr(i) == ".inf" || text.substr(i) == ".Inf" || text == ".nan" || text == ".NaN";
}

// A plain scalar only when YAML reads it back as the same string.
bool can_be_plain(std::string_view text) {
  if (text.empty() || is_yaml_keyword(text) || looks_numeric(text)) return false;
  unsigned char first = static_cast<unsigned char>(text[0]);
  if (!(std::isalnum(first) || first == '_' || first == '/' || first == '.')) return false;
  if (text.back() == ' ' || text.back() == ':') return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c >= 0x7F) return false;
    if (c == '#' || c == '\'' || c == '"' || c == '{' || c == '}' || c == '[' || c == ']' || c == ',' || c == '&' ||
        c == '*' || c == '!' || c == '|' || c == '>' || c == '%' || c == '@' || c == '`') {
      return false;
    }
    if (c == ':' && i + 1 < text.size() && text[i + 1] == ' ') return false;
  }
  return true;
}

std::string yaml_scalar(const json::value& value) {
  if (value.is_string()) {
    std::string_view text = value.get_string();
    if (can_be_plain(text)) return std::string(text);
    return json::serialize(value);  // a JSON string is a valid YAML double-quoted scalar
  }
  if (value.is_null()) return "null";
  return json::serialize(value);
}

bool is_empty_collection(const json::value& value) {
  return (value.is_object() && value.get_object().empty()) || (value.is_array() && value.get_array().empty());
}

void write_yaml(std::string& out, const json::value& value, std::size_t indent);

void write_yaml_key(std::string& out, std::string_view key) {
  json::value k = json::string(key);
  out += yaml_scalar(k);
  out += ":";
}

void write_yaml_object(std::string& out, const json::object& object, std::size_t indent, bool first_inline) {
  bool first = true;
  for (const auto& [key, item] : object) {
    if (!(first && first_inline)) out += std::string(indent, ' ');
    first = false;
    write_yaml_key(out, key);
    if (item.is_object() && !item.get_object().empty()) {
      out += "\n";
      write_yaml(out, item, indent + 2);
    } else if (item.is_array() && !item.get_array().empty()) {
      out += "\n";
      write_yaml(out, item, indent);  // sequences in maps are not indented (Helm's and kubectl's style)
    } else {
      out += " ";
      out += is_empty_collection(item) ? (item.is_object() ? "{}" : "[]") : yaml_scalar(item);
      out += "\n";
    }
  }
}

void write_yaml(std::string& out, const json::value& value, std::size_t indent) {
  if (value.is_object()) {
    write_yaml_object(out, value.get_object(), indent, false);
  } else if (value.is_array()) {
    for (const auto& item : value.get_array()) {
      out += std::string(indent, ' ') + "- ";
      if (item.is_object() && !item.get_object().empty()) {
        write_yaml_object(out, item.get_object(), indent + 2, true);
      } else if (item.is_array() && !item.get_array().empty()) {
        out += "\n";
        write_yaml(out, item, indent + 2);
      } else {
        out += is_empty_collection(item) ? (item.is_object() ? "{}" : "[]") : yaml_scalar(item);
        out += "\n";
      }
    }
  } else {
    out += std::string(indent, ' ') + yaml_scalar(value) + "\n";
  }
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
  std::string out;
  write_yaml(out, value, 0);
  return out;
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
  auto when = kube::parse_time(timestamp);
  if (!when) return "<unknown>";
  return human_duration(std::chrono::duration_cast<std::chrono::seconds>(now - *when));
}

const json::value* find_path(const json::value& root, std::string_view dotted_path) {
  const json::value* current = &root;
  while (!dotted_path.empty()) {
    auto dot = dotted_path.find('.');
    auto key = dotted_path.substr(0, dot);
    dotted_path = dot == std::string_view::npos ? std::string_view{} : dotted_path.substr(dot + 1);
    const auto* object = current->if_object();
    if (!object) return nullptr;
    current = object->if_contains(key);
    if (!current) return nullptr;
  }
  return current;
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
