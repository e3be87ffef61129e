// The chart's Go-template engine (lexer, parser, executor, Helm's function set) on any template
// text, executed over the bundled chart's default values and the golden tests' values
// (test/unit/chart/data/engine_values.yaml). The input is the template; it may {{define}} and
// {{include}} templates and call tpl. The seeds are the golden cases and the chart's templates.
// Properties checked beyond "no crash, no leak, no hang": every failure is a TemplateError, and
// the engine's bounds (output size, execution steps, include depth) hold: what a render returns
// is never larger than the output bound. Clock and randomness are fixed, so runs are repeatable.
#include "pkg/base/embedded_assets.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/template_engine.hpp"
#include "pkg/chart/values.hpp"
#include "test/fuzz/fuzz_input.hpp"

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

namespace {
using namespace kb::chart;

constexpr std::size_t kMaxOutput = 1 << 20;

Value chart_data() {
  auto chart_values =
      kb::base::parse_yaml(kb::assets::find("chart/bitcoin-controller/values.yaml").value_or(""), "values.yaml");
  std::ifstream in(KB_SOURCE_DIR "/test/unit/chart/data/engine_values.yaml");
  std::stringstream golden_values;
  golden_values << in.rdbuf();
  boost::json::object values = chart_values.as_object();
  merge_values(values, kb::base::parse_yaml(golden_values.str(), "engine_values.yaml").as_object());
  Dict release{{"Name", Value("kb")}, {"Namespace", Value("bitcoin-controller")}, {"Service", Value("Helm")}};
  return Value(Dict{{"Values", from_json(values)},
                    {"Release", Value(std::move(release))},
                    {"Chart", Value(Dict{{"Name", Value("bitcoin-controller")}, {"Version", Value("0.1.0")}})}});
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Value dot = chart_data();
  EngineOptions options;
  options.random = [](std::uint64_t bound) { return bound / 2; };
  options.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)); };
  options.max_include_depth = 50;
  options.max_output_bytes = kMaxOutput;
  options.max_steps = 200'000;
  Engine engine(options);
  try {
    engine.add_template("fuzz", std::string(kb::fuzz::as_text(data, size)));
    std::string out = engine.render("fuzz", dot);
    if (out.size() > kMaxOutput) kb::fuzz::finding("the output is larger than max_output_bytes");
  } catch (const TemplateError&) {
  }
  return 0;
}
