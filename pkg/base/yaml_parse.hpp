#pragma once
// YAML text → boost::json values, typed the way Kubernetes and Helm read YAML
// (sigs.k8s.io/yaml on top of go-yaml v2): plain scalars resolve to null, bool, int or float;
// quoted scalars stay strings; mapping keys become strings (as written); anchors, aliases and
// "<<" merge keys resolve. Read with libyaml (the C library go-yaml was ported from); nesting
// deeper than 1000 levels and aliases expanding beyond 10^6 nodes or 64 MiB are YamlErrors.
#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kb::base {

// A YAML syntax error, located in its source (a file name, or a description such as "--set").
class YamlError : public std::runtime_error {
 public:
  YamlError(std::string source, int line, int column, std::string problem);
  const std::string& source() const { return source_; }
  int line() const { return line_; }      // 1-based
  int column() const { return column_; }  // 1-based
  const std::string& problem() const { return problem_; }

 private:
  std::string source_;
  int line_;
  int column_;
  std::string problem_;
};

// One YAML document. An empty document yields null. `source` names the input in errors.
boost::json::value parse_yaml(std::string_view text, std::string_view source = "<input>");

// Every document of a multi-document stream ("---" separated), empty documents dropped.
std::vector<boost::json::value> parse_yaml_documents(std::string_view text, std::string_view source = "<input>");

// How go-yaml v2 resolves a plain (unquoted) scalar; exposed for `--set` parsing and tests.
boost::json::value resolve_plain_scalar(std::string_view scalar);

}  // namespace kb::base
