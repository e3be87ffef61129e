#include "pkg/chart/chart.hpp"

#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/values.hpp"

#include <boost/json.hpp>

#include <fnmatch.h>

#include <fstream>
#include <sstream>

namespace kb::chart {
namespace json = boost::json;

namespace {

bool has_manifest_extension(std::string_view path) {
  return path.ends_with(".yaml") || path.ends_with(".yml") || path.ends_with(".json");
}

// The .helmignore rules Helm charts commonly use: blank lines and comments skipped, "dir/" matches a
// directory, other lines are shell globs matched against the path and against its base name.
struct IgnoreRules {
  std::vector<std::string> patterns;

  bool ignored(const std::string& path) const {
    std::string base = path.substr(path.rfind('/') + 1);
    for (const auto& raw : patterns) {
      std::string p = raw;
      bool negate = !p.empty() && p[0] == '!';
      if (negate) continue;  // negations are rare in charts; not supported
      if (p.ends_with("/")) {
        std::string dir = p.substr(0, p.size() - 1);
        if (path.starts_with(dir + "/") || path.find("/" + dir + "/") != std::string::npos) return true;
        continue;
      }
      if (fnmatch(p.c_str(), path.c_str(), FNM_PATHNAME) == 0 || fnmatch(p.c_str(), base.c_str(), 0) == 0) return true;
    }
    return false;
  }
};

IgnoreRules parse_ignore(const std::string& text) {
  IgnoreRules rules;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
    if (line.empty() || line[0] == '#') continue;
    if (line.starts_with("/")) line.erase(0, 1);
    rules.patterns.push_back(line);
  }
  return rules;
}

}  // namespace

Chart load_chart(const std::map<std::string, std::string>& input, const std::string& strip_prefix) {
  std::map<std::string, std::string> files;
  for (const auto& [path, content] : input) {
    if (!path.starts_with(strip_prefix)) continue;
    std::string relative = path.substr(strip_prefix.size());
    while (relative.starts_with("/")) relative.erase(0, 1);
    if (!relative.empty()) files[relative] = content;
  }
  auto chart_yaml = files.find("Chart.yaml");
  if (chart_yaml == files.end()) throw ChartError("Chart.yaml file is missing");
  Chart chart;
  json::value metadata = kb::base::parse_yaml(chart_yaml->second, "Chart.yaml");
  if (!metadata.is_object()) throw ChartError("Chart.yaml: not a YAML mapping");
  chart.metadata = metadata.get_object();
  const auto* name = chart.metadata.if_contains("name");
  if (!name || !name->is_string() || name->get_string().empty())
    throw ChartError("validation: chart.metadata.name is required");
  chart.name = std::string(name->get_string());
  IgnoreRules ignore;
  if (auto it = files.find(".helmignore"); it != files.end()) ignore = parse_ignore(it->second);

  for (const auto& [path, content] : files) {
    if (path == "Chart.yaml" || ignore.ignored(path)) continue;
    if (path == "values.yaml") {
      chart.values = parse_values_yaml(content, chart.name + "/values.yaml");
    } else if (path == "values.schema.json") {
      boost::system::error_code ec;
      chart.schema = json::parse(content, ec);
      if (ec) throw ChartError(chart.name + "/values.schema.json: " + ec.message());
    } else if (path.starts_with("templates/")) {
      chart.templates.push_back({path, content});
    } else if (path.starts_with("charts/")) {
      throw ChartError(chart.name + ": subcharts (" + path + ") are not supported");
    } else {
      if (path.starts_with("crds/") && has_manifest_extension(path)) chart.crds.push_back({path, content});
      chart.files.push_back({path, content});
    }
  }
  return chart;
}

Chart load_chart_directory(const std::filesystem::path& directory) {
  namespace fs = std::filesystem;
  if (!fs::is_directory(directory)) throw ChartError(directory.string() + ": not a directory");
  std::map<std::string, std::string> files;
  for (const auto& entry : fs::recursive_directory_iterator(directory)) {
    if (!entry.is_regular_file()) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) throw ChartError(entry.path().string() + ": cannot read");
    std::ostringstream content;
    content << in.rdbuf();
    files[fs::relative(entry.path(), directory).generic_string()] = content.str();
  }
  return load_chart(files);
}

}  // namespace kb::chart
