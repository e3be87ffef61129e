#include "pkg/chart/go_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>

namespace kb::chart {
namespace {

std::string go_json_float(double f) {
  if (std::isnan(f) || std::isinf(f)) return "null";  // Go errors; Helm's toJson then prints ""
  double a = std::fabs(f);
  char buf[64];
  if (a != 0 && (a < 1e-6 || a >= 1e21)) {
    auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
    std::string s(buf, r.ptr);
    // Go writes e-7 rather than e-07.
    auto e = s.find('e');
    if (e != std::string::npos && e + 3 < s.size() + 1 && s[e + 2] == '0' && s.size() - e == 4) s.erase(e + 2, 1);
    return s;
  }
  auto r = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::fixed);
  return std::string(buf, r.ptr);
}

class Writer {
 public:
  explicit Writer(const GoJsonOptions& options) : options_(options) {}
  std::string out;

  void value(const Value& v, int depth) {
    switch (v.kind()) {
      case Value::Kind::Nil:
        out += "null";
        break;
      case Value::Kind::Bool:
        out += v.as_bool() ? "true" : "false";
        break;
      case Value::Kind::Int:
      case Value::Kind::Int64:
        out += std::to_string(v.as_integer());
        break;
      case Value::Kind::Float:
        out += go_json_float(v.as_float());
        break;
      case Value::Kind::String:
        string(v.as_string());
        break;
      case Value::Kind::Slice: {
        const auto& l = v.as_list();
        if (l.empty()) {
          out += "[]";
          break;
        }
        out += '[';
        for (std::size_t i = 0; i < l.size(); ++i) {
          if (i) out += ',';
          newline(depth + 1);
          value(l[i], depth + 1);
        }
        newline(depth);
        out += ']';
        break;
      }
      case Value::Kind::Map: {
        const auto& d = v.as_dict();
        if (d.empty()) {
          out += "{}";
          break;
        }
        out += '{';
        bool first = true;
        for (const auto& [k, e] : d) {
          if (!first) out += ',';
          first = false;
          newline(depth + 1);
          string(k);
          out += options_.indent.empty() ? ":" : ": ";
          value(e, depth + 1);
        }
        newline(depth);
        out += '}';
        break;
      }
      case Value::Kind::Native:
        value(v.as_object().to_data(), depth);
        break;
    }
  }

 private:
  void newline(int depth) {
    if (options_.indent.empty()) return;
    out += '\n';
    for (int i = 0; i < depth; ++i) out += options_.indent;
  }

  void string(std::string_view s) {
    out += '"';
    for (std::size_t i = 0; i < s.size(); ++i) {
      auto c = static_cast<unsigned char>(s[i]);
      char buf[8];
      switch (c) {
        case '"':
          out += "\\\"";
          continue;
        case '\\':
          out += "\\\\";
          continue;
        case '\n':
          out += "\\n";
          continue;
        case '\r':
          out += "\\r";
          continue;
        case '\t':
          out += "\\t";
          continue;
        case '\b':
          out += "\\b";
          continue;
        case '\f':
          out += "\\f";
          continue;
        default:
          break;
      }
      if (c < 0x20 || (options_.escape_html && (c == '<' || c == '>' || c == '&'))) {
        std::snprintf(buf, sizeof buf, "\\u%04x", c);
        out += buf;
      } else if (c == 0xE2 && i + 2 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x80 &&
                 (static_cast<unsigned char>(s[i + 2]) == 0xA8 || static_cast<unsigned char>(s[i + 2]) == 0xA9)) {
        out += static_cast<unsigned char>(s[i + 2]) == 0xA8 ? "\\u2028" : "\\u2029";
        i += 2;
      } else {
        out += static_cast<char>(c);
      }
    }
    out += '"';
  }

  const GoJsonOptions& options_;
};

}  // namespace

std::string to_go_json(const Value& v, const GoJsonOptions& options) {
  Writer w(options);
  w.value(v, 0);
  return std::move(w.out);
}

}  // namespace kb::chart
