#pragma once
// The dynamic values templates work on, typed the way Go's text/template sees Helm's data:
// values read from YAML or JSON are float64, template literals are int, Sprig arithmetic
// returns int64, and maps are shared references (Sprig's `set` mutates a dict in place, and every
// holder of that dict sees the change, as with Go maps).
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

namespace kb::chart {

class Value;
class Object;
using List = std::vector<Value>;
using Dict = std::map<std::string, Value, std::less<>>;

struct GoInt {  // Go's int: template literals, len, atoi, until
  std::int64_t value;
};
struct GoInt64 {  // Go's int64: Sprig arithmetic, --set integers
  std::int64_t value;
};

class Value {
 public:
  enum class Kind { Nil, Bool, Int, Int64, Float, String, Slice, Map, Native };  // Go's names for List, Dict, Object

  Value() = default;
  Value(bool b) : data_(b) {}
  Value(GoInt i) : data_(i) {}
  Value(GoInt64 i) : data_(i) {}
  Value(double d) : data_(d) {}
  Value(std::string s) : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::string(s)) {}
  Value(const char* s) : data_(std::string(s)) {}
  Value(List l) : data_(std::make_shared<List>(std::move(l))) {}
  Value(Dict d) : data_(std::make_shared<Dict>(std::move(d))) {}
  Value(std::shared_ptr<List> l) : data_(std::move(l)) {}
  Value(std::shared_ptr<Dict> d) : data_(std::move(d)) {}
  Value(std::shared_ptr<const Object> o) : data_(std::move(o)) {}

  static Value integer(std::int64_t i) { return Value(GoInt{i}); }
  static Value int64(std::int64_t i) { return Value(GoInt64{i}); }

  Kind kind() const { return static_cast<Kind>(data_.index()); }
  bool is_nil() const { return kind() == Kind::Nil; }
  bool is_bool() const { return kind() == Kind::Bool; }
  bool is_string() const { return kind() == Kind::String; }
  bool is_list() const { return kind() == Kind::Slice; }
  bool is_dict() const { return kind() == Kind::Map; }
  bool is_object() const { return kind() == Kind::Native; }
  bool is_integer() const { return kind() == Kind::Int || kind() == Kind::Int64; }
  bool is_float() const { return kind() == Kind::Float; }
  bool is_number() const { return is_integer() || is_float(); }

  bool as_bool() const { return std::get<bool>(data_); }
  std::int64_t as_integer() const {
    return kind() == Kind::Int ? std::get<GoInt>(data_).value : std::get<GoInt64>(data_).value;
  }
  double as_float() const { return std::get<double>(data_); }
  const std::string& as_string() const { return std::get<std::string>(data_); }
  const List& as_list() const { return *std::get<std::shared_ptr<List>>(data_); }
  List& as_list() { return *std::get<std::shared_ptr<List>>(data_); }
  const Dict& as_dict() const { return *std::get<std::shared_ptr<Dict>>(data_); }
  // Dicts are shared: mutating through one Value is seen by every copy, as with Go maps.
  Dict& mutable_dict() const { return *std::get<std::shared_ptr<Dict>>(data_); }
  const Object& as_object() const { return *std::get<std::shared_ptr<const Object>>(data_); }
  const std::shared_ptr<const Object>& object_ptr() const { return std::get<std::shared_ptr<const Object>>(data_); }

 private:
  std::variant<std::monostate, bool, GoInt, GoInt64, double, std::string, std::shared_ptr<List>, std::shared_ptr<Dict>,
               std::shared_ptr<const Object>>
      data_;
};

// A value with methods and fields that are not map entries: `.Files`, `.Capabilities.APIVersions`,
// a semantic version. Methods throw std::runtime_error with the message Go's method would return.
class Object {
 public:
  virtual ~Object() = default;
  virtual std::string type_name() const = 0;  // as Go's %T prints it, e.g. "*semver.Version"
  virtual std::string kind_name() const { return "ptr"; }
  virtual bool has_method(std::string_view name) const = 0;
  virtual Value call_method(std::string_view name, std::span<const Value> args) const = 0;
  virtual std::optional<Value> field(std::string_view) const { return std::nullopt; }
  virtual std::string to_display() const = 0;                    // what fmt's %v prints
  virtual Value to_data() const { return Value(to_display()); }  // what toYaml/toJson see
};

// Go's truthiness for if/with/and/or/not: false, 0, nil, and empty strings, lists and maps are false.
bool is_true(const Value& v);
// Sprig's `empty`, which is the negation of truthiness for every type templates see.
inline bool is_empty(const Value& v) { return !is_true(v); }
// reflect.DeepEqual: kinds must match (int 1 and float64 1 differ).
bool deep_equal(const Value& a, const Value& b);
// A copy that shares no dict or list with the original.
Value deep_copy(const Value& v);

// Go's %T and reflect.Kind names, as typeOf and kindOf print them.
std::string go_type_name(const Value& v);
std::string go_kind_name(const Value& v);

// boost::json → Value the way Helm reads values and fromJson/fromYaml results: numbers become
// float64 (Helm unmarshals through encoding/json into interface{}).
Value from_json(const boost::json::value& v);
// Like from_json, but integers stay int64: how Helm's strvals types `--set` numbers.
Value from_json_keep_integers(const boost::json::value& v);
// Value → boost::json, for toYaml/toJson and for handing values back to callers. Integral floats
// stay doubles; the YAML and JSON writers print them without a fraction as Go does.
boost::json::value to_json(const Value& v);

}  // namespace kb::chart
