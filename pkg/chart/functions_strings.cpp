// Sprig's string functions. Argument order follows Sprig (the subject string comes last, so that
// it can be piped: `.Values.name | trunc 63 | trimSuffix "-"`).
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/go_format.hpp"

#include <algorithm>
#include <cctype>

namespace kb::chart {
namespace {

using Args = std::span<const Value>;

bool is_go_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

std::string trim_set(std::string_view s, std::string_view cutset, bool left, bool right) {
  std::size_t b = 0, e = s.size();
  if (left)
    while (b < e && cutset.find(s[b]) != std::string_view::npos) ++b;
  if (right)
    while (e > b && cutset.find(s[e - 1]) != std::string_view::npos) --e;
  return std::string(s.substr(b, e - b));
}

std::string trim_space(std::string_view s) { return trim_set(s, " \t\n\r\v\f", true, true); }

std::string replace_all(std::string s, std::string_view from, std::string_view to) {
  if (from.empty()) {
    // strings.Replace with an empty old string inserts `to` around every rune.
    std::string out(to);
    for (std::size_t i = 0; i < s.size(); ++i) {
      out += s[i];
      if (i + 1 >= s.size() || (static_cast<unsigned char>(s[i + 1]) & 0xC0) != 0x80) out += to;
    }
    return out;
  }
  for (std::size_t pos = s.find(from); pos != std::string::npos; pos = s.find(from, pos + to.size()))
    s.replace(pos, from.size(), to);
  return s;
}

// strings.Title: upper-cases the first letter of every word; words are separated by anything
// that is not a letter, digit, underscore or apostrophe-free ASCII punctuation rule of Go.
std::string title(std::string s) {
  bool previous_separator = true;
  for (auto& ch : s) {
    auto c = static_cast<unsigned char>(ch);
    bool separator;
    if (c >= 0x80)
      separator = false;
    else if (std::isalnum(c) || c == '_')
      separator = false;
    else
      separator = true;
    if (previous_separator && std::islower(c)) ch = static_cast<char>(std::toupper(c));
    previous_separator = separator;
  }
  return s;
}

std::string upper(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}
std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::vector<std::string> split(std::string_view s, std::string_view sep) {
  std::vector<std::string> out;
  if (sep.empty()) {
    for (char c : s) out.emplace_back(1, c);
    return out;
  }
  std::size_t start = 0;
  while (true) {
    auto pos = s.find(sep, start);
    if (pos == std::string_view::npos) {
      out.emplace_back(s.substr(start));
      return out;
    }
    out.emplace_back(s.substr(start, pos - start));
    start = pos + sep.size();
  }
}

Value string_list(const std::vector<std::string>& parts) {
  List out;
  for (const auto& p : parts) out.emplace_back(p);
  return Value(std::move(out));
}

std::string indent(const CallContext& ctx, std::int64_t spaces, const std::string& text) {
  std::uint64_t width = static_cast<std::uint64_t>(std::max<std::int64_t>(spaces, 0));
  check_generated_size(ctx, width);
  check_generated_size(
      ctx, text.size() + width * (1 + static_cast<std::uint64_t>(std::count(text.begin(), text.end(), '\n'))));
  std::string pad(width, ' ');
  return pad + replace_all(text, "\n", "\n" + pad);
}

// sprig's snakecase and kebabcase: a separator before an upper-case letter that follows a
// lower-case one, the letter lowered; '-', '_' and ' ' all become the separator.
std::string separate_words(const std::string& s, char separator) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    if (std::isupper(c)) {
      if (i > 0 && s[i - 1] != separator && !std::isupper(static_cast<unsigned char>(s[i - 1]))) out += separator;
      out += static_cast<char>(std::tolower(c));
    } else if (c == '-' || c == '_' || c == ' ') {
      out += separator;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// quote, squote and cat: the arguments that are not nil, each written by `write`, space-separated.
std::string join_non_nil(std::span<const Value> args, std::string (*write)(const Value&)) {
  std::string out;
  bool first = true;
  for (const auto& v : args) {
    if (v.is_nil()) continue;
    if (!first) out += ' ';
    first = false;
    out += write(v);
  }
  return out;
}

}  // namespace

void register_string_functions(FunctionRegistry& r) {
  r.add("upper", 1, 1, [](CallContext&, Args a) { return Value(upper(string_arg(a, 0))); });
  r.add("lower", 1, 1, [](CallContext&, Args a) { return Value(lower(string_arg(a, 0))); });
  r.add("title", 1, 1, [](CallContext&, Args a) { return Value(title(string_arg(a, 0))); });
  r.add("untitle", 1, 1, [](CallContext&, Args a) {
    std::string s = string_arg(a, 0);
    bool previous_space = true;
    for (auto& c : s) {
      if (previous_space && std::isupper(static_cast<unsigned char>(c)))
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      previous_space = is_go_space(static_cast<unsigned char>(c));
    }
    return Value(s);
  });
  r.add("trim", 1, 1, [](CallContext&, Args a) { return Value(trim_space(string_arg(a, 0))); });
  r.add("trimAll", 2, 2,
        [](CallContext&, Args a) { return Value(trim_set(string_arg(a, 1), string_arg(a, 0), true, true)); });
  r.add("trimPrefix", 2, 2, [](CallContext&, Args a) {
    const auto& s = string_arg(a, 1);
    const auto& p = string_arg(a, 0);
    return Value(s.starts_with(p) ? s.substr(p.size()) : s);
  });
  r.add("trimSuffix", 2, 2, [](CallContext&, Args a) {
    const auto& s = string_arg(a, 1);
    const auto& p = string_arg(a, 0);
    return Value(s.ends_with(p) ? s.substr(0, s.size() - p.size()) : s);
  });
  r.add("trunc", 2, 2, [](CallContext&, Args a) {
    auto c = int_arg(a, 0);
    const auto& s = string_arg(a, 1);
    auto n = static_cast<std::int64_t>(s.size());
    if (c >= 0 && n > c) return Value(s.substr(0, static_cast<std::size_t>(c)));
    if (c < 0 && n + c > 0) return Value(s.substr(static_cast<std::size_t>(n + c)));
    return Value(s);
  });
  r.add("substr", 3, 3, [](CallContext&, Args a) {
    auto start = int_arg(a, 0), end = int_arg(a, 1);
    const auto& s = string_arg(a, 2);
    auto n = static_cast<std::int64_t>(s.size());
    if (start < 0) return Value(s.substr(0, static_cast<std::size_t>(std::clamp<std::int64_t>(end, 0, n))));
    if (end < 0 || end > n) return Value(start > n ? std::string() : s.substr(static_cast<std::size_t>(start)));
    if (start > end) throw FunctionError("runtime error: slice bounds out of range");
    return Value(s.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(end - start)));
  });
  r.add("replace", 3, 3,
        [](CallContext&, Args a) { return Value(replace_all(string_arg(a, 2), string_arg(a, 0), string_arg(a, 1))); });
  r.add("contains", 2, 2,
        [](CallContext&, Args a) { return Value(string_arg(a, 1).find(string_arg(a, 0)) != std::string::npos); });
  r.add("hasPrefix", 2, 2, [](CallContext&, Args a) { return Value(string_arg(a, 1).starts_with(string_arg(a, 0))); });
  r.add("hasSuffix", 2, 2, [](CallContext&, Args a) { return Value(string_arg(a, 1).ends_with(string_arg(a, 0))); });
  r.add("repeat", 2, 2, [](CallContext& ctx, Args a) {
    auto n = int_arg(a, 0);
    if (n < 0) throw FunctionError("strings: negative Repeat count");
    check_generated_size(ctx, string_arg(a, 1).empty() ? 0 : static_cast<std::uint64_t>(n));
    check_generated_size(ctx, static_cast<std::uint64_t>(n) * string_arg(a, 1).size());
    std::string out;
    for (std::int64_t i = 0; i < n; ++i) out += string_arg(a, 1);
    return Value(out);
  });
  r.add("indent", 2, 2, [](CallContext& ctx, Args a) { return Value(indent(ctx, int_arg(a, 0), string_arg(a, 1))); });
  r.add("nindent", 2, 2,
        [](CallContext& ctx, Args a) { return Value("\n" + indent(ctx, int_arg(a, 0), string_arg(a, 1))); });
  r.add("nospace", 1, 1, [](CallContext&, Args a) {
    std::string out;
    for (char c : string_arg(a, 0))
      if (!is_go_space(static_cast<unsigned char>(c))) out += c;
    return Value(out);
  });
  r.add("quote", 0, -1, [](CallContext&, Args a) {
    return Value(join_non_nil(a, [](const Value& v) { return go_quote(to_go_string(v)); }));
  });
  r.add("squote", 0, -1, [](CallContext&, Args a) {
    return Value(join_non_nil(a, [](const Value& v) { return "'" + to_go_string(v) + "'"; }));
  });
  r.add("cat", 0, -1,
        [](CallContext&, Args a) { return Value(join_non_nil(a, [](const Value& v) { return format_value(v); })); });
  r.add("join", 2, 2, [](CallContext&, Args a) {
    auto parts = to_string_list(a[1]);
    std::string out;
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? string_arg(a, 0) : "") + parts[i];
    return Value(out);
  });
  r.add("split", 2, 2, [](CallContext&, Args a) {
    auto parts = split(string_arg(a, 1), string_arg(a, 0));
    Dict out;
    for (std::size_t i = 0; i < parts.size(); ++i) out.emplace("_" + std::to_string(i), Value(parts[i]));
    return Value(std::move(out));
  });
  r.add("splitList", 2, 2, [](CallContext&, Args a) { return string_list(split(string_arg(a, 1), string_arg(a, 0))); });
  r.add("splitn", 3, 3, [](CallContext&, Args a) {
    auto n = int_arg(a, 1);
    auto parts = split(string_arg(a, 2), string_arg(a, 0));
    if (n > 0 && static_cast<std::int64_t>(parts.size()) > n) {
      std::string rest;
      for (std::size_t i = static_cast<std::size_t>(n - 1); i < parts.size(); ++i)
        rest += (i > static_cast<std::size_t>(n - 1) ? string_arg(a, 0) : "") + parts[i];
      parts.resize(static_cast<std::size_t>(n - 1));
      parts.push_back(rest);
    }
    Dict out;
    for (std::size_t i = 0; i < parts.size(); ++i) out.emplace("_" + std::to_string(i), Value(parts[i]));
    return Value(std::move(out));
  });
  r.add("abbrev", 2, 2, [](CallContext&, Args a) {
    auto width = int_arg(a, 0);
    const auto& s = string_arg(a, 1);
    if (width < 4 || static_cast<std::int64_t>(s.size()) <= width) return Value(s);
    return Value(s.substr(0, static_cast<std::size_t>(width - 3)) + "...");
  });
  r.add("plural", 3, 3,
        [](CallContext&, Args a) { return Value(int_arg(a, 2) == 1 ? string_arg(a, 0) : string_arg(a, 1)); });
  r.add("initials", 1, 1, [](CallContext&, Args a) {
    std::string out;
    bool start = true;
    for (char c : string_arg(a, 0)) {
      if (is_go_space(static_cast<unsigned char>(c)))
        start = true;
      else if (start)
        out += c, start = false;
    }
    return Value(out);
  });
  r.add("snakecase", 1, 1, [](CallContext&, Args a) { return Value(separate_words(string_arg(a, 0), '_')); });
  r.add("kebabcase", 1, 1, [](CallContext&, Args a) { return Value(separate_words(string_arg(a, 0), '-')); });
  r.add("camelcase", 1, 1, [](CallContext&, Args a) {
    std::string out;
    bool up = true;
    for (char c : string_arg(a, 0)) {
      if (c == '_' || c == '-' || c == ' ') {
        up = true;
        continue;
      }
      out += up ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
      up = false;
    }
    return Value(out);
  });
  r.add("swapcase", 1, 1, [](CallContext&, Args a) {
    std::string s = string_arg(a, 0);
    for (auto& c : s) {
      auto u = static_cast<unsigned char>(c);
      c = static_cast<char>(std::isupper(u) ? std::tolower(u) : std::toupper(u));
    }
    return Value(s);
  });
  // Path helpers (Go's path package, '/'-separated).
  auto clean_path = [](const std::string& p) {
    if (p.empty()) return std::string(".");
    bool rooted = p[0] == '/';
    std::vector<std::string> parts;
    for (const auto& part : split(p, "/")) {
      if (part.empty() || part == ".") continue;
      if (part == "..") {
        if (!parts.empty() && parts.back() != "..")
          parts.pop_back();
        else if (!rooted)
          parts.push_back(part);
        continue;
      }
      parts.push_back(part);
    }
    std::string out = rooted ? "/" : "";
    for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? "/" : "") + parts[i];
    return out.empty() ? std::string(".") : out;
  };
  r.add("clean", 1, 1, [clean_path](CallContext&, Args a) { return Value(clean_path(string_arg(a, 0))); });
  r.add("base", 1, 1, [](CallContext&, Args a) {
    std::string p = string_arg(a, 0);
    if (p.empty()) return Value(".");
    while (p.size() > 1 && p.back() == '/') p.pop_back();
    auto slash = p.rfind('/');
    return Value(slash == std::string::npos || p == "/" ? p : p.substr(slash + 1));
  });
  r.add("dir", 1, 1, [clean_path](CallContext&, Args a) {
    const auto& p = string_arg(a, 0);
    auto slash = p.rfind('/');
    return Value(clean_path(slash == std::string::npos ? "" : p.substr(0, slash + 1)));
  });
  r.add("ext", 1, 1, [](CallContext&, Args a) {
    const auto& p = string_arg(a, 0);
    for (std::size_t i = p.size(); i-- > 0 && p[i] != '/';)
      if (p[i] == '.') return Value(p.substr(i));
    return Value("");
  });
  r.add("isAbs", 1, 1, [](CallContext&, Args a) { return Value(string_arg(a, 0).starts_with("/")); });
  r.add("abbrevboth", 3, 3, [](CallContext&, Args a) {
    auto left = int_arg(a, 0), width = int_arg(a, 1);
    std::string s = string_arg(a, 2);
    if (width < 4 || static_cast<std::int64_t>(s.size()) <= width) return Value(s);
    if (left > 0 && left < static_cast<std::int64_t>(s.size())) s = "..." + s.substr(static_cast<std::size_t>(left));
    if (static_cast<std::int64_t>(s.size()) > width) s = s.substr(0, static_cast<std::size_t>(width - 3)) + "...";
    return Value(s);
  });
  r.add("hello", 0, 0, [](CallContext&, Args) { return Value("Hello!"); });
  r.add("wrapWith", 3, 3, [](CallContext&, Args a) {
    auto width = int_arg(a, 0);
    const auto& separator = string_arg(a, 1);
    std::string out, line, word;
    auto flush_word = [&] {
      if (word.empty()) return;
      if (!line.empty() && static_cast<std::int64_t>(line.size() + 1 + word.size()) > width) {
        out += line + separator;
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
      word.clear();
    };
    for (char c : string_arg(a, 2)) {
      if (c == ' ')
        flush_word();
      else
        word += c;
    }
    flush_word();
    return Value(out + line);
  });
  r.add("wrap", 2, 2, [](CallContext&, Args a) {
    auto width = int_arg(a, 0);
    std::string out, line;
    std::string word;
    auto flush_word = [&] {
      if (word.empty()) return;
      if (!line.empty() && static_cast<std::int64_t>(line.size() + 1 + word.size()) > width) {
        out += line + "\n";
        line.clear();
      }
      line += (line.empty() ? "" : " ") + word;
      word.clear();
    };
    for (char c : string_arg(a, 1)) {
      if (c == ' ')
        flush_word();
      else if (c == '\n') {
        flush_word();
        out += line + "\n";
        line.clear();
      } else
        word += c;
    }
    flush_word();
    return Value(out + line);
  });
}

}  // namespace kb::chart
