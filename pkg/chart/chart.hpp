#pragma once
// A Helm chart in memory, loaded from a directory or from a map of files (the binary embeds its
// chart as such a map). Only what rendering needs; dependencies (charts/) are not supported.
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kb::chart {

struct ChartFile {
  std::string path;  // relative to the chart's root, '/'-separated, e.g. "templates/deployment.yaml"
  std::string content;
};

struct Chart {
  std::string name;                          // Chart.yaml's name
  boost::json::object metadata;              // Chart.yaml as written (lower-case keys)
  boost::json::object values;                // values.yaml, numbers as float64 like Helm
  std::optional<boost::json::value> schema;  // values.schema.json
  std::vector<ChartFile> templates;          // templates/**, sorted by path (partials and NOTES.txt included)
  std::vector<ChartFile> crds;               // crds/*.yaml|yml|json, sorted by path
  std::vector<ChartFile> files;              // every other file, what .Files sees (crds/ included, as in Helm)
};

// A chart that cannot be loaded: no Chart.yaml, no name, bad schema JSON, subcharts...
class ChartError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Loads a chart from files keyed by their path relative to the chart root. Files whose path starts
// with `strip_prefix` lose it first, and files outside it are ignored (so the embedded asset map,
// keyed "chart/bitcoin-controller/...", can be passed with that prefix). YAML errors surface as
// kb::base::YamlError naming "<chart>/<file>".
Chart load_chart(const std::map<std::string, std::string>& files, const std::string& strip_prefix = "");

// Reads every regular file under `directory` (honouring simple .helmignore patterns) and loads it.
Chart load_chart_directory(const std::filesystem::path& directory);

}  // namespace kb::chart
