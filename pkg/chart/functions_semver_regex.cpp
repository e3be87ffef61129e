// Sprig's semver and regular-expression functions. Go's RE2 syntax is mapped onto ECMAScript
// regexes for the features charts use ((?i), (?P<name>...), \A, \z); replacement templates use
// Go's $1 / ${1} expansion.
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/semver.hpp"

#include <regex>

namespace kb::chart {
namespace {
using Args = std::span<const Value>;

class SemverObject : public Object {
 public:
  explicit SemverObject(SemanticVersion v) : v_(std::move(v)) {}
  std::string type_name() const override { return "*semver.Version"; }
  bool has_method(std::string_view name) const override {
    return name == "Major" || name == "Minor" || name == "Patch" || name == "Prerelease" || name == "Metadata" ||
           name == "Original" || name == "String";
  }
  Value call_method(std::string_view name, std::span<const Value>) const override {
    if (name == "Major") return Value::int64(static_cast<std::int64_t>(v_.major));
    if (name == "Minor") return Value::int64(static_cast<std::int64_t>(v_.minor));
    if (name == "Patch") return Value::int64(static_cast<std::int64_t>(v_.patch));
    if (name == "Prerelease") return Value(v_.prerelease);
    if (name == "Metadata") return Value(v_.metadata);
    if (name == "Original") return Value(v_.original);
    return Value(v_.to_string());
  }
  std::string to_display() const override { return v_.to_string(); }

 private:
  SemanticVersion v_;
};

std::regex compile(const std::string& go_pattern) {
  std::string p = go_pattern;
  auto flags = std::regex::ECMAScript;
  if (p.starts_with("(?i)")) {
    p.erase(0, 4);
    flags |= std::regex::icase;
  }
  std::string out;
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (p.compare(i, 3, "(?P") == 0 && i + 3 < p.size() && p[i + 3] == '<') {
      auto close = p.find('>', i);
      if (close != std::string::npos) {
        out += '(';
        i = close;
        continue;
      }
    }
    if (p[i] == '\\' && i + 1 < p.size()) {
      if (p[i + 1] == 'A') {
        out += '^';
        ++i;
        continue;
      }
      if (p[i + 1] == 'z') {
        out += '$';
        ++i;
        continue;
      }
      out += p[i];
      out += p[++i];
      continue;
    }
    out += p[i];
  }
  try {
    return std::regex(out, flags);
  } catch (const std::regex_error& e) {
    throw FunctionError("error parsing regexp: " + std::string(e.what()) + ": `" + go_pattern + "`");
  }
}

// Go's Regexp.Expand: $1, ${1}, $$; names that are not numbers expand to nothing.
std::string expand(const std::string& repl, const std::smatch& m) {
  std::string out;
  for (std::size_t i = 0; i < repl.size(); ++i) {
    if (repl[i] != '$' || i + 1 >= repl.size()) {
      out += repl[i];
      continue;
    }
    if (repl[i + 1] == '$') {
      out += '$';
      ++i;
      continue;
    }
    std::string name;
    std::size_t j = i + 1;
    if (repl[j] == '{') {
      auto close = repl.find('}', j);
      if (close == std::string::npos) {
        out += repl[i];
        continue;
      }
      name = repl.substr(j + 1, close - j - 1);
      j = close + 1;
    } else {
      while (j < repl.size() && (std::isalnum(static_cast<unsigned char>(repl[j])) || repl[j] == '_'))
        name += repl[j++];
      if (name.empty()) {
        out += repl[i];
        continue;
      }
    }
    if (!name.empty() && name.find_first_not_of("0123456789") == std::string::npos) {
      auto index = std::stoul(name);
      if (index < m.size()) out += m[index].str();
    }
    i = j - 1;
  }
  return out;
}

std::string replace_all(const std::string& pattern, const std::string& s, const std::string& repl, bool literal) {
  auto re = compile(pattern);
  std::string out;
  auto begin = std::sregex_iterator(s.begin(), s.end(), re);
  std::size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    const auto& m = *it;
    out += s.substr(last, static_cast<std::size_t>(m.position(0)) - last);
    out += literal ? repl : expand(repl, m);
    last = static_cast<std::size_t>(m.position(0) + m.length(0));
  }
  return out + s.substr(last);
}

List find_all(const std::string& pattern, const std::string& s, std::int64_t n) {
  auto re = compile(pattern);
  List out;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    if (n >= 0 && static_cast<std::int64_t>(out.size()) >= n) break;
    out.emplace_back(it->str());
  }
  return out;
}

List split(const std::string& pattern, const std::string& s, std::int64_t n) {
  List out;
  if (n == 0) return out;
  auto re = compile(pattern);
  std::size_t last = 0;
  for (auto it = std::sregex_iterator(s.begin(), s.end(), re); it != std::sregex_iterator(); ++it) {
    if (n > 0 && static_cast<std::int64_t>(out.size()) == n - 1) break;
    if (it->length(0) == 0 && it->position(0) == 0) continue;
    out.emplace_back(s.substr(last, static_cast<std::size_t>(it->position(0)) - last));
    last = static_cast<std::size_t>(it->position(0) + it->length(0));
  }
  out.emplace_back(s.substr(last));
  return out;
}

}  // namespace

void register_semver_regex_functions(FunctionRegistry& r) {
  r.add("semver", 1, 1, [](CallContext&, Args a) {
    auto v = parse_semver(string_arg(a, 0));
    if (!v) throw FunctionError("invalid semantic version");
    return Value(std::shared_ptr<const Object>(std::make_shared<SemverObject>(*v)));
  });
  r.add("semverCompare", 2, 2, [](CallContext&, Args a) {
    try {
      return Value(semver_satisfies(string_arg(a, 0), string_arg(a, 1)));
    } catch (const std::invalid_argument& e) {
      throw FunctionError(e.what());
    }
  });
  r.add("regexMatch", 2, 2, [](CallContext&, Args a) {
    try {
      return Value(std::regex_search(string_arg(a, 1), compile(string_arg(a, 0))));
    } catch (const FunctionError&) {
      return Value(false);
    }
  });
  r.add("mustRegexMatch", 2, 2,
        [](CallContext&, Args a) { return Value(std::regex_search(string_arg(a, 1), compile(string_arg(a, 0)))); });
  r.add("regexFind", 2, 2, [](CallContext&, Args a) {
    auto all = find_all(string_arg(a, 0), string_arg(a, 1), 1);
    return all.empty() ? Value("") : all[0];
  });
  r.add("mustRegexFind", 2, 2, [](CallContext&, Args a) {
    auto all = find_all(string_arg(a, 0), string_arg(a, 1), 1);
    return all.empty() ? Value("") : all[0];
  });
  r.add("regexFindAll", 3, 3,
        [](CallContext&, Args a) { return Value(find_all(string_arg(a, 0), string_arg(a, 1), int_arg(a, 2))); });
  r.add("mustRegexFindAll", 3, 3,
        [](CallContext&, Args a) { return Value(find_all(string_arg(a, 0), string_arg(a, 1), int_arg(a, 2))); });
  auto replace = [](bool literal) {
    return [literal](CallContext&, Args a) {
      return Value(replace_all(string_arg(a, 0), string_arg(a, 1), string_arg(a, 2), literal));
    };
  };
  r.add("regexReplaceAll", 3, 3, replace(false));
  r.add("mustRegexReplaceAll", 3, 3, replace(false));
  r.add("regexReplaceAllLiteral", 3, 3, replace(true));
  r.add("mustRegexReplaceAllLiteral", 3, 3, replace(true));
  r.add("regexSplit", 3, 3,
        [](CallContext&, Args a) { return Value(split(string_arg(a, 0), string_arg(a, 1), int_arg(a, 2))); });
  r.add("mustRegexSplit", 3, 3,
        [](CallContext&, Args a) { return Value(split(string_arg(a, 0), string_arg(a, 1), int_arg(a, 2))); });
  r.add("regexQuoteMeta", 1, 1, [](CallContext&, Args a) {
    std::string out;
    for (char c : string_arg(a, 0)) {
      if (std::string_view(R"(\.+*?()|[]{}^$)").find(c) != std::string_view::npos) out += '\\';
      out += c;
    }
    return Value(out);
  });
}

}  // namespace kb::chart
