#include "pkg/base/yaml_parse.hpp"

#include "pkg/base/utf8.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
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

// yaml-cpp node graph -> JSON. Aliases share nodes, so the graph may be a cycle ("a: &a [*a]") or
// expand exponentially (each level aliasing the previous one twice): both end in a YamlError, as
// go-yaml's "excessive aliasing" check does, instead of a stack overflow or memory exhaustion.
class Converter {
 public:
  // A document of `text_size` bytes has fewer nodes than bytes unless aliases repeat nodes.
  Converter(std::string_view source, std::size_t text_size) : source_(source), budget_(text_size + 1'000'000) {}

  json::value convert(const YAML::Node& node) {
    if (budget_-- == 0) fail(node, "document contains excessive aliasing");
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        return nullptr;
      case YAML::NodeType::Scalar:
        return convert_scalar(node);
      case YAML::NodeType::Sequence: {
        enter(node);
        json::array out;
        out.reserve(node.size());
        for (const auto& item : node) out.push_back(convert(item));
        path_.pop_back();
        return out;
      }
      case YAML::NodeType::Map: {
        enter(node);
        json::object out;
        for (const auto& entry : node) {
          const YAML::Node& key = entry.first;
          if (!key.IsScalar() && !key.IsNull()) fail(key, "mapping keys must be scalars");
          out[key.IsNull() ? "null" : key.Scalar()] = convert(entry.second);
        }
        path_.pop_back();
        return out;
      }
    }
    return nullptr;
  }

 private:
  [[noreturn]] void fail(const YAML::Node& node, const std::string& problem) const {
    throw YamlError(std::string(source_), node.Mark().line + 1, node.Mark().column + 1, problem);
  }
  // A collection inside itself (through an alias) would never end.
  void enter(const YAML::Node& node) {
    for (const auto& outer : path_) {
      if (outer.is(node)) fail(node, "an alias refers to a node that contains it");
    }
    path_.push_back(node);
  }

  std::string_view source_;
  std::size_t budget_;
  std::vector<YAML::Node> path_;
};

// yaml-cpp 0.7 loops allocating memory until std::bad_alloc on a document that is a flow
// collection followed by a comma ("{a},", "[[1]],"), and loops forever on a document whose node
// starts with a comma (",", "--- !!str ,") or is a quoted scalar followed by one ("\"a\",",
// "'a'\n,"), found by test/fuzz: reject these shapes before it gets there.
void reject_yaml_cpp_endless_loops(std::string_view text, std::string_view source) {
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
    if (c == '#' || (c == '%' && i == line_start)) {  // a comment, a directive
      while (i < text.size() && text[i] != '\n') ++i;
      --i;
      continue;
    }
    if (c == '!' || c == '&') {  // the node's tag or anchor (yaml-cpp ends them at a comma too)
      while (i + 1 < text.size() && text[i + 1] != ' ' && text[i + 1] != '\t' && text[i + 1] != '\n' &&
             text[i + 1] != ',')
        ++i;
      if (i + 1 < text.size() && text[i + 1] == ',')
        throw YamlError(std::string(source), line, static_cast<int>(i + 1 - line_start) + 1,
                        "did not find expected node content (a node cannot start with ',')");
      continue;
    }
    if (c == ',' && (i == line_start || text[i - 1] != '-')) {  // "-," is a plain scalar
      throw YamlError(std::string(source), line, static_cast<int>(i - line_start) + 1,
                      "did not find expected node content (a node cannot start with ',')");
    }
    at_document_start = false;
    // The end of a top-level flow collection or quoted scalar.
    std::size_t j = i;
    if (c == '{' || c == '[') {
      int depth = 0;
      char quote = 0;
      for (; j < text.size(); ++j) {
        char d = text[j];
        if (quote) {
          if (d == quote) quote = 0;
          continue;
        }
        if (d == '"' || d == '\'')
          quote = d;
        else if (d == '{' || d == '[')
          ++depth;
        else if ((d == '}' || d == ']') && --depth == 0)
          break;
      }
    } else if (c == '"' || c == '\'') {
      for (j = i + 1; j < text.size(); ++j) {
        if (c == '"' && text[j] == '\\') {
          ++j;
        } else if (text[j] == c) {
          if (c == '\'' && j + 1 < text.size() && text[j + 1] == '\'') {
            ++j;  // '' is a quote inside a single-quoted scalar
          } else {
            break;
          }
        }
      }
    } else {
      continue;
    }
    if (j >= text.size()) continue;
    // What follows it, across blank lines and comments.
    std::size_t k = j + 1;
    while (k < text.size()) {
      if (text[k] == ' ' || text[k] == '\t' || text[k] == '\r' || text[k] == '\n') {
        ++k;
      } else if (text[k] == '#' && (text[k - 1] == ' ' || text[k - 1] == '\t' || text[k - 1] == '\n')) {
        while (k < text.size() && text[k] != '\n') ++k;
      } else {
        break;
      }
    }
    if (k < text.size() && text[k] == ',') {
      std::size_t comma_line_start = text.rfind('\n', k) == std::string_view::npos ? 0 : text.rfind('\n', k) + 1;
      int comma_line = line + static_cast<int>(std::count(text.begin() + i, text.begin() + k, '\n'));
      throw YamlError(std::string(source), comma_line, static_cast<int>(k - comma_line_start) + 1,
                      "unexpected ',' after the node at the top of a document");
    }
    // Another quoted scalar or flow collection right after it ("\"\"\"\","): yaml-cpp reads that
    // as a next node, so look at it the same way.
    if (k < text.size() && (text[k] == '"' || text[k] == '\'' || text[k] == '{' || text[k] == '[')) {
      line += static_cast<int>(std::count(text.begin() + i, text.begin() + k, '\n'));
      if (auto nl = text.rfind('\n', k); nl != std::string_view::npos && nl >= i) line_start = nl + 1;
      at_document_start = true;
      i = k - 1;
    }
  }
}

// yaml-cpp 0.7 also loops forever on a ',' that starts a line inside a block collection
// ("- a\n b\n,"): outside flow collections a ',' cannot start a token, so such a line is refused.
// Quoted scalars (started where a node starts), comments and block scalars ("|", ">") are skipped;
// brackets count only where a node starts, so a plain scalar's "[" can only make this check miss.
void reject_comma_lines_in_block_context(std::string_view text, std::string_view source) {
  int depth = 0;
  char quote = 0;
  int line = 1;
  std::size_t line_start = 0;
  int block_scalar_indent = -1;  // the header line's indentation while inside a block scalar
  char previous = '\n';          // the last character that is not a space
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\n') {
      ++line;
      line_start = i + 1;
      if (!quote) previous = '\n';
      // Inside a block scalar: skip the lines indented deeper than its header (and blank ones).
      if (block_scalar_indent >= 0) {
        std::size_t k = line_start;
        while (k < text.size() && text[k] == ' ') ++k;
        if (k < text.size() && text[k] != '\n' && static_cast<int>(k - line_start) <= block_scalar_indent)
          block_scalar_indent = -1;
      }
      continue;
    }
    if (block_scalar_indent >= 0) continue;
    if (quote) {
      if (quote == '"' && c == '\\') {
        ++i;
      } else if (c == quote) {
        if (quote == '\'' && i + 1 < text.size() && text[i + 1] == '\'') {
          ++i;
        } else {
          quote = 0;
          previous = c;
        }
      }
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') continue;
    bool node_start = previous == '\n' || previous == ':' || previous == '-' || previous == '?' || previous == '[' ||
                      previous == '{' || previous == ',';
    bool after_space = i > 0 && (text[i - 1] == ' ' || text[i - 1] == '\t');
    if (c == '#' && (i == line_start || after_space)) {
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (node_start && (c == '"' || c == '\'')) {
      quote = c;
    } else if (node_start && (c == '[' || c == '{')) {
      ++depth;
    } else if (depth > 0 && (c == ']' || c == '}')) {
      --depth;
    } else if (c == ',' && depth == 0 && previous == '\n') {
      throw YamlError(std::string(source), line, static_cast<int>(i - line_start) + 1,
                      "did not find expected node content (a line cannot start with ',' outside a flow collection)");
    } else if (depth == 0 && (c == '|' || c == '>') && (previous == ':' || previous == '-' || previous == '\n')) {
      // A block scalar header ("|", ">-", "|2"): the content starts on the next line.
      std::size_t k = i + 1;
      while (k < text.size() && text[k] != '\n' && text[k] != ' ' && text[k] != '#') ++k;
      std::size_t indent = 0;
      while (line_start + indent < text.size() && text[line_start + indent] == ' ') ++indent;
      block_scalar_indent = static_cast<int>(indent);
      i = k - 1;
    }
    previous = c;
  }
}

// A fast path for the block YAML that templates render and values files hold: block mappings and
// sequences, one-line plain and quoted scalars, one-line flow sequences of scalars, comments.
// yaml-cpp's scanner costs ~2000 instructions a byte, most of a `kubectl bitcoin template` run.
// Anything outside that subset (anchors, tags, block or multi-line scalars, escapes, flow maps,
// "---", tabs, non-ASCII, odd indentation, ...) makes it give up, and yaml-cpp parses the text as
// before, so errors and every unusual form keep yaml-cpp's behaviour. Typing is the same
// (resolve_plain_scalar for plain scalars, strings for quoted ones).
class FastBlockParser {
 public:
  // nullopt: not in the subset. An empty vector: only comments and blank lines.
  static std::optional<std::vector<json::value>> parse(std::string_view text) {
    FastBlockParser p;
    if (!p.split(text)) return std::nullopt;
    std::vector<json::value> out;
    if (p.lines_.empty()) return out;
    out.push_back(p.node(p.lines_[0].indent));
    if (!p.ok_ || p.pos_ != p.lines_.size()) return std::nullopt;
    return out;
  }

 private:
  struct Line {
    std::size_t indent;
    std::string_view text;  // after the indentation, trailing blanks removed
    std::size_t raw;        // index in raw_
  };

  // Giving up is a flag, not an exception: the first throw in this large static binary costs
  // more than the whole parse (the unwinder indexes every frame description first).
  json::value give_up() {
    ok_ = false;
    return nullptr;
  }

  bool split(std::string_view text) {
    last_line_terminated_ = text.empty() || text.back() == '\n';
    std::size_t start = 0;
    while (start < text.size()) {
      std::size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      std::string_view line = text.substr(start, nl - start);
      start = nl + 1;
      raw_.push_back(line);
      for (char c : line) {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u >= 0x7f) return false;  // tabs, CR, control characters, non-ASCII
      }
      if (line.starts_with("---") || line.starts_with("...") || line.starts_with("%")) return false;
      std::size_t indent = line.find_first_not_of(' ');
      if (indent == std::string_view::npos || line[indent] == '#') continue;
      std::size_t end = line.find_last_not_of(' ');
      lines_.push_back({indent, line.substr(indent, end + 1 - indent), raw_.size() - 1});
    }
    return true;
  }

  static bool is_sequence_item(std::string_view t) { return t[0] == '-' && (t.size() == 1 || t[1] == ' '); }

  // Where a plain "key:" ends (the ':' followed by a space or the end of the line), or npos.
  static std::size_t key_separator(std::string_view t) {
    if (t[0] == '"' || t[0] == '\'') return std::string_view::npos;
    for (std::size_t i = 0; i < t.size(); ++i) {
      if (t[i] == '#' && i > 0 && t[i - 1] == ' ') return std::string_view::npos;
      if (t[i] == ':' && (i + 1 == t.size() || t[i + 1] == ' ')) return i;
    }
    return std::string_view::npos;
  }

  // Rest of a line after a value: nothing, or a comment after a blank.
  static bool line_ends(std::string_view rest) {
    std::size_t i = rest.find_first_not_of(' ');
    return i == std::string_view::npos || (i > 0 && rest[i] == '#');
  }

  bool deeper_line_follows(std::size_t indent) const { return pos_ < lines_.size() && lines_[pos_].indent > indent; }

  json::value node(std::size_t indent) {
    json::value v = is_sequence_item(lines_[pos_].text) ? sequence(indent) : mapping(indent);
    if (deeper_line_follows(indent)) return give_up();
    return v;
  }

  // The value of a "key:" or "-" with nothing after it: a deeper block, a sequence at the key's
  // own indentation, or null.
  json::value nested_or_null(std::size_t indent, bool sequence_at_same_indent) {
    if (pos_ < lines_.size()) {
      const Line& next = lines_[pos_];
      if (next.indent > indent) return node(next.indent);
      if (sequence_at_same_indent && next.indent == indent && is_sequence_item(next.text)) return sequence(indent);
    }
    return nullptr;
  }

  json::value sequence(std::size_t indent) {
    json::array out;
    while (ok_ && pos_ < lines_.size() && lines_[pos_].indent == indent && is_sequence_item(lines_[pos_].text)) {
      Line& line = lines_[pos_];
      std::string_view rest = line.text.substr(1);
      std::size_t spaces = rest.find_first_not_of(' ');
      if (spaces == std::string_view::npos || rest[spaces] == '#') {
        ++pos_;
        out.push_back(nested_or_null(indent, false));
        continue;
      }
      rest.remove_prefix(spaces);
      if (is_sequence_item(rest)) return give_up();
      if (key_separator(rest) != std::string_view::npos) {
        // "- key: value": a mapping whose keys line up with this first one.
        line.indent = indent + 1 + spaces;
        line.text = rest;
        out.push_back(mapping(line.indent));
      } else {
        ++pos_;
        out.push_back(scalar(rest, indent + 2));
      }
      if (deeper_line_follows(indent)) return give_up();
    }
    return out;
  }

  static bool simple_key(std::string_view key) {
    if (key.empty() || key.size() > 1000 || key.back() == ' ') return false;
    if (std::string_view("-?:,[]{}#&*!|>'\"%@`").find(key[0]) != std::string_view::npos) return false;
    if (key.find_first_of("[]{}'\"#") != std::string_view::npos) return false;
    return !(key == "~" || key == "null" || key == "Null" || key == "NULL" || key == "<<");
  }

  json::value mapping(std::size_t indent) {
    // Room for every key at this indentation up front: growing an object rehashes it.
    std::size_t keys = 0;
    for (std::size_t j = pos_; j < lines_.size() && lines_[j].indent >= indent; ++j)
      keys += lines_[j].indent == indent && !is_sequence_item(lines_[j].text);
    json::object out(keys);
    while (ok_ && pos_ < lines_.size() && lines_[pos_].indent == indent) {
      std::string_view t = lines_[pos_].text;
      if (is_sequence_item(t)) return give_up();
      std::size_t colon = key_separator(t);
      if (colon == std::string_view::npos) return give_up();
      std::string_view key = t.substr(0, colon);
      if (!simple_key(key) || out.contains(key)) return give_up();
      std::string_view rest = t.substr(colon + 1);
      std::size_t spaces = rest.find_first_not_of(' ');
      ++pos_;
      json::value v;
      if (spaces == std::string_view::npos || rest[spaces] == '#') {
        v = nested_or_null(indent, true);
      } else {
        v = scalar(rest.substr(spaces), indent + 1);
        if (deeper_line_follows(indent)) return give_up();
      }
      out.emplace(key, std::move(v));
    }
    return out;
  }

  // A quoted scalar at the start of `t`, closed on this line and without escapes; `t` is left
  // after its closing quote.
  bool quoted(std::string_view& t, std::string& out) {
    char q = t[0];
    for (std::size_t i = 1; i < t.size(); ++i) {
      char c = t[i];
      if (q == '"' && c == '\\') break;
      if (c == q) {
        if (q == '\'' && i + 1 < t.size() && t[i + 1] == '\'') {
          out += '\'';
          ++i;
          continue;
        }
        t.remove_prefix(i + 1);
        return true;
      }
      out += c;
    }
    ok_ = false;
    return false;
  }

  json::value plain(std::string_view text) {
    if (text.empty()) return give_up();
    if (std::string_view("?:,[]{}#&*!|>'\"%@`").find(text[0]) != std::string_view::npos) return give_up();
    if (text[0] == '-' && (text.size() == 1 || text[1] == ' ')) return give_up();
    if (text.starts_with("---") || text.starts_with("...")) return give_up();
    if (text.back() == ':' || text.find(": ") != std::string_view::npos) return give_up();
    if (text.find_first_of("[]{}") != std::string_view::npos) return give_up();
    return resolve_plain_scalar(text);
  }

  // A literal block scalar ("|" or "|-") whose header is the line before lines_[pos_]: lines
  // indented at least as much as its first line (at least `min_indent`). Blank lines inside it,
  // leading or trailing blank lines, indentation indicators and "|+" are left to yaml-cpp.
  json::value literal_block(std::string_view header, std::size_t min_indent) {
    bool strip = header == "|-";
    if (!strip && header != "|") return give_up();
    std::size_t first = lines_[pos_ - 1].raw + 1;
    if (first >= raw_.size()) return give_up();
    std::size_t indent = raw_[first].find_first_not_of(' ');
    if (indent == std::string_view::npos || indent < min_indent) return give_up();
    std::string out;
    std::size_t r = first;
    for (; r < raw_.size(); ++r) {
      std::string_view line = raw_[r];
      if (line.empty()) {
        out += '\n';
        continue;
      }
      std::size_t spaces = line.find_first_not_of(' ');
      if (spaces == std::string_view::npos) return give_up();  // a line of only spaces
      if (spaces < indent) break;
      out.append(line.substr(indent));
      out += '\n';
    }
    if (raw_[r - 1].empty()) return give_up();  // trailing blank lines: chomping rules
    if (r == raw_.size() && !last_line_terminated_) return give_up();
    if (strip) out.pop_back();
    while (pos_ < lines_.size() && lines_[pos_].raw < r) ++pos_;
    return json::value(std::move(out));
  }

  // A value on the rest of a line: a quoted or plain scalar, "[]", "{}", or a one-line flow
  // sequence of scalars.
  json::value scalar(std::string_view t, std::size_t min_block_indent) {
    if (t[0] == '|') return literal_block(t, min_block_indent);
    if (t[0] == '"' || t[0] == '\'') {
      std::string s;
      if (!quoted(t, s) || !line_ends(t)) return give_up();
      return json::value(std::move(s));
    }
    if (t[0] == '{') {
      if (t.size() < 2 || t[1] != '}' || !line_ends(t.substr(2))) return give_up();
      return json::object();
    }
    if (t[0] == '[') return flow_sequence(t);
    std::size_t comment = t.find(" #");
    std::string_view text = t.substr(0, comment);
    text = text.substr(0, text.find_last_not_of(' ') + 1);
    return plain(text);
  }

  json::value flow_sequence(std::string_view t) {
    json::array out;
    t.remove_prefix(1);
    auto skip_spaces = [&] { t.remove_prefix(std::min(t.size(), t.find_first_not_of(' '))); };
    skip_spaces();
    if (!t.empty() && t[0] == ']') {
      if (!line_ends(t.substr(1))) return give_up();
      return out;
    }
    while (ok_) {
      skip_spaces();
      if (t.empty()) return give_up();
      if (t[0] == '"' || t[0] == '\'') {
        std::string s;
        if (!quoted(t, s)) return give_up();
        out.emplace_back(std::move(s));
      } else {
        std::size_t end = t.find_first_of(",]");
        if (end == std::string_view::npos) return give_up();
        std::string_view text = t.substr(0, end);
        text = text.substr(0, text.find_last_not_of(' ') + 1);
        if (text.find_first_of(":#") != std::string_view::npos) return give_up();
        out.push_back(plain(text));
        t.remove_prefix(end);
      }
      skip_spaces();
      if (t.empty()) return give_up();
      if (t[0] == ']') {
        if (!line_ends(t.substr(1))) return give_up();
        return out;
      }
      if (t[0] != ',') return give_up();
      t.remove_prefix(1);
    }
    return give_up();
  }

  std::vector<std::string_view> raw_;
  std::vector<Line> lines_;
  bool last_line_terminated_ = true;
  std::size_t pos_ = 0;
  bool ok_ = true;
};

[[noreturn]] void rethrow(const YAML::Exception& e, std::string_view source) {
  throw YamlError(std::string(source), e.mark.line + 1, e.mark.column + 1, e.msg);
}

}  // namespace

json::value resolve_plain_scalar(std::string_view s) {
  // Most scalars are words: one starting with a letter and longer than "false" is none of the
  // null or bool spellings, and no integer or float (those start with a digit, a sign or a dot).
  if (s.size() > 5 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return json::value(json::string_view(s.data(), s.size()));
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
  // YAML is printable Unicode text; go-yaml refuses other bytes too (and yaml-cpp would pass them
  // on, or turn "\0N" into a byte that is not UTF-8).
  auto refuse = [&](std::size_t at, const char* problem) {
    std::size_t line_start = text.rfind('\n', at) == std::string_view::npos ? 0 : text.rfind('\n', at) + 1;
    throw YamlError(std::string(source), 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n')),
                    static_cast<int>(at - line_start) + 1, problem);
  };
  if (std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos)
    refuse(bad, "invalid UTF-8 (the text is not Unicode)");
  auto control = std::find_if(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7f;
  });
  if (control != text.end())
    refuse(static_cast<std::size_t>(control - text.begin()), "control characters are not allowed");
  if (auto fast = FastBlockParser::parse(text)) return std::move(*fast);
  return parse_yaml_documents_with_yaml_cpp(text, source);
}

std::optional<std::vector<json::value>> parse_simple_block_yaml(std::string_view text) {
  return FastBlockParser::parse(text);
}

std::vector<json::value> parse_yaml_documents_with_yaml_cpp(std::string_view text, std::string_view source) {
  std::vector<json::value> out;
  reject_yaml_cpp_endless_loops(text, source);
  reject_comma_lines_in_block_context(text, source);
  try {
    for (const auto& doc : YAML::LoadAll(std::string(text))) {
      if (doc.IsNull() || !doc.IsDefined()) continue;
      out.push_back(Converter(source, text.size()).convert(doc));
    }
  } catch (const YAML::Exception& e) {
    rethrow(e, source);
  }
  return out;
}

}  // namespace kb::base
