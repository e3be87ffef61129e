#include "pkg/cli/chart_release.hpp"

#include "pkg/base/embedded_assets.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/chart.hpp"
#include "pkg/chart/renderer.hpp"
#include "pkg/chart/schema_validator.hpp"
#include "pkg/chart/set_parser.hpp"
#include "pkg/chart/template_error.hpp"
#include "pkg/chart/values.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <fstream>
#include <map>
#include <sstream>

namespace kb::cli {
namespace json = boost::json;

namespace {

constexpr const char* kEmbeddedChartPrefix = "chart/bitcoin-controller/";

std::string read_file_or_fail(const std::string& path, const std::string& flag) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw UsageError(flag + " " + path + ": cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

chart::Chart load(const ChartFlags& flags) {
  try {
    if (!flags.chart_dir.empty()) return chart::load_chart_directory(flags.chart_dir);
    std::map<std::string, std::string> files;
    for (const auto& file : assets::all())  // load_chart skips the rest (manifests/) anyway
      if (file.path.starts_with(kEmbeddedChartPrefix)) files.emplace(std::string(file.path), std::string(file.content));
    return chart::load_chart(files, kEmbeddedChartPrefix);
  } catch (const base::YamlError& e) {
    throw CommandError(std::string("the chart is not valid: ") + e.what());
  } catch (const chart::ChartError& e) {
    throw CommandError(std::string("cannot load the chart: ") + e.what());
  }
}

// Takes the parsed objects out of `rendered` (their text stays for helm_template_output).
std::vector<install::Manifest> parse_manifests(std::vector<chart::RenderedManifest>& rendered) {
  std::vector<install::Manifest> out;
  for (auto& m : rendered) {
    // Templates were parsed by the renderer; crds/ files are verbatim and parsed here.
    auto object = m.object.is_null() ? base::parse_yaml(m.content, m.source) : std::move(m.object);
    if (object.is_object()) out.push_back({m.source, std::move(object)});
  }
  return out;
}

// The value at a JSON pointer ("/a/b"; "" is the root), or null when there is none.
const json::value* value_at(const json::value& root, const std::string& pointer) {
  const json::value* at = &root;
  for (std::size_t start = 1; start <= pointer.size() && at; start = pointer.find('/', start) + 1) {
    auto end = pointer.find('/', start);
    std::string key = pointer.substr(start, end == std::string::npos ? std::string::npos : end - start);
    at = at->is_object() ? at->as_object().if_contains(key) : nullptr;
    if (end == std::string::npos) break;
  }
  return at;
}

// Which of the user's files and flags set the value at `pointer` last (the one that wins, in
// merge_user_values' order), e.g. "-f my.yaml" or "--set a=1"; "" when the chart's default stands.
std::string source_of(const ChartFlags& flags, const chart::ValueOptions& options, const std::string& pointer) {
  std::string found;
  auto add = [&found](const std::string& source) { found = source; };
  for (const auto& file : options.files) {
    if (value_at(chart::parse_values_yaml(file.content, file.name), pointer)) add("-f " + file.name);
  }
  const std::pair<const std::vector<std::string>*, chart::SetKind> sets[] = {
      {&flags.set_json, chart::SetKind::Json},
      {&flags.set, chart::SetKind::Typed},
      {&flags.set_string, chart::SetKind::String},
      {&flags.set_file, chart::SetKind::File}};
  for (const auto& [expressions, kind] : sets) {
    for (const auto& expression : *expressions) {
      json::object one;
      chart::apply_set(expression, kind, one, [](const std::string&) { return std::string(); });
      if (value_at(one, pointer)) add(std::string(chart::set_flag_name(kind)) + " " + expression);
    }
  }
  return found;
}

// The pointers a violation is about: for an additionalProperties violation ("additional
// properties 'a', 'b' not allowed" at /x) the keys it names (/x/a, /x/b), else its own path.
std::vector<std::string> violation_pointers(const chart::SchemaViolation& v) {
  if (v.rule != "additionalProperties") return {v.path};
  std::vector<std::string> pointers;
  for (std::size_t open = v.message.find('\''); open != std::string::npos; open = v.message.find('\'', open)) {
    auto close = v.message.find('\'', open + 1);
    if (close == std::string::npos) break;
    pointers.push_back(v.path + "/" + v.message.substr(open + 1, close - open - 1));
    open = close + 1;
  }
  return pointers;
}

}  // namespace

void add_chart_flags(CLI::App& command, ChartFlags& flags) {
  command.add_option("--release", flags.release, "Release name")->capture_default_str();
  command.add_option("-f,--values", flags.value_files, "Values files, later ones win (as with helm)");
  command.add_option("--set", flags.set, "Set values: a.b=1,c[0]=x (helm's syntax)");
  command.add_option("--set-string", flags.set_string, "Set values as strings");
  command.add_option("--set-json", flags.set_json, "Set values as JSON: a={\"b\":1}");
  command.add_option("--set-file", flags.set_file, "Set values from files: key=path");
  command.add_option("--chart", flags.chart_dir, "Render this chart directory instead of the embedded chart");
}

RenderedRelease render_release(const ChartFlags& flags, const RenderOptions& options) {
  auto loaded = load(flags);
  chart::ValueOptions value_options;
  for (const auto& path : flags.value_files) {
    value_options.files.push_back({path, read_file_or_fail(path, "-f")});
  }
  value_options.values = flags.set;
  value_options.string_values = flags.set_string;
  value_options.json_values = flags.set_json;
  value_options.file_values = flags.set_file;
  json::object user_values;
  try {
    user_values = chart::merge_user_values(
        value_options, [](const std::string& path) { return read_file_or_fail(path, "--set-file"); });
  } catch (const chart::SetParseError& e) {
    throw UsageError(e.what());
  } catch (const base::YamlError& e) {
    throw UsageError(std::string("values file is not valid YAML: ") + e.what());
  } catch (const chart::ValuesError& e) {
    throw UsageError(e.what());
  }
  chart::ReleaseOptions release;
  release.name = flags.release;
  release.namespace_name = options.namespace_name;
  release.is_upgrade = options.is_upgrade;
  release.revision = options.revision;
  chart::Capabilities capabilities;
  if (!options.kube_version.empty()) capabilities.kube_version = options.kube_version;
  chart::RenderedChart rendered;
  try {
    rendered = chart::render_chart(loaded, user_values, release, capabilities);
  } catch (const chart::SchemaError& e) {
    std::string message = "values do not match the chart's schema:";
    for (const auto& v : e.violations()) {
      message += "\n  - at '" + (v.path.empty() ? std::string("/") : v.path) + "' (" + v.rule + "): " + v.message;
      std::string sources;
      for (const auto& pointer : violation_pointers(v)) {
        if (auto found = source_of(flags, value_options, pointer); !found.empty())
          sources += (sources.empty() ? "" : ", ") + found;
      }
      if (!sources.empty()) message += " (from " + sources + ")";
    }
    message += "\nFix these values in your -f files or --set flags and run the command again.";
    throw UsageError(message);
  } catch (const chart::TemplateError& e) {
    throw CommandError(std::string("rendering the chart failed: ") + e.what());
  } catch (const chart::RenderError& e) {
    throw CommandError(std::string("rendering the chart failed: ") + e.what());
  }
  RenderedRelease out;
  if (options.parse_crds) out.crds = parse_manifests(rendered.crds);
  out.objects = parse_manifests(rendered.manifests);
  out.template_output = chart::helm_template_output(rendered, false);
  out.template_output_with_crds = chart::helm_template_output(rendered, true);
  out.notes = rendered.notes;
  out.chart_metadata = std::move(loaded.metadata);
  out.chart_values = std::move(loaded.values);
  out.user_values = std::move(user_values);
  return out;
}

}  // namespace kb::cli
