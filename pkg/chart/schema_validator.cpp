#include "pkg/chart/schema_validator.hpp"

#include "pkg/chart/go_format.hpp"
#include "pkg/chart/simple_regex.hpp"

#include <boost/json.hpp>

#include <cmath>
#include <regex>

namespace kb::chart {
namespace json = boost::json;

namespace {

// std::regex_search with an ECMAScript pattern; most schema patterns skip compiling a std::regex.
bool regex_search(std::string_view pattern, std::string_view text) {
  if (auto simple = simple_regex_search(pattern, text)) return *simple;
  return std::regex_search(std::string(text), std::regex(std::string(pattern), std::regex::ECMAScript));
}

std::string json_type(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "boolean";
    case json::kind::int64:
    case json::kind::uint64:
      return "integer";
    case json::kind::double_: {
      double d = v.get_double();
      return d == std::trunc(d) && std::isfinite(d) ? "integer" : "number";
    }
    case json::kind::string:
      return "string";
    case json::kind::array:
      return "array";
    case json::kind::object:
      return "object";
  }
  return "null";
}

// How the validator prints a value inside a message: strings single-quoted, numbers as Go does.
std::string show(const json::value& v) {
  switch (v.kind()) {
    case json::kind::string:
      return "'" + std::string(v.get_string()) + "'";
    case json::kind::double_: {
      double d = v.get_double();
      if (d == std::trunc(d) && std::fabs(d) < 1e15) return std::to_string(static_cast<std::int64_t>(d));
      return format_float_shortest(d);
    }
    default:
      return json::serialize(v);
  }
}

double as_number(const json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return v.get_double();
}

bool json_equal(const json::value& a, const json::value& b) {
  bool an = a.is_number(), bn = b.is_number();
  if (an && bn) return as_number(a) == as_number(b);
  if (a.kind() != b.kind()) return false;
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (!json_equal(x[i], y[i])) return false;
    return true;
  }
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const auto* other = y.if_contains(kv.key());
      if (!other || !json_equal(kv.value(), *other)) return false;
    }
    return true;
  }
  return a == b;
}

std::string escape_pointer(std::string_view key) {
  std::string out;
  for (char c : key) {
    if (c == '~')
      out += "~0";
    else if (c == '/')
      out += "~1";
    else
      out += c;
  }
  return out;
}

std::size_t utf8_length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

class Validator {
 public:
  explicit Validator(const json::value& root) : root_(root) {}

  void validate(const json::value& v, const json::value& schema, const std::string& path,
                std::vector<SchemaViolation>& out, int depth = 0) {
    if (depth > 64) throw std::invalid_argument("schema $ref recursion is too deep");
    if (schema.is_bool()) {
      if (!schema.get_bool()) out.push_back({path, "false", "false schema"});
      return;
    }
    if (!schema.is_object()) throw std::invalid_argument("schema must be an object or a boolean");
    const auto& s = schema.get_object();
    auto add = [&](std::string rule, std::string message) {
      out.push_back({path, std::move(rule), std::move(message)});
    };

    if (const auto* ref = s.if_contains("$ref")) {
      validate(v, resolve(ref->as_string()), path, out, depth + 1);
      // Draft 7: siblings of $ref are ignored.
      return;
    }
    if (const auto* type = s.if_contains("type")) {
      std::vector<std::string> wanted;
      if (type->is_string())
        wanted.emplace_back(type->get_string());
      else if (type->is_array())
        for (const auto& t : type->get_array()) wanted.emplace_back(t.as_string());
      std::string actual = json_type(v);
      bool ok = false;
      for (const auto& w : wanted)
        if (w == actual || (w == "number" && actual == "integer")) ok = true;
      if (!ok) {
        std::string want;
        for (std::size_t i = 0; i < wanted.size(); ++i) want += (i ? " or " : "") + wanted[i];
        add("type", "got " + actual + ", want " + want);
        return;  // the other keywords would only repeat the problem
      }
    }
    if (const auto* e = s.if_contains("enum")) {
      bool found = false;
      for (const auto& option : e->as_array())
        if (json_equal(option, v)) found = true;
      if (!found) {
        std::string list;
        for (std::size_t i = 0; i < e->as_array().size(); ++i) list += (i ? ", " : "") + show(e->as_array()[i]);
        add("enum", "value must be one of " + list);
      }
    }
    if (const auto* c = s.if_contains("const"))
      if (!json_equal(*c, v)) add("const", "value must be " + show(*c));

    if (v.is_number()) number_rules(as_number(v), s, add);
    if (v.is_string()) string_rules(v.get_string(), s, add);
    if (v.is_array()) array_rules(v.get_array(), s, path, out, depth, add);
    if (v.is_object()) object_rules(v.get_object(), s, path, out, depth, add);

    if (const auto* all = s.if_contains("allOf"))
      for (const auto& sub : all->as_array()) validate(v, sub, path, out, depth + 1);
    if (const auto* any = s.if_contains("anyOf")) {
      bool ok = false;
      for (const auto& sub : any->as_array()) {
        std::vector<SchemaViolation> trial;
        validate(v, sub, path, trial, depth + 1);
        if (trial.empty()) ok = true;
      }
      if (!ok) add("anyOf", "anyOf failed");
    }
    if (const auto* one = s.if_contains("oneOf")) {
      int matches = 0;
      for (const auto& sub : one->as_array()) {
        std::vector<SchemaViolation> trial;
        validate(v, sub, path, trial, depth + 1);
        if (trial.empty()) ++matches;
      }
      if (matches == 0)
        add("oneOf", "oneOf failed, none matched");
      else if (matches > 1)
        add("oneOf", "oneOf failed, more than one matched");
    }
    if (const auto* n = s.if_contains("not")) {
      std::vector<SchemaViolation> trial;
      validate(v, *n, path, trial, depth + 1);
      if (trial.empty()) add("not", "not failed");
    }
    if (const auto* cond = s.if_contains("if")) {
      std::vector<SchemaViolation> trial;
      validate(v, *cond, path, trial, depth + 1);
      const char* branch = trial.empty() ? "then" : "else";
      if (const auto* b = s.if_contains(branch)) validate(v, *b, path, out, depth + 1);
    }
  }

 private:
  template <typename Add>
  void number_rules(double n, const json::object& s, Add& add) {
    auto got = [&](double x) { return show(json::value(x)); };
    if (const auto* m = s.if_contains("minimum"); m && n < as_number(*m))
      add("minimum", "minimum: got " + got(n) + ", want " + show(*m));
    if (const auto* m = s.if_contains("maximum"); m && n > as_number(*m))
      add("maximum", "maximum: got " + got(n) + ", want " + show(*m));
    if (const auto* m = s.if_contains("exclusiveMinimum"); m && m->is_number() && n <= as_number(*m))
      add("exclusiveMinimum", "exclusiveMinimum: got " + got(n) + ", want " + show(*m));
    if (const auto* m = s.if_contains("exclusiveMaximum"); m && m->is_number() && n >= as_number(*m))
      add("exclusiveMaximum", "exclusiveMaximum: got " + got(n) + ", want " + show(*m));
    if (const auto* m = s.if_contains("multipleOf"); m && as_number(*m) != 0) {
      double q = n / as_number(*m);
      if (q != std::trunc(q)) add("multipleOf", got(n) + " not multipleOf " + show(*m));
    }
  }

  template <typename Add>
  void string_rules(std::string_view str, const json::object& s, Add& add) {
    auto length = utf8_length(str);
    if (const auto* m = s.if_contains("minLength"); m && static_cast<double>(length) < as_number(*m))
      add("minLength", "minLength: got " + std::to_string(length) + ", want " + show(*m));
    if (const auto* m = s.if_contains("maxLength"); m && static_cast<double>(length) > as_number(*m))
      add("maxLength", "maxLength: got " + std::to_string(length) + ", want " + show(*m));
    if (const auto* p = s.if_contains("pattern")) {
      std::string pattern(p->as_string());
      try {
        if (!regex_search(pattern, str))
          add("pattern", "'" + std::string(str) + "' does not match pattern '" + pattern + "'");
      } catch (const std::regex_error&) {
        throw std::invalid_argument("invalid pattern in schema: " + pattern);
      }
    }
  }

  template <typename Add>
  void array_rules(const json::array& a, const json::object& s, const std::string& path,
                   std::vector<SchemaViolation>& out, int depth, Add& add) {
    if (const auto* m = s.if_contains("minItems"); m && static_cast<double>(a.size()) < as_number(*m))
      add("minItems", "minItems: got " + std::to_string(a.size()) + ", want " + show(*m));
    if (const auto* m = s.if_contains("maxItems"); m && static_cast<double>(a.size()) > as_number(*m))
      add("maxItems", "maxItems: got " + std::to_string(a.size()) + ", want " + show(*m));
    if (const auto* u = s.if_contains("uniqueItems"); u && u->is_bool() && u->get_bool()) {
      for (std::size_t i = 0; i < a.size(); ++i)
        for (std::size_t j = i + 1; j < a.size(); ++j)
          if (json_equal(a[i], a[j])) {
            add("uniqueItems", "items at " + std::to_string(i) + " and " + std::to_string(j) + " are equal");
            i = a.size();
            break;
          }
    }
    if (const auto* items = s.if_contains("items")) {
      if (items->is_array()) {
        const auto& tuple = items->get_array();
        for (std::size_t i = 0; i < a.size() && i < tuple.size(); ++i)
          validate(a[i], tuple[i], path + "/" + std::to_string(i), out, depth + 1);
        if (const auto* extra = s.if_contains("additionalItems"))
          for (std::size_t i = tuple.size(); i < a.size(); ++i)
            validate(a[i], *extra, path + "/" + std::to_string(i), out, depth + 1);
      } else {
        for (std::size_t i = 0; i < a.size(); ++i)
          validate(a[i], *items, path + "/" + std::to_string(i), out, depth + 1);
      }
    }
  }

  template <typename Add>
  void object_rules(const json::object& o, const json::object& s, const std::string& path,
                    std::vector<SchemaViolation>& out, int depth, Add& add) {
    if (const auto* req = s.if_contains("required")) {
      std::vector<std::string> missing;
      for (const auto& name : req->as_array())
        if (!o.contains(name.as_string())) missing.emplace_back(name.as_string());
      if (missing.size() == 1)
        add("required", "missing property '" + missing[0] + "'");
      else if (!missing.empty()) {
        std::string list;
        for (std::size_t i = 0; i < missing.size(); ++i) list += (i ? ", '" : "'") + missing[i] + "'";
        add("required", "missing properties " + list);
      }
    }
    if (const auto* m = s.if_contains("minProperties"); m && static_cast<double>(o.size()) < as_number(*m))
      add("minProperties", "minProperties: got " + std::to_string(o.size()) + ", want " + show(*m));
    if (const auto* m = s.if_contains("maxProperties"); m && static_cast<double>(o.size()) > as_number(*m))
      add("maxProperties", "maxProperties: got " + std::to_string(o.size()) + ", want " + show(*m));
    const json::object* properties = nullptr;
    if (const auto* p = s.if_contains("properties")) properties = &p->as_object();
    const json::object* patterns = nullptr;
    if (const auto* p = s.if_contains("patternProperties")) patterns = &p->as_object();
    std::vector<std::string> additional;
    // Sorted keys give stable messages.
    std::vector<std::string> keys;
    for (const auto& kv : o) keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    for (const auto& key : keys) {
      const json::value& value = o.at(key);
      std::string child = path + "/" + escape_pointer(key);
      bool matched = false;
      if (properties)
        if (const auto* sub = properties->if_contains(key)) {
          matched = true;
          validate(value, *sub, child, out, depth + 1);
        }
      if (patterns)
        for (const auto& kv : *patterns)
          if (regex_search(kv.key(), key)) {
            matched = true;
            validate(value, kv.value(), child, out, depth + 1);
          }
      if (!matched)
        if (const auto* extra = s.if_contains("additionalProperties")) {
          if (extra->is_bool()) {
            if (!extra->get_bool()) additional.push_back(key);
          } else {
            validate(value, *extra, child, out, depth + 1);
          }
        }
    }
    if (!additional.empty()) {
      std::string list;
      for (std::size_t i = 0; i < additional.size(); ++i) list += (i ? ", '" : "'") + additional[i] + "'";
      add("additionalProperties", "additional properties " + list + " not allowed");
    }
  }

  const json::value& resolve(std::string_view ref) {
    if (!ref.starts_with("#"))
      throw std::invalid_argument("unsupported $ref (only local references): " + std::string(ref));
    const json::value* current = &root_;
    std::string_view pointer = ref.substr(1);
    while (!pointer.empty()) {
      if (pointer[0] != '/') throw std::invalid_argument("bad $ref: " + std::string(ref));
      pointer.remove_prefix(1);
      auto slash = pointer.find('/');
      std::string token(pointer.substr(0, slash));
      pointer = slash == std::string_view::npos ? std::string_view() : pointer.substr(slash);
      std::string key;
      for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] == '~' && i + 1 < token.size())
          key += token[++i] == '1' ? '/' : '~';
        else
          key += token[i];
      }
      if (!current->is_object() || !current->get_object().contains(key))
        throw std::invalid_argument("cannot resolve $ref: " + std::string(ref));
      current = &current->get_object().at(key);
    }
    return *current;
  }

  const json::value& root_;
};

std::string describe(const std::string& chart_name, const std::vector<SchemaViolation>& violations) {
  std::string out =
      "values don't meet the specifications of the schema(s) in the following chart(s):\n" + chart_name + ":\n";
  for (const auto& v : violations) out += "- at '" + v.path + "': " + v.message + "\n";
  return out;
}

}  // namespace

SchemaError::SchemaError(std::string chart_name, std::vector<SchemaViolation> violations)
    : std::runtime_error(describe(chart_name, violations)),
      chart_name_(std::move(chart_name)),
      violations_(std::move(violations)) {}

std::vector<SchemaViolation> validate_against_schema(const json::value& values, const json::value& schema) {
  std::vector<SchemaViolation> out;
  Validator(schema).validate(values, schema, "", out);
  return out;
}

void check_values_schema(const std::string& chart_name, const json::value& values, const json::value& schema) {
  auto violations = validate_against_schema(values, schema);
  if (!violations.empty()) throw SchemaError(chart_name, std::move(violations));
}

}  // namespace kb::chart
