#include "pkg/chart/value.hpp"

#include <boost/json.hpp>

namespace kb::chart {

bool is_true(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Nil:
      return false;
    case Value::Kind::Bool:
      return v.as_bool();
    case Value::Kind::Int:
    case Value::Kind::Int64:
      return v.as_integer() != 0;
    case Value::Kind::Float:
      return v.as_float() != 0.0;
    case Value::Kind::String:
      return !v.as_string().empty();
    case Value::Kind::Slice:
      return !v.as_list().empty();
    case Value::Kind::Map:
      return !v.as_dict().empty();
    case Value::Kind::Native:
      return true;
  }
  return false;
}

bool deep_equal(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Value::Kind::Nil:
      return true;
    case Value::Kind::Bool:
      return a.as_bool() == b.as_bool();
    case Value::Kind::Int:
    case Value::Kind::Int64:
      return a.as_integer() == b.as_integer();
    case Value::Kind::Float:
      return a.as_float() == b.as_float();
    case Value::Kind::String:
      return a.as_string() == b.as_string();
    case Value::Kind::Slice: {
      const auto& x = a.as_list();
      const auto& y = b.as_list();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i)
        if (!deep_equal(x[i], y[i])) return false;
      return true;
    }
    case Value::Kind::Map: {
      const auto& x = a.as_dict();
      const auto& y = b.as_dict();
      if (x.size() != y.size()) return false;
      for (auto i = x.begin(), j = y.begin(); i != x.end(); ++i, ++j)
        if (i->first != j->first || !deep_equal(i->second, j->second)) return false;
      return true;
    }
    case Value::Kind::Native:
      return a.object_ptr() == b.object_ptr();
  }
  return false;
}

Value deep_copy(const Value& v) {
  if (v.is_list()) {
    List out;
    out.reserve(v.as_list().size());
    for (const auto& e : v.as_list()) out.push_back(deep_copy(e));
    return Value(std::move(out));
  }
  if (v.is_dict()) {
    Dict out;
    for (const auto& [k, e] : v.as_dict()) out.emplace(k, deep_copy(e));
    return Value(std::move(out));
  }
  return v;
}

std::string go_type_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Nil:
      return "<nil>";
    case Value::Kind::Bool:
      return "bool";
    case Value::Kind::Int:
      return "int";
    case Value::Kind::Int64:
      return "int64";
    case Value::Kind::Float:
      return "float64";
    case Value::Kind::String:
      return "string";
    case Value::Kind::Slice:
      return "[]interface {}";
    case Value::Kind::Map:
      return "map[string]interface {}";
    case Value::Kind::Native:
      return v.as_object().type_name();
  }
  return "<nil>";
}

std::string go_kind_name(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Nil:
      return "invalid";
    case Value::Kind::Slice:
      return "slice";
    case Value::Kind::Map:
      return "map";
    case Value::Kind::Native:
      return v.as_object().kind_name();
    default:
      return go_type_name(v);
  }
}

namespace {
Value convert(const boost::json::value& v, bool keep_integers) {
  switch (v.kind()) {
    case boost::json::kind::null:
      return Value();
    case boost::json::kind::bool_:
      return Value(v.get_bool());
    case boost::json::kind::int64:
      return keep_integers ? Value::int64(v.get_int64()) : Value(static_cast<double>(v.get_int64()));
    case boost::json::kind::uint64:
      return keep_integers && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)
                 ? Value::int64(static_cast<std::int64_t>(v.get_uint64()))
                 : Value(static_cast<double>(v.get_uint64()));
    case boost::json::kind::double_:
      return Value(v.get_double());
    case boost::json::kind::string:
      return Value(std::string_view(v.get_string()));
    case boost::json::kind::array: {
      List out;
      out.reserve(v.get_array().size());
      for (const auto& e : v.get_array()) out.push_back(convert(e, keep_integers));
      return Value(std::move(out));
    }
    case boost::json::kind::object: {
      Dict out;
      for (const auto& kv : v.get_object()) out.emplace(std::string(kv.key()), convert(kv.value(), keep_integers));
      return Value(std::move(out));
    }
  }
  return Value();
}
}  // namespace

Value from_json(const boost::json::value& v) { return convert(v, false); }
Value from_json_keep_integers(const boost::json::value& v) { return convert(v, true); }

boost::json::value to_json(const Value& v) {
  switch (v.kind()) {
    case Value::Kind::Nil:
      return nullptr;
    case Value::Kind::Bool:
      return v.as_bool();
    case Value::Kind::Int:
    case Value::Kind::Int64:
      return v.as_integer();
    case Value::Kind::Float:
      return v.as_float();
    case Value::Kind::String:
      return boost::json::string(v.as_string());
    case Value::Kind::Slice: {
      boost::json::array out;
      for (const auto& e : v.as_list()) out.push_back(to_json(e));
      return out;
    }
    case Value::Kind::Map: {
      boost::json::object out;
      for (const auto& [k, e] : v.as_dict()) out[k] = to_json(e);
      return out;
    }
    case Value::Kind::Native:
      return to_json(v.as_object().to_data());
  }
  return nullptr;
}

}  // namespace kb::chart
