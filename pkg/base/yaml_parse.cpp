#include "pkg/base/yaml_parse.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/utf8.hpp"

#include <yaml.h>

#include <algorithm>
#include <charconv>
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

std::string without_underscores(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != '_') out.push_back(c);
  }
  return out;
}

// An integer as go-yaml v2 reads one (strconv.ParseInt/ParseUint with base 0 after removing
// '_'): decimal, 0x hex, 0o or leading-0 octal, 0b binary, with a sign; int64, or uint64 above it.
std::optional<json::value> parse_integer(std::string_view s) {
  std::string text = without_underscores(s);
  std::string_view digits = text;
  bool negative = false;
  if (!digits.empty() && (digits[0] == '+' || digits[0] == '-')) {
    negative = digits[0] == '-';
    digits.remove_prefix(1);
  }
  auto prefixed = [&](char letter) {
    return digits.size() > 2 && digits[0] == '0' && (digits[1] == letter || digits[1] == letter - 'a' + 'A');
  };
  int base = prefixed('x') ? 16 : prefixed('o') ? 8 : prefixed('b') ? 2 : 10;
  if (base != 10) {
    digits.remove_prefix(2);
  } else if (digits.size() > 1 && digits[0] == '0') {
    base = 8;  // YAML 1.1 octal, as go-yaml v2 reads it
    digits.remove_prefix(1);
  }
  if (digits.empty()) return std::nullopt;
  std::uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), magnitude, base);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  constexpr auto int64_max = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (negative) {
    if (magnitude > int64_max + 1) return std::nullopt;
    return json::value(static_cast<std::int64_t>(0 - magnitude));
  }
  if (magnitude > int64_max) return json::value(magnitude);
  return json::value(static_cast<std::int64_t>(magnitude));
}

// go-yaml v2's float syntax, [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
bool yaml_style_float(std::string_view s) {
  std::size_t i = 0;
  auto digits = [&] {
    std::size_t from = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    return i > from;
  };
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    if (!digits()) return false;
  } else {
    if (!digits()) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      digits();
    }
  }
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    if (!digits()) return false;
  }
  return i == s.size();
}

// A float as go-yaml v2 reads one: the spellings of infinity and NaN, and the syntax above ('_'
// removed unless the text starts with '.'), including integers too large for 64 bits.
std::optional<double> parse_float(std::string_view s) {
  if (one_of(s, {".inf", ".Inf", ".INF", "+.inf", "+.Inf", "+.INF"})) return std::numeric_limits<double>::infinity();
  if (one_of(s, {"-.inf", "-.Inf", "-.INF"})) return -std::numeric_limits<double>::infinity();
  if (one_of(s, {".nan", ".NaN", ".NAN"})) return std::numeric_limits<double>::quiet_NaN();
  std::string text = s.starts_with('.') ? std::string(s) : without_underscores(s);
  if (!yaml_style_float(text)) return std::nullopt;
  std::string_view body = text;
  if (body[0] == '+') body.remove_prefix(1);
  double value = 0;
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
    throw YamlError(std::string(source_), static_cast<int>(mark.line) + 1, static_cast<int>(mark.column) + 1, problem);
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
    if (s.anchor) anchors_[reinterpret_cast<const char*>(s.anchor)] = Anchored{v, 1, text.size(), std::string(text)};
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
      if (!v.is_int64() && !v.is_uint64()) wanted = "!!int";
    } else if (type == "float") {
      if (v.is_int64() || v.is_uint64()) return json::value(v.to_number<double>());
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

}  // namespace

json::value resolve_plain_scalar(std::string_view s) {
  // Most scalars are words: one starting with a letter and longer than "false" is none of the
  // null or bool spellings, and no integer or float (those start with a digit, a sign or a dot).
  if (s.size() > 5 && ((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
    return json::value(json::string_view(s.data(), s.size()));
  if (one_of(s, {"", "~", "null", "Null", "NULL"})) return nullptr;
  if (one_of(s, {"true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y"})) return true;
  if (one_of(s, {"false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N"})) return false;
  // Numbers start with a digit, a sign or a dot (go-yaml's hint; "_1" is a word).
  if (std::string_view("+-.0123456789").find(s[0]) != std::string_view::npos) {
    if (auto i = parse_integer(s)) return std::move(*i);
    if (auto f = parse_float(s)) return *f;
  }
  return json::value(json::string_view(s.data(), s.size()));
}

json::value parse_yaml(std::string_view text, std::string_view source) {
  auto docs = parse_yaml_documents(text, source);
  if (docs.empty()) return nullptr;
  return std::move(docs.front());
}

std::vector<json::value> parse_yaml_documents(std::string_view text, std::string_view source) {
  return DocumentBuilder(text, source).read();
}

}  // namespace kb::base
