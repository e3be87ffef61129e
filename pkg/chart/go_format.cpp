#include "pkg/chart/go_format.hpp"

#include "pkg/base/utf8.hpp"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <system_error>

namespace kb::chart {
namespace {

// Decomposes the shortest round-trip representation into its digits and decimal exponent.
struct ShortestDigits {
  bool negative = false;
  std::string digits;  // without leading zeros, at least one digit
  int point = 0;       // position of the decimal point relative to digits (value = 0.digits * 10^point)
};

ShortestDigits shortest_digits(double f) {
  ShortestDigits out;
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, f, std::chars_format::scientific);
  std::string_view text(buf, static_cast<std::size_t>(res.ptr - buf));
  if (!text.empty() && text.front() == '-') {
    out.negative = true;
    text.remove_prefix(1);
  }
  auto e = text.find('e');
  std::string_view mantissa = text.substr(0, e);
  int exponent = std::stoi(std::string(text.substr(e + 1)));
  for (char c : mantissa)
    if (c != '.') out.digits.push_back(c);
  while (out.digits.size() > 1 && out.digits.back() == '0') out.digits.pop_back();
  out.point = exponent + 1;
  return out;
}

std::string exponent_suffix(int exp) {
  std::string s = exp < 0 ? "e-" : "e+";
  int a = exp < 0 ? -exp : exp;
  if (a < 10) s += '0';
  return s + std::to_string(a);
}

std::string format_float_g_shortest(double f) {
  if (std::isnan(f)) return "NaN";
  if (std::isinf(f)) return f > 0 ? "+Inf" : "-Inf";
  if (f == 0) return std::signbit(f) ? "-0" : "0";
  auto d = shortest_digits(f);
  int exp = d.point - 1;
  std::string out = d.negative ? "-" : "";
  // strconv: the shortest %g switches to an exponent below 1e-4 and from 1e+06 (1000000 → 1e+06).
  if (exp < -4 || exp >= 6) {
    out += d.digits.substr(0, 1);
    if (d.digits.size() > 1) out += "." + d.digits.substr(1);
    return out + exponent_suffix(exp);
  }
  if (d.point <= 0) return out + "0." + std::string(static_cast<std::size_t>(-d.point), '0') + d.digits;
  if (static_cast<std::size_t>(d.point) >= d.digits.size())
    return out + d.digits + std::string(static_cast<std::size_t>(d.point) - d.digits.size(), '0');
  return out + d.digits.substr(0, static_cast<std::size_t>(d.point)) + "." +
         d.digits.substr(static_cast<std::size_t>(d.point));
}

struct Spec {
  bool minus = false, plus = false, sharp = false, space = false, zero = false;
  int width = -1;
  int precision = -1;
  char verb = 'v';
};

std::string pad(std::string s, const Spec& spec, bool numeric = false) {
  if (spec.width < 0 || static_cast<int>(s.size()) >= spec.width) return s;
  std::size_t fill = static_cast<std::size_t>(spec.width) - s.size();
  if (spec.minus) return s + std::string(fill, ' ');
  if (spec.zero && numeric) {
    std::size_t sign = (!s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' ')) ? 1 : 0;
    return s.substr(0, sign) + std::string(fill, '0') + s.substr(sign);
  }
  return std::string(fill, ' ') + s;
}

std::string bad_verb(const Spec& spec, const Value& v) {
  std::string out = "%!";
  out += spec.verb;
  out += "(";
  if (v.is_nil()) return out + "<nil>)";
  return out + go_type_name(v) + "=" + format_value(v) + ")";
}

std::string format_integer(std::int64_t i, const Spec& spec) {
  std::string digits;
  bool negative = i < 0;
  std::uint64_t u = negative ? 0 - static_cast<std::uint64_t>(i) : static_cast<std::uint64_t>(i);
  int base = 10;
  bool upper = false;
  switch (spec.verb) {
    case 'x':
      base = 16;
      break;
    case 'X':
      base = 16;
      upper = true;
      break;
    case 'o':
    case 'O':
      base = 8;
      break;
    case 'b':
      base = 2;
      break;
    default:
      break;
  }
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  if (u == 0) digits = "0";
  while (u > 0) {
    digits.insert(digits.begin(), alphabet[u % static_cast<unsigned>(base)]);
    u /= static_cast<unsigned>(base);
  }
  if (spec.precision >= 0 && static_cast<int>(digits.size()) < spec.precision)
    digits.insert(0, static_cast<std::size_t>(spec.precision) - digits.size(), '0');
  if (spec.sharp && base == 16) digits = (upper ? "0X" : "0x") + digits;
  if (spec.sharp && base == 8) digits = "0" + digits;
  if (spec.verb == 'O') digits = "0o" + digits;
  std::string sign = negative ? "-" : spec.plus ? "+" : spec.space ? " " : "";
  return sign + digits;
}

std::string format_float_verb(double f, const Spec& spec) {
  char verb = spec.verb;
  if (verb == 'v') verb = 'g';
  std::string out;
  if ((verb == 'g' || verb == 'G') && spec.precision < 0) {
    out = format_float_g_shortest(f);
    if (verb == 'G')
      for (auto& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  } else {
    int precision = spec.precision < 0 ? 6 : spec.precision;
    std::string fmt = "%.";
    fmt += std::to_string(precision);
    fmt += (verb == 'F') ? 'f' : verb;
    char buf[512];
    std::snprintf(buf, sizeof buf, fmt.c_str(), f);
    out = buf;
  }
  if (spec.plus && out[0] != '-')
    out = "+" + out;
  else if (spec.space && out[0] != '-')
    out = " " + out;
  return out;
}

std::string hex_string(std::string_view s, bool upper) {
  const char* alphabet = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) {
    out += alphabet[c >> 4];
    out += alphabet[c & 15];
  }
  return out;
}

std::string format_with_spec(const Value& v, const Spec& spec);

std::string format_composite(const Value& v, const Spec& spec) {
  std::string out;
  if (v.is_list()) {
    out = "[";
    bool first = true;
    for (const auto& e : v.as_list()) {
      if (!first) out += ' ';
      first = false;
      out += format_with_spec(e, spec);
    }
    return out + "]";
  }
  out = "map[";
  bool first = true;
  for (const auto& [k, e] : v.as_dict()) {
    if (!first) out += ' ';
    first = false;
    out += format_with_spec(Value(k), spec) + ":" + format_with_spec(e, spec);
  }
  return out + "]";
}

std::string format_with_spec(const Value& v, const Spec& spec) {
  char verb = spec.verb;
  switch (v.kind()) {
    case Value::Kind::Nil:
      return verb == 'v' ? pad("<nil>", spec) : bad_verb(spec, v);
    case Value::Kind::Bool:
      if (verb == 'v' || verb == 't') return pad(v.as_bool() ? "true" : "false", spec);
      return bad_verb(spec, v);
    case Value::Kind::Int:
    case Value::Kind::Int64:
      switch (verb) {
        case 'v':
        case 'd':
        case 'x':
        case 'X':
        case 'o':
        case 'O':
        case 'b':
          return pad(format_integer(v.as_integer(), spec), spec, true);
        case 'c': {
          std::string out;
          base::append_utf8(out, static_cast<std::uint32_t>(v.as_integer()));
          return pad(out, spec);
        }
        case 'q': {
          std::string ch;
          ch += static_cast<char>(v.as_integer());
          std::string q = go_quote(ch);
          return pad("'" + q.substr(1, q.size() - 2) + "'", spec);
        }
        default:
          return bad_verb(spec, v);
      }
    case Value::Kind::Float:
      switch (verb) {
        case 'v':
        case 'g':
        case 'G':
        case 'e':
        case 'E':
        case 'f':
        case 'F':
          return pad(format_float_verb(v.as_float(), spec), spec, true);
        default:
          return bad_verb(spec, v);
      }
    case Value::Kind::String: {
      std::string s = v.as_string();
      switch (verb) {
        case 'v':
        case 's':
          if (spec.precision >= 0 && static_cast<int>(s.size()) > spec.precision)
            s.resize(static_cast<std::size_t>(spec.precision));
          return pad(s, spec);
        case 'q':
          return pad(spec.sharp && s.find('`') == std::string::npos ? "`" + s + "`" : go_quote(s), spec);
        case 'x':
          return pad(hex_string(s, false), spec);
        case 'X':
          return pad(hex_string(s, true), spec);
        default:
          return bad_verb(spec, v);
      }
    }
    case Value::Kind::Slice:
    case Value::Kind::Map:
      return format_composite(v, spec);
    case Value::Kind::Native:
      if (verb == 'v' || verb == 's') return pad(v.as_object().to_display(), spec);
      return bad_verb(spec, v);
  }
  return "";
}

}  // namespace

std::string format_float_shortest(double f) { return format_float_g_shortest(f); }

std::string format_value(const Value& v) { return format_with_spec(v, Spec{}); }

std::string sprint(std::span<const Value> args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0 && !args[i].is_string() && !args[i - 1].is_string()) out += ' ';
    out += format_value(args[i]);
  }
  return out;
}

std::string sprintln(std::span<const Value> args) {
  std::string out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) out += ' ';
    out += format_value(args[i]);
  }
  return out + "\n";
}

std::string sprintf(std::string_view format, std::span<const Value> args) {
  std::string out;
  std::size_t next_arg = 0;
  std::size_t i = 0;
  while (i < format.size()) {
    char c = format[i];
    if (c != '%') {
      out += c;
      ++i;
      continue;
    }
    ++i;
    Spec spec;
    for (; i < format.size(); ++i) {
      char f = format[i];
      if (f == '-')
        spec.minus = true;
      else if (f == '+')
        spec.plus = true;
      else if (f == '#')
        spec.sharp = true;
      else if (f == ' ')
        spec.space = true;
      else if (f == '0')
        spec.zero = !spec.minus;
      else
        break;
    }
    auto read_number = [&](int& target) {
      if (i < format.size() && format[i] == '*') {
        ++i;
        if (next_arg < args.size() && args[next_arg].is_integer())
          target = static_cast<int>(args[next_arg].as_integer());
        ++next_arg;
        return;
      }
      int n = -1;
      while (i < format.size() && format[i] >= '0' && format[i] <= '9') {
        n = (n < 0 ? 0 : n * 10) + (format[i] - '0');
        ++i;
      }
      target = n;
    };
    read_number(spec.width);
    if (i < format.size() && format[i] == '.') {
      ++i;
      read_number(spec.precision);
      if (spec.precision < 0) spec.precision = 0;
    }
    if (i >= format.size()) {
      out += "%!(NOVERB)";
      break;
    }
    spec.verb = format[i++];
    if (spec.verb == '%') {
      out += '%';
      continue;
    }
    if (next_arg >= args.size()) {
      out += "%!";
      out += spec.verb;
      out += "(MISSING)";
      continue;
    }
    out += format_with_spec(args[next_arg++], spec);
  }
  if (next_arg < args.size()) {
    out += "%!(EXTRA ";
    for (std::size_t k = next_arg; k < args.size(); ++k) {
      if (k > next_arg) out += ", ";
      out += args[k].is_nil() ? "<nil>" : go_type_name(args[k]) + "=" + format_value(args[k]);
    }
    out += ")";
  }
  return out;
}

std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\v':
        out += "\\v";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);  // UTF-8 passes through, as printable runes do in Go
        }
    }
  }
  return out + "\"";
}

}  // namespace kb::chart
