#pragma once
// The chart flags shared by `install`, `upgrade` and `template` (-f, --set*, --chart), and the
// rendering of the embedded (or given) chart into what the installer applies.
#include "pkg/cli/command.hpp"
#include "pkg/install/installer.hpp"

#include <string>
#include <vector>

namespace kb::cli {

struct ChartFlags {
  std::string chart_dir;  // empty: the chart embedded in the binary
  std::string release = "bitcoin-controller";
  std::vector<std::string> value_files;
  std::vector<std::string> set;
  std::vector<std::string> set_string;
  std::vector<std::string> set_json;
  std::vector<std::string> set_file;
};

void add_chart_flags(CLI::App& command, ChartFlags& flags);

struct RenderOptions {
  std::string namespace_name;
  std::string kube_version;  // empty: Helm's offline default
  bool is_upgrade = false;
  int revision = 1;
  bool parse_crds = true;  // false for `template`, which only prints them
};

struct RenderedRelease {
  std::vector<install::Manifest> crds;
  std::vector<install::Manifest> objects;
  std::string template_output;  // `helm template` text of the objects
  std::string template_output_with_crds;
  std::string notes;
  boost::json::value chart_metadata;
  boost::json::value chart_values;
  boost::json::value user_values;
};

// Loads the chart, merges the values, validates them against the schema and renders. Every
// failure becomes a UsageError (bad flag or values) or CommandError naming the file and line.
RenderedRelease render_release(const ChartFlags& flags, const RenderOptions& options);

}  // namespace kb::cli
