#pragma once
// Helm's strvals syntax for --set, --set-string, --set-json, --set-file and --set-literal:
// "a.b=1,c[0]=x,d={x,y},e\.f=g" applied onto a values object.
#include <boost/json/object.hpp>

#include <cstddef>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace kb::chart {

// A malformed expression: names the flag, quotes the text and points at the column.
class SetParseError : public std::runtime_error {
 public:
  SetParseError(std::string flag, std::string expression, std::size_t column, std::string problem);
  const std::string& flag() const { return flag_; }
  const std::string& expression() const { return expression_; }
  std::size_t column() const { return column_; }  // 0-based offset in the expression
  const std::string& problem() const { return problem_; }

 private:
  std::string flag_;
  std::string expression_;
  std::size_t column_;
  std::string problem_;
};

enum class SetKind {
  Typed,    // --set: true/false/null, integers (not starting with 0) become typed, the rest strings
  String,   // --set-string: every value a string
  Json,     // --set-json: each value is JSON
  File,     // --set-file: each value is a path whose content becomes the string value
  Literal,  // --set-literal: one key, and everything after '=' is the value, unparsed
};

// Reads a --set-file path; throws std::runtime_error when it cannot.
using SetFileReader = std::function<std::string(const std::string& path)>;

// Applies one flag argument onto `values`. Throws SetParseError.
void apply_set(std::string_view expression, SetKind kind, boost::json::object& values,
               const SetFileReader& read_file = {});

// The flag name for messages: "--set", "--set-string"...
std::string_view set_flag_name(SetKind kind);

// Helm decodes values through encoding/json into interface{}: every number becomes a float64.
boost::json::value numbers_as_floats(const boost::json::value& v);

}  // namespace kb::chart
