#include "pkg/chart/function_registry.hpp"

#include "pkg/chart/go_format.hpp"

#include <cctype>
#include <charconv>
#include <cmath>

namespace kb::chart {

void FunctionRegistry::add(std::string name, int min_args, int max_args, Function call) {
  functions_[std::move(name)] = FunctionSpec{std::move(call), min_args, max_args};
}

void FunctionRegistry::add_alias(const std::string& alias, std::string_view name) {
  if (const auto* spec = find(name)) functions_[alias] = *spec;
}

void check_generated_size(const CallContext& ctx, std::uint64_t size) {
  if (size > ctx.max_generated_size())
    throw FunctionError("it would generate " + std::to_string(size) + " items or bytes, more than the template " +
                        "engine's limit of " + std::to_string(ctx.max_generated_size()));
}

const FunctionSpec* FunctionRegistry::find(std::string_view name) const {
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : &it->second;
}

FunctionRegistry make_helm_function_registry() {
  FunctionRegistry registry;
  register_builtin_functions(registry);
  register_string_functions(registry);
  register_list_dict_functions(registry);
  register_math_functions(registry);
  register_encoding_functions(registry);
  register_semver_regex_functions(registry);
  register_helm_functions(registry);
  register_default_type_functions(registry);
  register_date_functions(registry);
  // Sprig's must* variants return errors where the plain ones panic; ours already report errors.
  for (const char* name : {"first", "last", "rest", "initial", "reverse", "uniq", "without", "has", "compact", "chunk",
                           "slice", "prepend", "toPrettyJson", "toRawJson", "fromJson"}) {
    std::string must =
        std::string("must") + static_cast<char>(std::toupper(static_cast<unsigned char>(name[0]))) + (name + 1);
    registry.add_alias(must, name);
  }
  registry.add_alias("tuple", "list");
  registry.add_alias("trimall", "trimAll");
  registry.add_alias("date_in_zone", "dateInZone");
  registry.add_alias("htmlDateInZone", "htmlDate");
  for (const char* name : {"base", "clean", "dir", "ext", "isAbs"}) {
    std::string os =
        std::string("os") + static_cast<char>(std::toupper(static_cast<unsigned char>(name[0]))) + (name + 1);
    registry.add_alias(os, name);  // filepath on Linux is path
  }
  return registry;
}

namespace {
[[noreturn]] void wrong_type(std::size_t i, const Value& v, std::string_view expected) {
  if (v.is_nil()) throw ArgumentError(i, std::string(expected), "invalid value; expected " + std::string(expected));
  throw ArgumentError(i, std::string(expected),
                      "wrong type for value; expected " + std::string(expected) + "; got " + go_type_name(v));
}
}  // namespace

const std::string& string_arg(std::span<const Value> args, std::size_t i) {
  if (!args[i].is_string()) wrong_type(i, args[i], "string");
  return args[i].as_string();
}

std::int64_t int_arg(std::span<const Value> args, std::size_t i) {
  if (args[i].kind() != Value::Kind::Int) wrong_type(i, args[i], "int");
  return args[i].as_integer();
}

bool bool_arg(std::span<const Value> args, std::size_t i) {
  if (!args[i].is_bool()) wrong_type(i, args[i], "bool");
  return args[i].as_bool();
}

const Value& dict_arg(std::span<const Value> args, std::size_t i) {
  if (!args[i].is_dict()) wrong_type(i, args[i], "map[string]interface {}");
  return args[i];
}

std::string to_go_string(const Value& v) {
  if (v.is_string()) return v.as_string();
  if (v.is_nil()) return "";
  return format_value(v);
}

namespace {
// cast trims a trailing ".0…" before parsing integers ("10.0" → 10), and accepts 0x/0o/0b.
std::optional<std::int64_t> parse_cast_integer(std::string s) {
  auto dot = s.find('.');
  if (dot != std::string::npos && s.find_first_not_of('0', dot + 1) == std::string::npos) s.resize(dot);
  if (s.empty()) return std::nullopt;
  bool negative = s[0] == '-';
  std::string_view body(s);
  if (s[0] == '-' || s[0] == '+') body.remove_prefix(1);
  int base = 10;
  if (body.size() > 2 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X'))
    base = 16, body.remove_prefix(2);
  else if (body.size() > 2 && body[0] == '0' && (body[1] == 'b' || body[1] == 'B'))
    base = 2, body.remove_prefix(2);
  else if (body.size() > 2 && body[0] == '0' && (body[1] == 'o' || body[1] == 'O'))
    base = 8, body.remove_prefix(2);
  else if (body.size() > 1 && body[0] == '0')
    base = 8, body.remove_prefix(1);
  std::int64_t v = 0;
  auto r = std::from_chars(body.data(), body.data() + body.size(), v, base);
  if (r.ec != std::errc() || r.ptr != body.data() + body.size()) return std::nullopt;
  return negative ? -v : v;
}
}  // namespace

std::int64_t cast_to_int64(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Int:
    case Value::Kind::Int64:
      return v.as_integer();
    case Value::Kind::Float:
      return static_cast<std::int64_t>(v.as_float());
    case Value::Kind::Bool:
      return v.as_bool() ? 1 : 0;
    case Value::Kind::String:
      return parse_cast_integer(v.as_string()).value_or(0);
    default:
      return 0;
  }
}

double cast_to_float64(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Int:
    case Value::Kind::Int64:
      return static_cast<double>(v.as_integer());
    case Value::Kind::Float:
      return v.as_float();
    case Value::Kind::Bool:
      return v.as_bool() ? 1 : 0;
    case Value::Kind::String: {
      double d = 0;
      const auto& s = v.as_string();
      auto r = std::from_chars(s.data(), s.data() + s.size(), d);
      return r.ec == std::errc() && r.ptr == s.data() + s.size() ? d : 0;
    }
    default:
      return 0;
  }
}

std::vector<std::string> to_string_list(const Value& v) {
  std::vector<std::string> out;
  if (v.is_nil()) return out;
  if (v.is_list()) {
    for (const auto& e : v.as_list())
      if (!e.is_nil()) out.push_back(to_go_string(e));
    return out;
  }
  out.push_back(to_go_string(v));
  return out;
}

}  // namespace kb::chart
