#include "pkg/base/yaml_parse.hpp"

#include <yaml-cpp/yaml.h>

#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

namespace kb::base {
namespace json = boost::json;

YamlError::YamlError(std::string source, int line, int column, std::string problem)
    : std::runtime_error(source + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + problem),
      source_(std::move(source)),
      line_(line),
      column_(column),
      problem_(std::move(problem)) {}

namespace {

bool one_of(std::string_view s, std::initializer_list<std::string_view> words) {
  for (auto w : words) {
    if (s == w) return true;
  }
  return false;
}

std::optional<std::int64_t> parse_integer(std::string_view s) {
  bool negative = false;
  std::string_view digits = s;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  if (digits.empty()) return std::nullopt;
  int base = 10;
  if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X')) {
    base = 16;
    digits.remove_prefix(2);
  } else if (digits.size() > 2 && digits[0] == '0' && (digits[1] == 'b' || digits[1] == 'B')) {
    base = 2;
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;  // YAML 1.1 octal, as go-yaml v2 reads it
    digits.remove_prefix(1);
  }
  std::string cleaned;
  for (char c : digits) {
    if (c != '_') cleaned.push_back(c);
  }
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(cleaned.data(), cleaned.data() + cleaned.size(), magnitude, base);
  if (ec != std::errc() || end != cleaned.data() + cleaned.size() || cleaned.empty()) return std::nullopt;
  if (negative) {
    if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) + 1) return std::nullopt;
    return static_cast<std::int64_t>(0 - magnitude);
  }
  if (magnitude > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) return std::nullopt;
  return static_cast<std::int64_t>(magnitude);
}

std::optional<double> parse_float(std::string_view s) {
  if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return std::numeric_limits<double>::infinity();
  if (one_of(s, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
  if (one_of(s, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  // A float needs a digit and either a '.' or an exponent; everything else stays a string.
  bool digit = false, dot_or_exp = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c >= '0' && c <= '9') {
      digit = true;
    } else if (c == '.' || c == 'e' || c == 'E') {
      dot_or_exp = true;
    } else if ((c == '+' || c == '-') && (i == 0 || s[i - 1] == 'e' || s[i - 1] == 'E')) {
    } else {
      return std::nullopt;
    }
  }
  if (!digit || !dot_or_exp) return std::nullopt;
  double value = 0;
  std::string_view body = s;
  if (!body.empty() && body[0] == '+') body.remove_prefix(1);
  auto [end, ec] = std::from_chars(body.data(), body.data() + body.size(), value);
  if (ec != std::errc() || end != body.data() + body.size()) return std::nullopt;
  return value;
}

json::value convert(const YAML::Node& node, std::string_view source);

json::value convert_scalar(const YAML::Node& node) {
  const std::string& text = node.Scalar();
  // yaml-cpp tags quoted scalars "!" and plain ones "?"; explicit tags win.
  const std::string& tag = node.Tag();
  if (tag == "!" || tag == "tag:yaml.org,2002:str" || tag == "!!str") return json::value(text);
  if (tag == "tag:yaml.org,2002:int" || tag == "!!int") {
    if (auto i = parse_integer(text)) return json::value(*i);
  }
  return resolve_plain_scalar(text);
}

json::value convert(const YAML::Node& node, std::string_view source) {
  switch (node.Type()) {
    case YAML::NodeType::Undefined:
    case YAML::NodeType::Null:
      return nullptr;
    case YAML::NodeType::Scalar:
      return convert_scalar(node);
    case YAML::NodeType::Sequence: {
      json::array out;
      out.reserve(node.size());
      for (const auto& item : node) out.push_back(convert(item, source));
      return out;
    }
    case YAML::NodeType::Map: {
      json::object out;
      for (const auto& entry : node) {
        const YAML::Node& key = entry.first;
        if (!key.IsScalar() && !key.IsNull()) {
          throw YamlError(std::string(source), key.Mark().line + 1, key.Mark().column + 1,
                          "mapping keys must be scalars");
        }
        out[key.IsNull() ? "null" : key.Scalar()] = convert(entry.second, source);
      }
      return out;
    }
  }
  return nullptr;
}

// yaml-cpp 0.7 loops allocating memory until std::bad_alloc on a document that is a flow
// collection followed by a comma ("{a},", "[[1]],"): reject that shape before it gets there.
void reject_trailing_comma_after_flow_document(std::string_view text, std::string_view source) {
  std::size_t line_start = 0;
  int line = 1;
  bool at_document_start = true;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      if (text.substr(line_start, 3) == "---") at_document_start = true;
      continue;
    }
    if (!at_document_start || c == ' ' || c == '\t' || c == '\r' || c == '-') continue;
    if (c == '#') {
      while (i < text.size() && text[i] != '\n') ++i;
      --i;
      continue;
    }
    at_document_start = false;
    if (c != '{' && c != '[') continue;
    int depth = 0;
    char quote = 0;
    std::size_t j = i;
    for (; j < text.size(); ++j) {
      char d = text[j];
      if (quote) {
        if (d == quote) quote = 0;
        continue;
      }
      if (d == '"' || d == '\'') quote = d;
      else if (d == '{' || d == '[') ++depth;
      else if ((d == '}' || d == ']') && --depth == 0) break;
    }
    std::size_t k = j + 1;
    while (k < text.size() && (text[k] == ' ' || text[k] == '\t')) ++k;
    if (j < text.size() && k < text.size() && text[k] == ',') {
      throw YamlError(std::string(source), line, static_cast<int>(k - line_start) + 1,
                      "unexpected ',' after a flow collection at the top of a document");
    }
  }
}

[[noreturn]] void rethrow(const YAML::Exception& e, std::string_view source) {
  throw YamlError(std::string(source), e.mark.line + 1, e.mark.column + 1, e.msg);
}

}  // namespace

json::value resolve_plain_scalar(std::string_view s) {
  if (one_of(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (one_of(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) return true;
  if (one_of(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) return false;
  if (auto i = parse_integer(s)) return *i;
  if (auto f = parse_float(s)) return *f;
  return json::value(std::string(s));
}

json::value parse_yaml(std::string_view text, std::string_view source) {
  auto docs = parse_yaml_documents(text, source);
  if (docs.empty()) return nullptr;
  return std::move(docs.front());
}

std::vector<json::value> parse_yaml_documents(std::string_view text, std::string_view source) {
  std::vector<json::value> out;
  reject_trailing_comma_after_flow_document(text, source);
  try {
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      if (doc.IsNull() || !doc.IsDefined()) continue;
      out.push_back(convert(doc, source));
    }
  } catch (const YAML::Exception& e) {
    rethrow(e, source);
  }
  return out;
}

}  // namespace kb::base
