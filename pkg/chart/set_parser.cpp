#include "pkg/chart/set_parser.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <charconv>
#include <optional>

namespace kb::chart {
namespace json = boost::json;

SetParseError::SetParseError(std::string flag, std::string expression, std::size_t column, std::string problem)
    : std::runtime_error("failed parsing " + flag + " data: " + problem + "\n  " + expression + "\n  " +
                         std::string(column, ' ') + "^"),
      flag_(std::move(flag)),
      expression_(std::move(expression)),
      column_(column),
      problem_(std::move(problem)) {}

std::string_view set_flag_name(SetKind kind) {
  switch (kind) {
    case SetKind::Typed:
      return "--set";
    case SetKind::String:
      return "--set-string";
    case SetKind::Json:
      return "--set-json";
    case SetKind::File:
      return "--set-file";
    case SetKind::Literal:
      return "--set-literal";
  }
  return "--set";
}

namespace {

// Helm caps nesting and list indexes so that a small flag cannot allocate without bound.
constexpr int kMaxNestedNameLevel = 30;
constexpr std::int64_t kMaxIndex = 65536;

class SetParser {
 public:
  SetParser(std::string_view text, SetKind kind, const SetFileReader& read_file)
      : text_(text), kind_(kind), read_file_(read_file) {}

  void parse(json::object& data) {
    if (kind_ == SetKind::Literal) {
      literal(data);
      return;
    }
    while (!key(data, 0)) {
    }
  }

 private:
  [[noreturn]] void fail(std::size_t column, const std::string& problem) {
    throw SetParseError(std::string(set_flag_name(kind_)), std::string(text_), std::min(column, text_.size()), problem);
  }

  static std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }

  // Reads up to one of `stop` (consumed), honouring backslash escapes. `last` is 0 at the end.
  std::string until(std::string_view stop, char& last) {
    std::string out;
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (stop.find(c) != std::string_view::npos) {
        last = c;
        return out;
      }
      if (c == '\\') {
        if (pos_ >= text_.size()) {
          last = 0;
          return out;
        }
        out += text_[pos_++];
        continue;
      }
      out += c;
    }
    last = 0;
    return out;
  }

  // Reading the end of the input is a return value, true, not an exception: the first throw in
  // this static binary costs ~80M instructions (the unwinder sorts every frame description).
  // When a nested read reaches the end, what would follow it in the caller is skipped, as Helm's
  // parser skips it on its io.EOF error.
  [[nodiscard]] bool key(json::object& data, int level) {
    std::size_t start = pos_;
    char last = 0;
    std::string k = until("=[,.", last);
    switch (last) {
      case 0:
        if (k.empty()) return true;
        fail(start, "key " + quoted(k) + " has no value");
      case '[': {
        std::size_t index_at = pos_;
        auto i = key_index();
        json::array list;
        if (auto* existing = data.if_contains(k)) {
          if (!existing->is_array()) fail(index_at, "key " + quoted(k) + " is not a list");
          list = existing->get_array();
        }
        if (list_item(list, i, level, index_at)) return true;
        if (!k.empty()) data[k] = std::move(list);
        return false;
      }
      case '=': {
        json::value v = value_after_equals();
        if (!k.empty()) data[k] = std::move(v);
        return false;
      }
      case ',':
        if (!k.empty()) data[k] = "";
        fail(pos_ - 1, "key " + quoted(k) + " has no value (cannot end with ,)");
      case '.': {
        if (++level > kMaxNestedNameLevel)
          fail(start, "value name nested level is greater than maximum supported nested level of " +
                          std::to_string(kMaxNestedNameLevel));
        json::object inner;
        if (auto* existing = data.if_contains(k)) {
          if (!existing->is_object()) fail(start, "key " + quoted(k) + " is not a map");
          inner = existing->get_object();
        }
        bool at_end = key(inner, level);
        // Helm accepts a trailing "a." silently; "a.,b=1" is an error.
        if (inner.empty() && !at_end) fail(start, "key map " + quoted(k) + " has no value");
        if (!k.empty()) data[k] = std::move(inner);
        return at_end;
      }
      default:
        fail(pos_, "unexpected character");
    }
  }

  std::int64_t key_index() {
    std::size_t start = pos_;
    char last = 0;
    std::string v = until("]", last);
    if (last == 0) fail(start, "error parsing index: missing ']'");
    std::int64_t i = 0;
    auto r = std::from_chars(v.data(), v.data() + v.size(), i);
    if (r.ec != std::errc() || r.ptr != v.data() + v.size() || v.empty())
      fail(start, "error parsing index: strconv.Atoi: parsing " + quoted(v) + ": invalid syntax");
    return i;
  }

  void set_index(json::array& list, std::int64_t index, json::value v, std::size_t at) {
    if (index < 0) fail(at, "negative " + std::to_string(index) + " index not allowed");
    if (index > kMaxIndex)
      fail(at, "index of " + std::to_string(index) + " is greater than maximum supported index of " +
                   std::to_string(kMaxIndex));
    if (list.size() <= static_cast<std::size_t>(index)) list.resize(static_cast<std::size_t>(index) + 1);
    list[static_cast<std::size_t>(index)] = std::move(v);
  }

  // True when the end of the input was reached (see key).
  [[nodiscard]] bool list_item(json::array& list, std::int64_t i, int level, std::size_t index_at) {
    if (i < 0) fail(index_at, "negative " + std::to_string(i) + " index not allowed");
    std::size_t start = pos_;
    char last = 0;
    std::string k = until("[.=", last);
    if (!k.empty()) {
      // Go prints the runes with %q: ['b' 'c'].
      std::string runes = "[";
      for (std::size_t r = 0; r < k.size(); ++r) runes += (r ? " '" : "'") + std::string(1, k[r]) + "'";
      fail(start, "unexpected data at end of array index: " + runes + "]");
    }
    switch (last) {
      case 0:
        return true;
      case '=':
        set_index(list, i, value_after_equals(), index_at);
        return false;
      case '[': {
        std::size_t nested_at = pos_;
        auto next = key_index();
        json::array inner;
        if (list.size() > static_cast<std::size_t>(i) && list[static_cast<std::size_t>(i)].is_array())
          inner = list[static_cast<std::size_t>(i)].get_array();
        if (list_item(inner, next, level, nested_at)) return true;
        set_index(list, i, std::move(inner), index_at);
        return false;
      }
      case '.': {
        json::object inner;
        if (list.size() > static_cast<std::size_t>(i) && list[static_cast<std::size_t>(i)].is_object())
          inner = list[static_cast<std::size_t>(i)].get_object();
        bool at_end = key(inner, level);
        set_index(list, i, std::move(inner), index_at);
        return at_end;
      }
      default:
        fail(pos_, "parse error: unexpected token");
    }
  }

  // Consumes blanks and one comma; true when no value follows (end, or a comma).
  bool empty_value() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ',') {
        ++pos_;
        return true;
      }
      if (!std::isspace(static_cast<unsigned char>(c))) return false;
      ++pos_;
    }
    return true;
  }

  json::value value_after_equals() {
    if (kind_ == SetKind::Json) {
      if (empty_value()) return nullptr;
      std::size_t start = pos_;
      json::stream_parser parser;
      boost::system::error_code ec;
      std::string_view rest = text_.substr(pos_);
      std::size_t used = parser.write_some(rest.data(), rest.size(), ec);
      if (!ec && !parser.done()) parser.finish(ec), used = rest.size();
      if (ec) fail(start, "invalid JSON value: " + ec.message());
      pos_ += used;
      json::value v = parser.release();
      if (!empty_value()) fail(pos_, "invalid character after JSON value");
      return numbers_as_floats(v);
    }
    if (pos_ < text_.size() && text_[pos_] == '{') return value_list();
    if (pos_ >= text_.size()) return "";
    char last = 0;
    std::size_t start = pos_;
    std::string raw = until(",", last);
    return typed(raw, start);
  }

  json::value value_list() {
    std::size_t start = pos_;
    ++pos_;  // '{'
    json::array list;
    while (true) {
      char last = 0;
      std::size_t item_start = pos_;
      std::string raw = until(",}", last);
      if (last == 0) fail(start, "list must terminate with '}'");
      list.push_back(typed(raw, item_start));
      if (last == '}') {
        if (pos_ < text_.size() && text_[pos_] == ',') ++pos_;
        return list;
      }
    }
  }

  json::value typed(const std::string& v, std::size_t at) {
    switch (kind_) {
      case SetKind::String:
        return json::string(v);
      case SetKind::File:
        try {
          return json::string(read_file_ ? read_file_(v) : throw std::runtime_error("no file reader"));
        } catch (const std::exception& e) {
          fail(at, "reading file " + quoted(v) + ": " + e.what());
        }
      default:
        break;
    }
    auto iequals = [&](std::string_view word) {
      if (v.size() != word.size()) return false;
      for (std::size_t i = 0; i < v.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(v[i])) != word[i]) return false;
      return true;
    };
    if (iequals("true")) return true;
    if (iequals("false")) return false;
    if (iequals("null")) return nullptr;
    if (v == "0") return std::int64_t{0};
    if (!v.empty() && v[0] != '0') {
      std::int64_t i = 0;
      std::string_view digits = v;
      if (digits[0] == '+') digits.remove_prefix(1);
      auto r = std::from_chars(digits.data(), digits.data() + digits.size(), i);
      if (r.ec == std::errc() && r.ptr == digits.data() + digits.size() && !digits.empty()) return i;
    }
    return json::string(v);
  }

  void literal(json::object& data) {
    // --set-literal: the key path as usual, then the raw remainder as one string.
    auto eq = text_.find('=');
    if (eq == std::string_view::npos) fail(0, "key " + quoted(text_) + " has no value");
    std::string path(text_.substr(0, eq));
    json::string value(text_.substr(eq + 1));
    json::object* target = &data;
    std::size_t start = 0;
    while (true) {
      auto dot = path.find('.', start);
      std::string k = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      if (dot == std::string::npos) {
        (*target)[k] = value;
        return;
      }
      auto& next = (*target)[k];
      if (!next.is_object()) next = json::object{};
      target = &next.get_object();
      start = dot + 1;
    }
  }

  std::string_view text_;
  SetKind kind_;
  const SetFileReader& read_file_;
  std::size_t pos_ = 0;
};

}  // namespace

void apply_set(std::string_view expression, SetKind kind, json::object& values, const SetFileReader& read_file) {
  SetParser parser(expression, kind, read_file);
  parser.parse(values);
}

json::value numbers_as_floats(const json::value& v) {
  switch (v.kind()) {
    case json::kind::int64:
      return static_cast<double>(v.get_int64());
    case json::kind::uint64:
      return static_cast<double>(v.get_uint64());
    case json::kind::array: {
      json::array out;
      for (const auto& e : v.get_array()) out.push_back(numbers_as_floats(e));
      return out;
    }
    case json::kind::object: {
      json::object out;
      for (const auto& kv : v.get_object()) out[kv.key()] = numbers_as_floats(kv.value());
      return out;
    }
    default:
      return v;
  }
}

}  // namespace kb::chart
