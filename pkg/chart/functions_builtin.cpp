// Go text/template's predefined functions. and/or are evaluated lazily by the engine itself; they
// are registered so that the parser knows them.
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/go_format.hpp"

#include <cstdio>

namespace kb::chart {
namespace {

enum class BasicKind { Invalid, Bool, Int, Float, String, Other };

BasicKind basic_kind(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Nil:
      return BasicKind::Invalid;
    case Value::Kind::Bool:
      return BasicKind::Bool;
    case Value::Kind::Int:
    case Value::Kind::Int64:
      return BasicKind::Int;
    case Value::Kind::Float:
      return BasicKind::Float;
    case Value::Kind::String:
      return BasicKind::String;
    default:
      return BasicKind::Other;
  }
}

bool eq(std::span<const Value> args) {
  const Value& a = args[0];
  if (args.size() < 2) throw FunctionError("missing argument for comparison");
  BasicKind k1 = basic_kind(a);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const Value& b = args[i];
    BasicKind k2 = basic_kind(b);
    bool truth = false;
    if (k1 != k2) {
      if (!a.is_nil() && !b.is_nil())
        throw FunctionError("incompatible types for comparison: " + go_type_name(a) + " and " + go_type_name(b));
    } else {
      switch (k1) {
        case BasicKind::Bool:
          truth = a.as_bool() == b.as_bool();
          break;
        case BasicKind::Int:
          truth = a.as_integer() == b.as_integer();
          break;
        case BasicKind::Float:
          truth = a.as_float() == b.as_float();
          break;
        case BasicKind::String:
          truth = a.as_string() == b.as_string();
          break;
        case BasicKind::Invalid:
          truth = true;
          break;
        case BasicKind::Other:
          if (a.is_object() && b.is_object())
            truth = a.object_ptr() == b.object_ptr();
          else
            throw FunctionError("non-comparable type " + format_value(b) + ": " + go_type_name(b));
      }
    }
    if (truth) return true;
  }
  return false;
}

bool less(const Value& a, const Value& b) {
  BasicKind k1 = basic_kind(a), k2 = basic_kind(b);
  if (k1 == BasicKind::Invalid || k1 == BasicKind::Other || k2 == BasicKind::Invalid || k2 == BasicKind::Other)
    throw FunctionError("invalid type for comparison");
  if (k1 != k2)
    throw FunctionError("incompatible types for comparison: " + go_type_name(a) + " and " + go_type_name(b));
  switch (k1) {
    case BasicKind::Int:
      return a.as_integer() < b.as_integer();
    case BasicKind::Float:
      return a.as_float() < b.as_float();
    case BasicKind::String:
      return a.as_string() < b.as_string();
    default:
      throw FunctionError("invalid type for comparison");
  }
}

std::string html_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '&':
        out += "&amp;";
        break;
      case '\'':
        out += "&#39;";
        break;
      case '"':
        out += "&#34;";
        break;
      case '\0':
        out += "\uFFFD";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string js_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\'':
        out += "\\'";
        break;
      case '"':
        out += "\\\"";
        break;
      case '<':
        out += "\\u003C";
        break;
      case '>':
        out += "\\u003E";
        break;
      case '&':
        out += "\\u0026";
        break;
      case '=':
        out += "\\u003D";
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
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04X", c);
          out += buf;
        } else {
          out += c;
        }
    }
  }
  return out;
}

std::string query_escape(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
      out += static_cast<char>(c);
    } else if (c == ' ') {
      out += '+';
    } else {
      char buf[4];
      std::snprintf(buf, sizeof buf, "%%%02X", c);
      out += buf;
    }
  }
  return out;
}

// Go's evalArgs for html/js/urlquery: one string argument is used as is, otherwise fmt.Sprint.
std::string args_text(std::span<const Value> args) {
  if (args.size() == 1 && args[0].is_string()) return args[0].as_string();
  return sprint(args);
}

std::int64_t index_of(const Value& v) {
  if (!v.is_integer()) throw FunctionError("cannot index slice/array with type " + go_type_name(v));
  return v.as_integer();
}

}  // namespace

void register_builtin_functions(FunctionRegistry& r) {
  auto unreachable = [](CallContext&, std::span<const Value>) -> Value { return Value(); };
  r.add("and", 1, -1, unreachable);
  r.add("or", 1, -1, unreachable);
  r.add("not", 1, 1, [](CallContext&, std::span<const Value> a) { return Value(!is_true(a[0])); });
  r.add("eq", 1, -1, [](CallContext&, std::span<const Value> a) { return Value(eq(a)); });
  r.add("ne", 2, 2, [](CallContext&, std::span<const Value> a) { return Value(!eq(a)); });
  r.add("lt", 2, 2, [](CallContext&, std::span<const Value> a) { return Value(less(a[0], a[1])); });
  r.add("le", 2, 2, [](CallContext&, std::span<const Value> a) { return Value(less(a[0], a[1]) || eq(a)); });
  r.add("gt", 2, 2, [](CallContext&, std::span<const Value> a) { return Value(!less(a[0], a[1]) && !eq(a)); });
  r.add("ge", 2, 2, [](CallContext&, std::span<const Value> a) { return Value(!less(a[0], a[1])); });
  r.add("len", 1, 1, [](CallContext&, std::span<const Value> a) {
    const Value& v = a[0];
    switch (v.kind()) {
      case Value::Kind::String:
        return Value::integer(static_cast<std::int64_t>(v.as_string().size()));
      case Value::Kind::Slice:
        return Value::integer(static_cast<std::int64_t>(v.as_list().size()));
      case Value::Kind::Map:
        return Value::integer(static_cast<std::int64_t>(v.as_dict().size()));
      case Value::Kind::Nil:
        throw FunctionError("len of nil pointer");
      default:
        throw FunctionError("len of type " + go_type_name(v));
    }
  });
  r.add("index", 1, -1, [](CallContext&, std::span<const Value> a) {
    Value item = a[0];
    for (std::size_t i = 1; i < a.size(); ++i) {
      if (item.is_nil()) throw FunctionError("index of untyped nil");
      if (item.is_list()) {
        auto x = index_of(a[i]);
        if (x < 0 || x >= static_cast<std::int64_t>(item.as_list().size()))
          throw FunctionError("index out of range: " + std::to_string(x));
        item = item.as_list()[static_cast<std::size_t>(x)];
      } else if (item.is_dict()) {
        if (a[i].is_nil()) throw FunctionError("value is nil; should be of type string");
        if (!a[i].is_string()) throw FunctionError("value has type " + go_type_name(a[i]) + "; should be string");
        auto it = item.as_dict().find(a[i].as_string());
        item = it == item.as_dict().end() ? Value() : it->second;
      } else if (item.is_string()) {
        auto x = index_of(a[i]);
        if (x < 0 || x >= static_cast<std::int64_t>(item.as_string().size()))
          throw FunctionError("index out of range: " + std::to_string(x));
        item = Value::integer(static_cast<unsigned char>(item.as_string()[static_cast<std::size_t>(x)]));
      } else {
        throw FunctionError("can't index item of type " + go_type_name(item));
      }
    }
    return item;
  });
  r.add("print", 0, -1, [](CallContext&, std::span<const Value> a) { return Value(sprint(a)); });
  r.add("println", 0, -1, [](CallContext&, std::span<const Value> a) { return Value(sprintln(a)); });
  r.add("printf", 1, -1,
        [](CallContext&, std::span<const Value> a) { return Value(sprintf(string_arg(a, 0), a.subspan(1))); });
  r.add("html", 0, -1, [](CallContext&, std::span<const Value> a) { return Value(html_escape(args_text(a))); });
  r.add("js", 0, -1, [](CallContext&, std::span<const Value> a) { return Value(js_escape(args_text(a))); });
  r.add("urlquery", 0, -1, [](CallContext&, std::span<const Value> a) { return Value(query_escape(args_text(a))); });
}

}  // namespace kb::chart
