// The engine's bounds (EngineOptions::max_output_bytes, max_steps): a template cannot make a
// render take unbounded memory or time; going over a bound is a TemplateError that names it.
// Found by the template fuzzer (test/fuzz/template).
#include "pkg/chart/template_engine.hpp"

#include <doctest/doctest.h>

using namespace kb::chart;

namespace {
std::string render(const std::string& text, EngineOptions options = {}) {
  Engine engine(std::move(options));
  engine.add_template("x.yaml", text);
  return engine.render("x.yaml", Value(Dict{}));
}
std::string render_error(const std::string& text, EngineOptions options = {}) {
  try {
    render(text, std::move(options));
  } catch (const TemplateError& e) {
    return e.what();
  }
  FAIL("expected a TemplateError for: " << text);
  return "";
}
EngineOptions small(std::size_t bytes, std::uint64_t steps) {
  EngineOptions options;
  options.max_output_bytes = bytes;
  options.max_steps = steps;
  return options;
}
}  // namespace

TEST_CASE("functions that generate from a count refuse counts beyond the bound before allocating") {
  CHECK(render_error("{{ range until 100000000000 }}{{ end }}") ==
        "template: x.yaml:1:9: executing \"x.yaml\" at <until 100000000000>: error calling until: it would generate "
        "100000000000 items or bytes, more than the template engine's limit of 67108864");
  CHECK(render_error("{{ repeat 100000000000 \"ab\" }}").find("error calling repeat: it would generate") !=
        std::string::npos);
  CHECK(render_error("{{ indent 100000000000 \"x\" }}").find("error calling indent: it would generate") !=
        std::string::npos);
  CHECK(render_error("{{ randAlphaNum 100000000000 }}").find("error calling randAlphaNum") != std::string::npos);
  CHECK(render_error("{{ seq 1 100000000000 }}").find("error calling seq: it would generate") != std::string::npos);
  CHECK(render_error("{{ untilStep 0 100000000000 1 }}").find("error calling untilStep") != std::string::npos);
  // Within the bound they work as before.
  CHECK(render("{{ repeat 3 \"ab\" }}|{{ until 3 }}|{{ seq 3 }}|{{ indent 2 \"x\" }}") == "ababab|[0 1 2]|1 2 3|  x");
}

TEST_CASE("untilStep and seq near the int64 limits end instead of overflowing") {
  CHECK(render("{{ untilStep 9223372036854775800 9223372036854775807 3 }}") ==
        "[9223372036854775800 9223372036854775803 9223372036854775806]");
  CHECK(render("{{ seq 9223372036854775806 9223372036854775807 }}") == "9223372036854775806 9223372036854775807");
  CHECK(render("{{ seq -9223372036854775805 -2 -9223372036854775807 }}") ==
        "-9223372036854775805 -9223372036854775807");
}

TEST_CASE("the output of one template is bounded") {
  auto options = small(1000, 1'000'000);
  CHECK(render("{{ range until 10 }}{{ repeat 100 \"x\" }}{{ end }}", options).size() == 1000);
  CHECK(render_error("{{ range until 11 }}{{ repeat 100 \"x\" }}{{ end }}", options) ==
        "template: x.yaml:1:23: executing \"x.yaml\" at <{{repeat 100 \"x\"}}>: the output would be larger than 1000 "
        "bytes, the template engine's limit");
  // A function result larger than the bound is refused too, even when it is not printed.
  CHECK(render_error("{{ $s := repeat 1001 \"x\" }}", options).find("it would generate 1001 items or bytes") !=
        std::string::npos);
}

TEST_CASE("the steps of a render are bounded") {
  auto options = small(1 << 20, 10'000);
  CHECK(render("{{ range until 90 }}{{ range until 90 }}{{ end }}{{ end }}", options).empty());
  CHECK(render_error("{{ range until 1000 }}{{ range until 1000 }}{{ end }}{{ end }}", options)
            .find("the render took more than 10000 steps (actions, loop iterations, function calls), the template "
                  "engine's limit") != std::string::npos);
  // Recursion through define/template ends at max_include_depth, depth first.
  const std::string branching =
      "{{ define \"a\" }}{{ template \"a\" . }}{{ template \"a\" . }}{{ end }}{{ template \"a\" . }}";
  CHECK(render_error(branching, options).find("exceeded maximum template depth (1000)") != std::string::npos);
  // Loops inside included templates count towards the same render's steps.
  CHECK(render_error("{{ define \"b\" }}{{ range until 100 }}{{ end }}{{ end }}"
                     "{{ range until 200 }}{{ include \"b\" . }}{{ end }}",
                     options)
            .find("more than 10000 steps") != std::string::npos);
}
