#pragma once
// Chart values as Helm computes them: values.yaml, then -f files in order (deep merge), then
// --set-json, --set, --set-string, --set-file, --set-literal (each kind in its own order, as Helm
// applies them), then coalesced over the chart's defaults, where a user's null deletes a default.
#include "pkg/chart/set_parser.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kb::chart {

// A values file that does not hold a YAML mapping.
class ValuesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses a values file the way Helm does: YAML whose numbers become float64 (doubles), because Helm
// decodes through encoding/json. An empty file gives {}. Throws kb::base::YamlError (naming
// `source`, line and column) or ValuesError when the document is not a mapping.
boost::json::object parse_values_yaml(std::string_view text, std::string_view source);

struct ValuesFile {
  std::string name;     // for error messages
  std::string content;  // the YAML text
};

// What the user passed: the equivalent of Helm's values.Options.
struct ValueOptions {
  std::vector<ValuesFile> files;            // -f/--values, in order
  std::vector<std::string> json_values;     // --set-json
  std::vector<std::string> values;          // --set
  std::vector<std::string> string_values;   // --set-string
  std::vector<std::string> file_values;     // --set-file (key=path)
  std::vector<std::string> literal_values;  // --set-literal
};

// The user-supplied values, merged as Helm's MergeValues does. `read_file` serves --set-file.
boost::json::object merge_user_values(const ValueOptions& options, const SetFileReader& read_file = {});

// Helm's mergeMaps for -f files: `overlay` wins; nested maps merge.
void merge_values(boost::json::object& base, const boost::json::object& overlay);

// Helm's CoalesceValues: the user's values over the chart's defaults. A null from the user removes
// the key; maps merge deeply; a user's non-map replaces a default map (and vice versa).
boost::json::object coalesce_values(const boost::json::object& chart_defaults, const boost::json::object& user);

}  // namespace kb::chart
