#include "pkg/base/yaml_parse.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/utf8.hpp"

#include <yaml.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
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

// Bounds on what a document may make us build. Nesting: consumers of the values (schema
// validation, coalescing, to_yaml) recurse, and libyaml's scanner checks every open flow level
// on each token. Aliases: each one copies its anchored node, so a few hundred bytes can expand
// exponentially ("billion laughs"); nodes and scalar bytes produced by aliases are both capped.
constexpr std::size_t kMaxDepth = 1000;
constexpr std::size_t kMaxAliasNodes = 1'000'000;
constexpr std::size_t kMaxAliasBytes = 64u << 20;

// A problem at a byte of `text`, located by line and column.
[[noreturn]] void fail_at_offset(std::string_view text, std::string_view source, std::size_t at,
                                 const std::string& problem) {
  at = std::min(at, text.size());
  std::size_t line_start = at == 0 ? std::string_view::npos : text.rfind('\n', at - 1);
  line_start = line_start == std::string_view::npos ? 0 : line_start + 1;
  throw YamlError(std::string(source), 1 + static_cast<int>(std::count(text.begin(), text.begin() + at, '\n')),
                  static_cast<int>(at - line_start) + 1, problem);
}

constexpr std::string_view kTagPrefix = "tag:yaml.org,2002:";

std::string_view tag_of(const yaml_char_t* tag) {
  return tag ? std::string_view(reinterpret_cast<const char*>(tag)) : std::string_view();
}

// libyaml's parser and its current event, released whatever happens.
class EventReader {
 public:
  explicit EventReader(std::string_view text) {
    if (!yaml_parser_initialize(&parser_)) throw std::bad_alloc();
    yaml_parser_set_input_string(&parser_, reinterpret_cast<const unsigned char*>(text.data()), text.size());
    yaml_parser_set_encoding(&parser_, YAML_UTF8_ENCODING);
  }
  ~EventReader() {
    if (has_event_) yaml_event_delete(&event_);
    yaml_parser_delete(&parser_);
  }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // The next event, or false with parser() describing the error.
  bool next() {
    if (has_event_) yaml_event_delete(&event_);
    has_event_ = yaml_parser_parse(&parser_, &event_) != 0;
    return has_event_;
  }
  const yaml_event_t& event() const { return event_; }
  const yaml_parser_t& parser() const { return parser_; }

 private:
  yaml_parser_t parser_{};
  yaml_event_t event_{};
  bool has_event_ = false;
};

// Turns libyaml's events into JSON values with an explicit stack (no recursion, whatever the
// nesting), typed as go-yaml v2 types them for sigs.k8s.io/yaml.
class DocumentBuilder {
 public:
  DocumentBuilder(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  std::vector<json::value> read() {
    EventReader reader(text_);
    std::vector<json::value> documents;
    while (true) {
      if (!reader.next()) fail_from(reader.parser());
      const yaml_event_t& e = reader.event();
      switch (e.type) {
        case YAML_STREAM_END_EVENT:
          return documents;
        case YAML_DOCUMENT_START_EVENT:
          anchors_.clear();
          root_.reset();
          break;
        case YAML_DOCUMENT_END_EVENT:
          // Like kubectl and Helm, a document that is empty or null holds nothing.
          if (root_ && !root_->is_null()) documents.push_back(std::move(*root_));
          break;
        case YAML_SCALAR_EVENT:
          scalar(e);
          break;
        case YAML_ALIAS_EVENT:
          alias(e);
          break;
        case YAML_SEQUENCE_START_EVENT:
          open(e, json::array(), e.data.sequence_start.anchor);
          break;
        case YAML_MAPPING_START_EVENT:
          open(e, json::object(), e.data.mapping_start.anchor);
          break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
          close();
          break;
        default:
          break;
      }
    }
  }

 private:
  // A sequence or mapping being built.
  struct Frame {
    json::value value;
    std::optional<std::string> key;  // a mapping's key waiting for its value
    bool merge = false;              // ... and that key is the merge key "<<"
    std::string anchor;
    std::size_t nodes_before = 0, bytes_before = 0;
    yaml_mark_t mark{};
  };
  // What an anchor names: its value, what copying it costs, and (for a scalar) its text as a key.
  struct Anchored {
    json::value value;
    std::size_t nodes = 0, bytes = 0;
    std::optional<std::string> key_text;
  };

  [[noreturn]] void fail(const yaml_mark_t& mark, const std::string& problem) const {
    throw YamlError(std::string(source_), static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1,
                    problem);
  }

  [[noreturn]] void fail_from(const yaml_parser_t& p) const {
    if (p.error == YAML_MEMORY_ERROR) throw std::bad_alloc();
    std::string problem = p.problem ? p.problem : "invalid YAML";
    if (p.error == YAML_READER_ERROR) {
      fail_at_offset(text_, source_, p.problem_offset, problem);  // the reader knows a byte, not a line
    }
    if (p.context) {
      problem += " (";
      problem += p.context;
      problem += " that starts at line " + std::to_string(p.context_mark.line + 1) + ", column " +
                 std::to_string(p.context_mark.column + 1) + ")";
    }
    fail(p.problem_mark, problem);
  }

  bool expecting_key() const {
    return !stack_.empty() && stack_.back().value.is_object() && !stack_.back().key.has_value();
  }

  void open(const yaml_event_t& e, json::value empty, const yaml_char_t* anchor) {
    if (expecting_key()) fail(e.start_mark, "mapping keys must be scalars, not sequences or mappings");
    if (stack_.size() >= kMaxDepth)
      fail(e.start_mark, "nesting deeper than " + std::to_string(kMaxDepth) + " sequences and mappings");
    ++nodes_;
    Frame f;
    f.value = std::move(empty);
    if (anchor) f.anchor = reinterpret_cast<const char*>(anchor);
    f.nodes_before = nodes_ - 1;
    f.bytes_before = bytes_;
    f.mark = e.start_mark;
    stack_.push_back(std::move(f));
  }

  void close() {
    Frame f = std::move(stack_.back());
    stack_.pop_back();
    if (!f.anchor.empty())
      anchors_[f.anchor] = Anchored{f.value, nodes_ - f.nodes_before, bytes_ - f.bytes_before, std::nullopt};
    add(std::move(f.value), f.mark);
  }

  void scalar(const yaml_event_t& e) {
    const auto& s = e.data.scalar;
    std::string_view text(reinterpret_cast<const char*>(s.value), s.length);
    ++nodes_;
    bytes_ += text.size();
    bool plain = s.style == YAML_PLAIN_SCALAR_STYLE;
    std::string_view tag = tag_of(s.tag);
    if (expecting_key()) {
      // Keys stay as written; a plain null key is "null" (what sigs.k8s.io/yaml writes for it).
      bool null_key = tag.empty() && plain && resolve_plain_scalar(text).is_null();
      std::string key = null_key ? "null" : std::string(text);
      bool merge = key == "<<" && ((plain && tag.empty()) || tag == "tag:yaml.org,2002:merge");
      if (s.anchor) anchors_[reinterpret_cast<const char*>(s.anchor)] = Anchored{json::value(key), 1, text.size(), key};
      stack_.back().key = std::move(key);
      stack_.back().merge = merge;
      return;
    }
    json::value v = typed_scalar(text, tag, plain, e.start_mark);
    if (s.anchor)
      anchors_[reinterpret_cast<const char*>(s.anchor)] = Anchored{v, 1, text.size(), std::string(text)};
    add(std::move(v), e.start_mark);
  }

  // go-yaml v2: an untagged plain scalar resolves (null, bool, int, float or string); an untagged
  // quoted or block scalar is a string; !!str, !!int, !!bool, !!float and !!null resolve the text
  // and refuse what is not of that type (an int is a fine !!float); !!binary is base64; any other
  // tag (custom ones, "!", !!timestamp as the JSON conversion keeps it) leaves the text a string.
  json::value typed_scalar(std::string_view text, std::string_view tag, bool plain, const yaml_mark_t& mark) const {
    if (tag.empty()) return plain ? resolve_plain_scalar(text) : json::value(json::string_view(text));
    if (!tag.starts_with(kTagPrefix)) return json::value(json::string_view(text));
    std::string_view type = tag.substr(kTagPrefix.size());
    if (type == "str" || type == "timestamp") return json::value(json::string_view(text));
    if (type == "binary") {
      auto bytes = base64_decode(text);
      if (!bytes) fail(mark, "!!binary value contains invalid base64 data");
      if (first_invalid_utf8(*bytes) != std::string::npos)
        fail(mark, "!!binary value is not UTF-8 text (JSON cannot hold other bytes)");
      return json::value(std::move(*bytes));
    }
    json::value v = resolve_plain_scalar(text);
    const char* wanted = nullptr;
    if (type == "int") {
      if (!v.is_int64()) wanted = "!!int";
    } else if (type == "float") {
      if (v.is_int64()) return json::value(static_cast<double>(v.as_int64()));
      if (!v.is_double()) wanted = "!!float";
    } else if (type == "bool") {
      if (!v.is_bool()) wanted = "!!bool";
    } else if (type == "null") {
      if (!v.is_null()) wanted = "!!null";
    } else {
      return json::value(json::string_view(text));
    }
    if (wanted) fail(mark, "cannot decode `" + std::string(text) + "` as a " + wanted);
    return v;
  }

  void alias(const yaml_event_t& e) {
    std::string name = reinterpret_cast<const char*>(e.data.alias.anchor);
    auto it = anchors_.find(name);
    if (it == anchors_.end()) {
      for (const auto& f : stack_) {
        if (f.anchor == name) fail(e.start_mark, "an alias refers to a node that contains it (*" + name + ")");
      }
      fail(e.start_mark, "unknown anchor '" + name + "' referenced");
    }
    const Anchored& a = it->second;
    alias_nodes_ += a.nodes;
    alias_bytes_ += a.bytes;
    if (alias_nodes_ > kMaxAliasNodes)
      fail(e.start_mark, "document contains excessive aliasing (aliases expand to more than " +
                             std::to_string(kMaxAliasNodes) + " nodes)");
    if (alias_bytes_ > kMaxAliasBytes)
      fail(e.start_mark, "document contains excessive aliasing (aliases expand to more than " +
                             std::to_string(kMaxAliasBytes) + " bytes of scalars)");
    nodes_ += a.nodes;
    bytes_ += a.bytes;
    if (expecting_key()) {
      if (!a.key_text) fail(e.start_mark, "mapping keys must be scalars, not sequences or mappings");
      stack_.back().key = *a.key_text;
      stack_.back().merge = false;
      return;
    }
    add(json::value(a.value), e.start_mark);
  }

  // A finished node: the document's root, a sequence's item, or a mapping's value.
  void add(json::value v, const yaml_mark_t& mark) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return;
    }
    Frame& top = stack_.back();
    if (top.value.is_array()) {
      top.value.as_array().push_back(std::move(v));
      return;
    }
    json::object& out = top.value.as_object();
    if (top.merge) {
      merge(out, v, mark);
    } else {
      out[*top.key] = std::move(v);  // a repeated key: the last one wins, as in go-yaml v2
    }
    top.key.reset();
    top.merge = false;
  }

  // "<<: *base" or "<<: [*a, *b]" (YAML 1.1 merge keys, as go-yaml v2 applies them): the merged
  // mappings' keys are set in order, earlier mappings of a list winning over later ones, and
  // keys written after the merge override it.
  void merge(json::object& out, const json::value& v, const yaml_mark_t& mark) const {
    const char* problem = "map merge requires map or sequence of maps as the value";
    if (v.is_object()) {
      for (const auto& [k, item] : v.as_object()) out[k] = item;
      return;
    }
    if (!v.is_array()) fail(mark, problem);
    const json::array& list = v.as_array();
    for (auto it = list.rbegin(); it != list.rend(); ++it) {
      if (!it->is_object()) fail(mark, problem);
      for (const auto& [k, item] : it->as_object()) out[k] = item;
    }
  }

  std::string_view text_;
  std::string_view source_;
  std::vector<Frame> stack_;
  std::optional<json::value> root_;
  std::map<std::string, Anchored, std::less<>> anchors_;
  std::size_t nodes_ = 0, bytes_ = 0;              // produced so far, aliases included
  std::size_t alias_nodes_ = 0, alias_bytes_ = 0;  // produced by aliases
};

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
  if (std::size_t bad = first_invalid_utf8(text); bad != std::string_view::npos)
    fail_at_offset(text, source, bad, "invalid UTF-8 (the text is not Unicode)");
  auto control = std::find_if(text.begin(), text.end(), [](char c) {
    auto byte = static_cast<unsigned char>(c);
    return (byte < 0x20 && c != '\t' && c != '\n' && c != '\r') || byte == 0x7f;
  });
  if (control != text.end())
    fail_at_offset(text, source, static_cast<std::size_t>(control - text.begin()), "control characters are not allowed");
  if (auto fast = FastBlockParser::parse(text)) return std::move(*fast);
  return parse_yaml_documents_with_libyaml(text, source);
}

std::optional<std::vector<json::value>> parse_simple_block_yaml(std::string_view text) {
  return FastBlockParser::parse(text);
}

std::vector<json::value> parse_yaml_documents_with_libyaml(std::string_view text, std::string_view source) {
  return DocumentBuilder(text, source).read();
}

}  // namespace kb::base
