#pragma once
// The functions a template can call, built per engine (no global state). Each family of functions
// (Go builtins, strings, lists and dicts, math, encoding, semver and regex, Helm's own) registers
// itself from its own source file.
#include "pkg/chart/value.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kb::chart {

// A function's own failure; the engine reports it as Go does: "error calling NAME: MESSAGE".
class FunctionError : public std::runtime_error {
 public:
  explicit FunctionError(const std::string& message, std::string failure = "")
      : std::runtime_error(message), failure_(std::move(failure)) {}
  // Set when the error carries the text of Helm's `required` or `fail` (see TemplateError::failure).
  const std::string& failure() const { return failure_; }

 private:
  std::string failure_;
};

// Helm's `required` and `fail`: the user's own message, which Helm reports without Go's context.
class TemplateFailure : public FunctionError {
 public:
  explicit TemplateFailure(const std::string& message) : FunctionError(message, message) {}
};

// An argument of the wrong type; reported without the "error calling" prefix and located at the
// argument, as Go's reflection check does ("wrong type for value; expected string; got float64", or
// for a literal "expected string; found 3").
class ArgumentError : public std::runtime_error {
 public:
  ArgumentError(std::size_t index, std::string expected, const std::string& message)
      : std::runtime_error(message), index_(index), expected_(std::move(expected)) {}
  std::size_t index() const { return index_; }               // which argument
  const std::string& expected() const { return expected_; }  // Go type name: "string", "int", "bool"

 private:
  std::size_t index_;
  std::string expected_;
};

// What a function may ask of the running engine.
class CallContext {
 public:
  virtual ~CallContext() = default;
  // Helm's include: executes a named template with `data` as dot and returns its output.
  virtual std::string include(const std::string& name, const Value& data) = 0;
  // Helm's tpl: parses `text` as a template that can use every defined template, runs it.
  virtual std::string tpl(const std::string& text, const Value& data) = 0;
  // Uniform random integer in [0, bound).
  virtual std::uint64_t random_below(std::uint64_t bound) = 0;
  virtual std::chrono::system_clock::time_point now() = 0;
  // The most items or bytes a function may generate from a count argument (EngineOptions::max_output_bytes).
  virtual std::size_t max_generated_size() const = 0;
};

// Throws FunctionError when a function would generate more than the engine allows: `size` items
// or bytes, computed before generating them (the count may come from the template's input).
void check_generated_size(const CallContext& ctx, std::uint64_t size);

using Function = std::function<Value(CallContext&, std::span<const Value>)>;

struct FunctionSpec {
  Function call;
  int min_args = 0;
  int max_args = -1;  // -1: variadic
};

class FunctionRegistry {
 public:
  void add(std::string name, int min_args, int max_args, Function call);
  // Registers `alias` as another name for the existing function `name` (Sprig's must* variants and
  // deprecated spellings).
  void add_alias(const std::string& alias, std::string_view name);
  const FunctionSpec* find(std::string_view name) const;
  bool contains(std::string_view name) const { return find(name) != nullptr; }

 private:
  std::map<std::string, FunctionSpec, std::less<>> functions_;
};

// The registry with every family below: what Helm offers templates.
FunctionRegistry make_helm_function_registry();

void register_builtin_functions(FunctionRegistry& registry);    // Go's: eq, len, index, printf, ...
void register_string_functions(FunctionRegistry& registry);     // Sprig strings
void register_list_dict_functions(FunctionRegistry& registry);  // Sprig lists and dicts
void register_math_functions(FunctionRegistry& registry);       // Sprig math and conversions
void register_encoding_functions(FunctionRegistry& registry);   // base64, hashes, JSON/YAML, uuid, random
void register_semver_regex_functions(FunctionRegistry& registry);
void register_helm_functions(FunctionRegistry& registry);          // include, tpl, required, fail, lookup, ...
void register_default_type_functions(FunctionRegistry& registry);  // default, empty, coalesce, ternary, kindOf...
void register_date_functions(FunctionRegistry& registry);          // now, date, toDate, unixEpoch

// Argument helpers that check types the way Go's reflection does for typed parameters.
const std::string& string_arg(std::span<const Value> args, std::size_t i);
std::int64_t int_arg(std::span<const Value> args, std::size_t i);
bool bool_arg(std::span<const Value> args, std::size_t i);
const Value& dict_arg(std::span<const Value> args, std::size_t i);

// Sprig's strval: strings as themselves, nil as "", everything else through %v.
std::string to_go_string(const Value& v);
// spf13/cast's ToInt64 / ToFloat64, as Sprig's int, int64, float64, add... use them.
std::int64_t cast_to_int64(const Value& v);
double cast_to_float64(const Value& v);
// Sprig's strslice: a list's non-nil elements as strings; a scalar as a one-element list.
std::vector<std::string> to_string_list(const Value& v);

}  // namespace kb::chart
