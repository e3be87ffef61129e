// Golden cases for the template engine (data/engine_cases.txt): every construct, builtin and Sprig
// or Helm function, and the error paths, with the output Go's text/template + Sprig produce under
// Helm's options. Parse errors carry a column that Go omits; it is stripped before comparing.
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/template_engine.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <regex>
#include <sstream>

using namespace kb::chart;

namespace {

struct GoldenCase {
  std::string name;
  std::string template_text;
  std::string want;
};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE_MESSAGE(in.good(), "cannot read " << path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

std::vector<GoldenCase> load_cases() {
  std::string text = read_file(std::string(KB_TEST_DATA) + "/engine_cases.txt");
  std::vector<GoldenCase> cases;
  const std::string case_marker = "#### case: ";
  std::size_t pos = text.find(case_marker);
  while (pos != std::string::npos) {
    std::size_t next = text.find("\n" + case_marker, pos);
    std::size_t end_marker = text.find("\n#### end\n", pos);
    std::size_t block_end = std::min(next == std::string::npos ? text.size() : next, end_marker);
    std::string block = text.substr(pos + case_marker.size(), block_end - pos - case_marker.size());
    GoldenCase c;
    c.name = block.substr(0, block.find('\n'));
    auto t = block.find("#### template\n") + 14;
    auto w = block.find("\n#### want\n");
    c.template_text = block.substr(t, w - t);
    c.want = block.substr(w + 11);
    cases.push_back(std::move(c));
    pos = next == std::string::npos ? std::string::npos : next + 1;
  }
  return cases;
}

Value top_data() {
  auto values = kb::base::parse_yaml(read_file(std::string(KB_TEST_DATA) + "/engine_values.yaml"));
  Dict top;
  top["Values"] = from_json(values);
  top["Release"] = Value(Dict{{"Name", Value("rel")},
                              {"Namespace", Value("ns")},
                              {"Service", Value("Helm")},
                              {"IsInstall", Value(true)},
                              {"IsUpgrade", Value(false)},
                              {"Revision", Value::integer(1)}});
  top["Chart"] = Value(Dict{{"Name", Value("mychart")}, {"Version", Value("0.1.0")}, {"AppVersion", Value("1.0")}});
  return Value(std::move(top));
}

std::string run(const std::string& text) {
  Engine engine;
  try {
    engine.add_template("test.tpl", text);
  } catch (const TemplateError& e) {
    static const std::regex column(R"(^(template: [^:]+:\d+):\d+:)");
    return "PARSE ERROR: " + std::regex_replace(std::string(e.what()), column, "$1:") + "\n";
  }
  try {
    return engine.render("test.tpl", top_data());
  } catch (const TemplateError& e) {
    return "EXEC ERROR: " + std::string(e.what()) + "\n";
  }
}

}  // namespace

TEST_CASE("golden templates render exactly as Helm's engine renders them") {
  auto cases = load_cases();
  REQUIRE(cases.size() > 60);
  for (const auto& c : cases) {
    CAPTURE(c.name);
    CAPTURE(c.template_text);
    CHECK(run(c.template_text) == c.want);
  }
}
