// Error paths: every error names the template, line and column, and (when executing) the
// template being run and the failing expression, in Go's format.
#include "pkg/chart/template_engine.hpp"

#include <doctest/doctest.h>

using namespace kb::chart;

namespace {
TemplateError render_error(const std::string& text, const Value& data = Value(Dict{})) {
  Engine engine;
  try {
    engine.add_template("chart/templates/x.yaml", text);
    engine.render("chart/templates/x.yaml", data);
  } catch (const TemplateError& e) {
    return e;
  }
  FAIL("expected a TemplateError for: " << text);
  throw std::logic_error("unreachable");
}
}  // namespace

TEST_CASE("unknown function is a parse error with line and column") {
  auto e = render_error("a: 1\nb: {{ frobnicate .x }}\n");
  CHECK(e.phase() == TemplateError::Phase::Parse);
  CHECK(e.template_name() == "chart/templates/x.yaml");
  CHECK(e.line() == 2);
  CHECK(e.column() == 6);
  CHECK(std::string(e.what()) == "template: chart/templates/x.yaml:2:6: function \"frobnicate\" not defined");
  CHECK(e.helm_message() == "parse error at (chart/templates/x.yaml:2): function \"frobnicate\" not defined");
}

TEST_CASE("unterminated action points at its opening delimiter") {
  auto e = render_error("ok\n  {{ .Values.a\n");
  CHECK(e.line() == 2);
  CHECK(e.column() == 2);
  CHECK(e.message() == "unclosed action");
}

TEST_CASE("required failing reports the expression and Helm's short form") {
  auto e = render_error("a: 1\nb: {{ required \"b is required\" .b }}\n");
  CHECK(e.phase() == TemplateError::Phase::Execute);
  CHECK(e.line() == 2);
  CHECK(e.column() == 6);
  CHECK(e.expression() == "required \"b is required\" .b");
  CHECK(e.failure() == "b is required");
  CHECK(
      std::string(e.what()) ==
      "template: chart/templates/x.yaml:2:6: executing \"chart/templates/x.yaml\" at <required \"b is required\" .b>: "
      "error calling required: b is required");
  CHECK(e.helm_message() == "execution error at (chart/templates/x.yaml:2:6): b is required");
}

TEST_CASE("fail inside an include keeps the outer location for Helm's message") {
  auto e = render_error("{{ define \"inner\" }}\n{{ fail \"stop\" }}{{ end }}x: {{ include \"inner\" . }}");
  CHECK(e.line() == 2);
  CHECK(e.expression() == "include \"inner\" .");
  CHECK(e.failure() == "stop");
  CHECK(e.helm_message() == "execution error at (chart/templates/x.yaml:2:32): stop");
  CHECK(e.message().find(
            "error calling include: template: chart/templates/x.yaml:2:3: executing \"inner\" at <fail \"stop\">") ==
        0);
}

TEST_CASE("wrong argument type names the argument") {
  auto e = render_error("{{ .n | upper }}", Value(Dict{{"n", Value(1.0)}}));
  CHECK(e.expression() == "upper");
  CHECK(e.message() == "wrong type for value; expected string; got float64");
  auto literal = render_error("{{ trunc \"x\" \"abc\" }}");
  CHECK(literal.expression() == "\"x\"");
  CHECK(literal.column() == 9);
  CHECK(literal.message() == "expected integer; found \"x\"");
}

TEST_CASE("nil pointer in a field chain") {
  auto e = render_error("{{ .Values.missing.deeper }}", Value(Dict{{"Values", Value(Dict{})}}));
  CHECK(e.message() == "nil pointer evaluating interface {}.deeper");
  CHECK(e.expression() == ".Values.missing.deeper");
  CHECK(e.column() == 10);  // Go points at the second element of the chain
}

TEST_CASE("errors inside tpl strings are wrapped like Helm's") {
  auto e = render_error("{{ tpl \"{{ .a.b.c }}\" . }}");
  CHECK(e.message() ==
        "error calling tpl: error during tpl function execution for \"{{ .a.b.c }}\": template: gotpl:1:5: executing "
        "\"gotpl\" at <.a.b.c>: nil pointer evaluating interface {}.b");
}

TEST_CASE("include recursion is bounded") {
  EngineOptions options;
  options.max_include_depth = 50;
  Engine engine(options);
  engine.add_template("t", "{{ define \"loop\" }}{{ include \"loop\" . }}{{ end }}{{ include \"loop\" . }}");
  CHECK_THROWS_AS(engine.render("t", Value()), TemplateError);
}

TEST_CASE("templates from other files: define in a partial, later definitions replace earlier ones") {
  Engine engine;
  engine.add_template("c/templates/_a.tpl", "{{ define \"name\" }}first{{ end }}");
  engine.add_template("c/templates/_b.tpl", "{{ define \"name\" }}second{{ end }}");
  engine.add_template("c/templates/x.yaml", "{{ include \"name\" . }}");
  CHECK(engine.render("c/templates/x.yaml", Value()) == "second");
}

TEST_CASE("randAlphaNum and now use the injected sources") {
  EngineOptions options;
  options.random = [](std::uint64_t) { return std::uint64_t{0}; };
  options.clock = [] { return std::chrono::system_clock::time_point(std::chrono::seconds(1700000000)); };
  Engine engine(options);
  engine.add_template(
      "t", "{{ randAlphaNum 5 }} {{ now | date \"2006-01-02T15:04:05Z07:00\" }} {{ now | unixEpoch }} {{ uuidv4 }}");
  CHECK(engine.render("t", Value()) == "aaaaa 2023-11-14T22:13:20Z 1700000000 00000000-0000-4000-8000-000000000000");
}
