#include "pkg/chart/yaml_emit.hpp"

#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/go_format.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

namespace kb::chart {
namespace {

constexpr int kBestWidth = 80;
constexpr int kIndentStep = 2;

// Decodes one UTF-8 code point at s[i]; sets `width` to its byte length.
std::uint32_t decode(std::string_view s, std::size_t i, std::size_t& width) {
  auto b = static_cast<unsigned char>(s[i]);
  if (b < 0x80 || i + 1 >= s.size()) {
    width = 1;
    return b;
  }
  int n = b >= 0xF0 ? 3 : b >= 0xE0 ? 2 : 1;
  std::uint32_t cp = b & (0x3F >> n);
  width = 1;
  for (int k = 1; k <= n && i + static_cast<std::size_t>(k) < s.size(); ++k) {
    cp = (cp << 6) | (static_cast<unsigned char>(s[i + static_cast<std::size_t>(k)]) & 0x3F);
    ++width;
  }
  return cp;
}

bool is_printable(std::uint32_t c) {
  return c == 0x0A || (c >= 0x20 && c <= 0x7E) || c == 0x85 || (c >= 0xA0 && c <= 0xD7FF) ||
         (c >= 0xE000 && c <= 0xFFFD && c != 0xFEFF) || (c >= 0x10000 && c <= 0x10FFFF);
}
bool is_break(std::uint32_t c) { return c == '\r' || c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029; }
bool is_space(std::uint32_t c) { return c == ' '; }
bool is_blank_or_end(std::string_view s, std::size_t i) {
  if (i >= s.size()) return true;
  char c = s[i];
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// What libyaml's analyze_scalar concludes about a string.
struct ScalarAnalysis {
  bool multiline = false;
  bool block_plain_allowed = true;
  bool single_quoted_allowed = true;
  bool block_allowed = true;
};

ScalarAnalysis analyze(std::string_view value) {
  ScalarAnalysis a;
  if (value.empty()) {
    a.block_plain_allowed = true;
    a.block_allowed = false;
    return a;
  }
  bool block_indicators = false, special = false, line_breaks = false;
  bool leading_space = false, leading_break = false, trailing_space = false, trailing_break = false;
  bool break_space = false, space_break = false, previous_space = false, previous_break = false;
  if (value.starts_with("---") || value.starts_with("...")) block_indicators = true;
  bool preceded_by_whitespace = true;
  for (std::size_t i = 0; i < value.size();) {
    std::size_t width = 1;
    std::uint32_t c = decode(value, i, width);
    bool followed_by_whitespace = is_blank_or_end(value, i + width);
    if (i == 0) {
      switch (c) {
        case '#':
        case ',':
        case '[':
        case ']':
        case '{':
        case '}':
        case '&':
        case '*':
        case '!':
        case '|':
        case '>':
        case '\'':
        case '"':
        case '%':
        case '@':
        case '`':
          block_indicators = true;
          break;
        case '?':
        case ':':
          if (followed_by_whitespace) block_indicators = true;
          break;
        case '-':
          if (followed_by_whitespace) block_indicators = true;
          break;
        default:
          break;
      }
    } else {
      if (c == ':' && followed_by_whitespace) block_indicators = true;
      if (c == '#' && preceded_by_whitespace) block_indicators = true;
    }
    if (!is_printable(c)) special = true;
    if (is_space(c)) {
      if (i == 0) leading_space = true;
      if (i + width == value.size()) trailing_space = true;
      if (previous_break) break_space = true;
      previous_space = true;
      previous_break = false;
    } else if (is_break(c)) {
      line_breaks = true;
      if (i == 0) leading_break = true;
      if (i + width == value.size()) trailing_break = true;
      if (previous_space) space_break = true;
      previous_space = false;
      previous_break = true;
    } else {
      previous_space = false;
      previous_break = false;
    }
    preceded_by_whitespace = is_blank_or_end(value, i);
    i += width;
  }
  a.multiline = line_breaks;
  if (leading_space || leading_break || trailing_space || trailing_break) a.block_plain_allowed = false;
  if (trailing_space) a.block_allowed = false;
  if (break_space) a.block_plain_allowed = a.single_quoted_allowed = false;
  if (space_break || special) a.block_plain_allowed = a.single_quoted_allowed = a.block_allowed = false;
  if (line_breaks) a.block_plain_allowed = false;
  if (block_indicators) a.block_plain_allowed = false;
  return a;
}

enum class Style { Plain, SingleQuoted, DoubleQuoted, Literal };

Style select_style(std::string_view s, bool simple_key) {
  Style style;
  if (s.find('\n') != std::string_view::npos)
    style = Style::Literal;
  else if (!yaml_string_needs_quotes(s))
    style = Style::Plain;
  else
    style = Style::DoubleQuoted;
  auto a = analyze(s);
  if (style == Style::Plain) {
    if (!a.block_plain_allowed) style = Style::SingleQuoted;
    if (s.empty() && simple_key) style = Style::SingleQuoted;
  }
  if (style == Style::SingleQuoted && !a.single_quoted_allowed) style = Style::DoubleQuoted;
  if (style == Style::Literal && (!a.block_allowed || simple_key)) style = Style::DoubleQuoted;
  return style;
}

class Emitter {
 public:
  std::string take() { return std::move(out_); }

  void node(const boost::json::value& v, int indent) {
    switch (v.kind()) {
      case boost::json::kind::object:
        mapping(v.get_object(), indent, false);
        break;
      case boost::json::kind::array:
        sequence(v.get_array(), indent, false);
        break;
      default:
        scalar(v, indent + kIndentStep);  // a root block scalar's lines are indented too
        out_ += '\n';
    }
  }

 private:
  int column() const {
    auto nl = out_.rfind('\n');
    std::string_view line = nl == std::string::npos ? std::string_view(out_) : std::string_view(out_).substr(nl + 1);
    int n = 0;
    for (unsigned char c : line)
      if ((c & 0xC0) != 0x80) ++n;
    return n;
  }

  void write_indent(int indent) {
    out_ += '\n';
    out_.append(static_cast<std::size_t>(indent), ' ');
  }

  static bool is_empty_collection(const boost::json::value& v) {
    return (v.is_object() && v.get_object().empty()) || (v.is_array() && v.get_array().empty());
  }

  // `inline_first`: the first entry continues a line that already holds "- ".
  void mapping(const boost::json::object& object, int indent, bool inline_first) {
    if (object.empty()) {
      out_ += "{}\n";
      return;
    }
    std::vector<const boost::json::key_value_pair*> entries;
    for (const auto& kv : object) entries.push_back(&kv);
    std::sort(entries.begin(), entries.end(), [](auto* x, auto* y) { return yaml_key_less(x->key(), y->key()); });
    bool first = true;
    for (const auto* kv : entries) {
      if (!(first && inline_first)) out_.append(static_cast<std::size_t>(indent), ' ');
      first = false;
      std::string_view key = kv->key();
      if (key.size() > 128 || key.find_first_of("\r\n") != std::string_view::npos) {
        // libyaml writes a key that is long or spans lines as an explicit "? key" / ": value" pair.
        out_ += "? ";
        string_scalar(key, indent + kIndentStep, false);
        out_ += '\n';
        out_.append(static_cast<std::size_t>(indent), ' ');
        out_ += ':';
        value_after_indicator(kv->value(), indent, false);
        continue;
      }
      string_scalar(key, indent + kIndentStep, true);
      out_ += ':';
      value_after_indicator(kv->value(), indent, true);
    }
  }

  void sequence(const boost::json::array& array, int indent, bool inline_first) {
    if (array.empty()) {
      out_ += "[]\n";
      return;
    }
    bool first = true;
    for (const auto& item : array) {
      if (!(first && inline_first)) out_.append(static_cast<std::size_t>(indent), ' ');
      first = false;
      out_ += '-';
      value_after_indicator(item, indent, false);
    }
  }

  // Writes what follows "key:" or "-".
  void value_after_indicator(const boost::json::value& v, int indent, bool in_mapping) {
    if (is_empty_collection(v) || !(v.is_object() || v.is_array())) {
      out_ += ' ';
      if (v.is_object())
        out_ += "{}\n";
      else if (v.is_array())
        out_ += "[]\n";
      else {
        scalar(v, indent + kIndentStep);
        out_ += '\n';
      }
      return;
    }
    if (in_mapping) {
      out_ += '\n';
      if (v.is_object())
        mapping(v.get_object(), indent + kIndentStep, false);
      else
        sequence(v.get_array(), indent, false);  // go-yaml does not indent a sequence under its key
    } else {
      out_ += ' ';
      if (v.is_object())
        mapping(v.get_object(), indent + kIndentStep, true);
      else
        sequence(v.get_array(), indent + kIndentStep, true);
    }
  }

  void scalar(const boost::json::value& v, int indent) {
    switch (v.kind()) {
      case boost::json::kind::null:
        out_ += "null";
        break;
      case boost::json::kind::bool_:
        out_ += v.get_bool() ? "true" : "false";
        break;
      case boost::json::kind::int64:
        out_ += std::to_string(v.get_int64());
        break;
      case boost::json::kind::uint64:
        out_ += std::to_string(v.get_uint64());
        break;
      case boost::json::kind::double_:
        out_ += yaml_float(v.get_double());
        break;
      case boost::json::kind::string:
        string_scalar(v.get_string(), indent, false);
        break;
      default:
        break;
    }
  }

  // encoding/json writes integral floats as integers, which go-yaml then reads back as ints.
  static std::string yaml_float(double d) {
    if (std::isnan(d)) return ".nan";
    if (std::isinf(d)) return d > 0 ? ".inf" : "-.inf";
    if (d == std::trunc(d) && std::fabs(d) < 9.2e18) return std::to_string(static_cast<std::int64_t>(d));
    return format_float_shortest(d);
  }

  void string_scalar(std::string_view s, int indent, bool simple_key) {
    switch (select_style(s, simple_key)) {
      case Style::Plain:
        plain(s, indent, !simple_key);
        break;
      case Style::SingleQuoted:
        single_quoted(s, indent, !simple_key);
        break;
      case Style::DoubleQuoted:
        double_quoted(s, indent, !simple_key);
        break;
      case Style::Literal:
        literal(s, indent);
        break;
    }
  }

  void plain(std::string_view s, int indent, bool allow_breaks) {
    bool spaces = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == ' ') {
        if (allow_breaks && !spaces && column() > kBestWidth && i + 1 < s.size() && s[i + 1] != ' ')
          write_indent(indent);
        else
          out_ += ' ';
        spaces = true;
      } else {
        out_ += s[i];
        spaces = false;
      }
    }
  }

  void single_quoted(std::string_view s, int indent, bool allow_breaks) {
    out_ += '\'';
    bool spaces = false;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] == ' ') {
        if (allow_breaks && !spaces && column() > kBestWidth && i != 0 && i + 1 < s.size() && s[i + 1] != ' ')
          write_indent(indent);
        else
          out_ += ' ';
        spaces = true;
      } else {
        if (s[i] == '\'') out_ += '\'';
        out_ += s[i];
        spaces = false;
      }
    }
    out_ += '\'';
  }

  void double_quoted(std::string_view s, int indent, bool allow_breaks) {
    out_ += '"';
    bool spaces = false;
    for (std::size_t i = 0; i < s.size();) {
      std::size_t width = 1;
      std::uint32_t c = decode(s, i, width);
      if (!is_printable(c) || c == 0xFEFF || is_break(c) || c == '"' || c == '\\') {
        out_ += '\\';
        switch (c) {
          case 0x00:
            out_ += '0';
            break;
          case 0x07:
            out_ += 'a';
            break;
          case 0x08:
            out_ += 'b';
            break;
          case 0x09:
            out_ += 't';
            break;
          case 0x0A:
            out_ += 'n';
            break;
          case 0x0B:
            out_ += 'v';
            break;
          case 0x0C:
            out_ += 'f';
            break;
          case 0x0D:
            out_ += 'r';
            break;
          case 0x1B:
            out_ += 'e';
            break;
          case '"':
            out_ += '"';
            break;
          case '\\':
            out_ += '\\';
            break;
          case 0x85:
            out_ += 'N';
            break;
          case 0xA0:
            out_ += '_';
            break;
          case 0x2028:
            out_ += 'L';
            break;
          case 0x2029:
            out_ += 'P';
            break;
          default: {
            char buf[16];
            if (c <= 0xFF)
              std::snprintf(buf, sizeof buf, "x%02X", c);
            else if (c <= 0xFFFF)
              std::snprintf(buf, sizeof buf, "u%04X", c);
            else
              std::snprintf(buf, sizeof buf, "U%08X", c);
            out_ += buf;
          }
        }
        spaces = false;
      } else if (c == ' ') {
        if (allow_breaks && !spaces && column() > kBestWidth && i != 0 && i + 1 != s.size()) {
          write_indent(indent);
          if (i + 1 < s.size() && s[i + 1] == ' ') out_ += '\\';
        } else {
          out_ += ' ';
        }
        spaces = true;
      } else {
        out_.append(s.substr(i, width));
        spaces = false;
      }
      i += width;
    }
    out_ += '"';
  }

  void literal(std::string_view s, int indent) {
    out_ += '|';
    if (!s.empty() && (s[0] == ' ' || s[0] == '\n')) out_ += std::to_string(kIndentStep);
    if (s.empty() || s.back() != '\n')
      out_ += '-';
    else if (s.size() == 1 || s[s.size() - 2] == '\n')
      out_ += '+';
    out_ += '\n';
    std::string_view body = s;
    if (!body.empty() && body.back() == '\n') body.remove_suffix(1);
    std::size_t start = 0;
    while (true) {
      auto nl = body.find('\n', start);
      std::string_view line = body.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
      if (!line.empty()) out_.append(static_cast<std::size_t>(indent), ' ').append(line);
      if (nl == std::string_view::npos) break;
      out_ += '\n';
      start = nl + 1;
    }
    // The caller ends the last line.
  }

  std::string out_;
};

bool is_letter(std::uint32_t c) {
  if (c < 0x80) return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  return true;  // approximation: non-ASCII code points are treated as letters
}
bool is_digit(std::uint32_t c) { return c >= '0' && c <= '9'; }

std::vector<std::uint32_t> runes(std::string_view s) {
  std::vector<std::uint32_t> out;
  for (std::size_t i = 0; i < s.size();) {
    std::size_t width = 1;
    out.push_back(decode(s, i, width));
    i += width;
  }
  return out;
}

}  // namespace

bool yaml_key_less(std::string_view a_text, std::string_view b_text) {
  auto ar = runes(a_text), br = runes(b_text);
  for (std::size_t i = 0; i < ar.size() && i < br.size(); ++i) {
    if (ar[i] == br[i]) continue;
    bool al = is_letter(ar[i]), bl = is_letter(br[i]);
    if (al && bl) return ar[i] < br[i];
    if (al || bl) return bl;
    std::int64_t an = 0, bn = 0;
    if (ar[i] == '0' || br[i] == '0') {
      for (std::size_t j = i; j-- > 0 && is_digit(ar[j]);) {
        if (ar[j] != '0') {
          an = 1;
          bn = 1;
          break;
        }
      }
    }
    std::size_t ai = i, bi = i;
    for (; ai < ar.size() && is_digit(ar[ai]); ++ai) an = an * 10 + static_cast<std::int64_t>(ar[ai] - '0');
    for (; bi < br.size() && is_digit(br[bi]); ++bi) bn = bn * 10 + static_cast<std::int64_t>(br[bi] - '0');
    if (an != bn) return an < bn;
    if (ai != bi) return ai < bi;
    return ar[i] < br[i];
  }
  return ar.size() < br.size();
}

namespace {

// Hand-written matchers for the forms below (each matches the whole string, like std::regex_match
// on the pattern in its comment). std::regex would cost ~10M instructions just to compile them,
// several times the rest of a `kubectl bitcoin template` run.
bool digit(char c) { return c >= '0' && c <= '9'; }
bool digit_or_underscore(char c) { return digit(c) || c == '_'; }
bool hex_or_underscore(char c) { return digit_or_underscore(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

std::string_view skip_sign(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s;
}

// Length of the run of characters from `from` satisfying `pred`.
template <typename Pred>
std::size_t run(std::string_view s, std::size_t from, Pred pred) {
  std::size_t i = from;
  while (i < s.size() && pred(s[i])) ++i;
  return i - from;
}

// [-+]?0[oObBxX][0-9a-fA-F_]+|[-+]?[0-9][0-9_]*
bool go_integer(std::string_view s) {
  s = skip_sign(s);
  if (s.size() >= 3 && s[0] == '0' && std::string_view("oObBxX").find(s[1]) != std::string_view::npos &&
      run(s, 2, hex_or_underscore) == s.size() - 2)
    return true;
  return !s.empty() && digit(s[0]) && run(s, 1, digit_or_underscore) == s.size() - 1;
}

// [-+]?([0-9][0-9_]*)?\.?[0-9_]+([eE][-+]?[0-9]+)?
bool go_float(std::string_view s) {
  s = skip_sign(s);
  std::string_view mantissa = s;
  if (auto e = s.find_first_of("eE"); e != std::string_view::npos) {
    mantissa = s.substr(0, e);
    std::string_view exponent = skip_sign(s.substr(e + 1));
    if (exponent.empty() || run(exponent, 0, digit) != exponent.size()) return false;
  }
  auto dot = mantissa.find('.');
  if (dot == std::string_view::npos)
    return !mantissa.empty() && run(mantissa, 0, digit_or_underscore) == mantissa.size();
  std::string_view before = mantissa.substr(0, dot), after = mantissa.substr(dot + 1);
  if (!before.empty() && !(digit(before[0]) && run(before, 1, digit_or_underscore) == before.size() - 1)) return false;
  return !after.empty() && run(after, 0, digit_or_underscore) == after.size();
}

// [0-9]{4}-[0-9]{1,2}-[0-9]{1,2}(([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?([
// \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?))?)?
bool timestamp(std::string_view s) {
  auto blank = [](char c) { return c == ' ' || c == '\t'; };
  std::size_t i = 0;
  // `n` digits, exactly or (with `up_to`) one to n.
  auto digits = [&](std::size_t n, bool up_to) {
    std::size_t k = run(s, i, digit);
    if (up_to ? (k < 1 || k > n) : k != n) return false;
    i += k;
    return true;
  };
  auto literal = [&](char c) {
    if (i >= s.size() || s[i] != c) return false;
    ++i;
    return true;
  };
  if (!digits(4, false) || !literal('-') || !digits(2, true) || !literal('-') || !digits(2, true)) return false;
  if (i == s.size()) return true;
  if (s[i] == 'T' || s[i] == 't')
    ++i;
  else if (std::size_t k = run(s, i, blank); k > 0)
    i += k;
  else
    return false;
  if (!digits(2, true) || !literal(':') || !digits(2, false) || !literal(':') || !digits(2, false)) return false;
  if (literal('.')) i += run(s, i, digit);
  if (i == s.size()) return true;
  i += run(s, i, blank);
  if (literal('Z')) return i == s.size();
  if (!literal('-') && !literal('+')) return false;
  if (!digits(2, true)) return false;
  if (i == s.size()) return true;
  return literal(':') && digits(2, false) && i == s.size();
}

// [-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\.[0-9_]*)?
bool base60(std::string_view s) {
  s = skip_sign(s);
  if (s.empty() || !digit(s[0])) return false;
  std::size_t i = 1 + run(s, 1, digit_or_underscore);
  bool group = false;
  while (i < s.size() && s[i] == ':') {
    std::size_t k = run(s, i + 1, digit);
    if (k == 0 || k > 2 || (k == 2 && s[i + 1] > '5')) return false;
    i += 1 + k;
    group = true;
  }
  if (!group) return false;
  if (i == s.size()) return true;
  return s[i] == '.' && run(s, i + 1, digit_or_underscore) == s.size() - i - 1;
}

}  // namespace

bool yaml_string_needs_quotes(std::string_view s) {
  if (s.empty()) return true;  // resolves to null
  if (!kb::base::resolve_plain_scalar(s).is_string()) return true;
  // Forms go-yaml v2 also resolves to non-strings: Go's base-prefixed integers with underscores,
  // timestamps, and YAML 1.1 sexagesimal floats.
  // The remaining forms all start with a digit, a sign or a dot; most strings are ruled out here.
  char first = s[0];
  if (!((first >= '0' && first <= '9') || first == '-' || first == '+' || first == '.')) return false;
  if (s.find_first_of("0123456789") == std::string_view::npos) return false;
  return go_integer(s) || go_float(s) || timestamp(s) || base60(s);
}

std::string to_yaml(const boost::json::value& v) {
  Emitter emitter;
  emitter.node(v, 0);
  return emitter.take();
}

std::string helm_to_yaml(const Value& v) {
  std::string out = to_yaml(to_json(v));
  if (!out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

}  // namespace kb::chart
