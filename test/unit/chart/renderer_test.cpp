// Rendering a whole chart as `helm template` does: install order, "# Source:" headers, partials
// and NOTES.txt kept out, CRDs verbatim, built-in objects, and the repository's own chart.
#include "pkg/chart/renderer.hpp"
#include "pkg/chart/schema_validator.hpp"
#include "pkg/chart/values.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <filesystem>

using namespace kb::chart;
namespace json = boost::json;

namespace {
std::map<std::string, std::string> small_chart() {
  return {
      {"chart/demo/Chart.yaml", "apiVersion: v2\nname: demo\nversion: 1.2.3\nappVersion: \"4.5\"\nkeywords: [a, b]\n"},
      {"chart/demo/values.yaml", "replicas: 1\nname: web\nextra: {}\nnetworkPolicy:\n  enabled: false\n"},
      {"chart/demo/values.schema.json",
       R"({"type":"object","properties":{"replicas":{"type":"integer","minimum":0}}})"},
      {"chart/demo/crds/thing.yaml", "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n"},
      {"chart/demo/files/config.ini", "k=v\n"},
      {"chart/demo/templates/_helpers.tpl",
       "{{- define \"demo.fullname\" -}}{{ .Release.Name }}-{{ .Chart.Name }}{{- end -}}"},
      {"chart/demo/templates/deployment.yaml",
       "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ include \"demo.fullname\" . }}\nspec:\n  "
       "replicas: {{ .Values.replicas }}\n"},
      {"chart/demo/templates/service.yaml",
       "# leading comment\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.name }}\n---\n"
       "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  {{- (.Files.Glob \"files/*\").AsConfig | "
       "nindent 2 }}\n"},
      {"chart/demo/templates/netpol.yaml",
       "{{- if .Values.networkPolicy.enabled }}\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n{{- end }}\n"},
      {"chart/demo/templates/info.yaml",
       "apiVersion: v1\nkind: Widget\nmetadata:\n  name: info\n  annotations:\n    template: {{ .Template.Name }}\n    "
       "base: {{ .Template.BasePath }}\n    kube: {{ .Capabilities.KubeVersion.Version }}-{{ "
       ".Capabilities.KubeVersion.Minor }}\n    "
       "policy: \"{{ .Capabilities.APIVersions.Has \"policy/v1\" }}\"\n    monitoring: \"{{ "
       ".Capabilities.APIVersions.Has \"monitoring.coreos.com/v1\" }}\"\n    "
       "chart: {{ .Chart.Name }}-{{ .Chart.Version }}-{{ .Chart.AppVersion }}-{{ .Chart.Keywords }}\n    "
       "release: {{ .Release.Name }}/{{ .Release.Namespace }}/{{ .Release.IsInstall }}/{{ .Release.Revision }}\n"},
      {"chart/demo/templates/hook.yaml",
       "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hook\n  annotations:\n    \"helm.sh/hook\": "
       "post-install\n"},
      {"chart/demo/templates/NOTES.txt", "Installed {{ .Release.Name }}."},
      {"unrelated/file", "ignored"},
  };
}
}  // namespace

TEST_CASE("a chart loads from an in-memory map under a prefix") {
  auto chart = load_chart(small_chart(), "chart/demo");
  CHECK(chart.name == "demo");
  CHECK(chart.templates.size() == 7);
  CHECK(chart.crds.size() == 1);
  CHECK(chart.schema.has_value());
  CHECK(chart.values.at("replicas").is_double());
}

TEST_CASE("helm template output: install order, sources, CRDs first, hooks last, NOTES apart") {
  auto chart = load_chart(small_chart(), "chart/demo");
  ReleaseOptions release;
  release.name = "rel";
  release.namespace_name = "ns";
  auto rendered = render_chart(chart, json::object{}, release);
  CHECK(rendered.notes == "Installed rel.");
  std::string expected =
      "---\n# Source: demo/crds/thing.yaml\napiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\n\n"
      "---\n# Source: demo/templates/service.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  "
      "config.ini: |\n    k=v\n"
      "---\n# Source: demo/templates/service.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: web\n"
      "---\n# Source: demo/templates/deployment.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: "
      "rel-demo\nspec:\n  replicas: 1\n"
      "---\n# Source: demo/templates/service.yaml\n# leading comment\n"
      "---\n# Source: demo/templates/info.yaml\napiVersion: v1\nkind: Widget\nmetadata:\n  name: info\n  annotations:\n"
      "    template: demo/templates/info.yaml\n    base: demo/templates\n    kube: v1.20.0-20\n    policy: \"true\"\n"
      "    monitoring: \"false\"\n    chart: demo-1.2.3-4.5-[a b]\n    release: rel/ns/true/1\n"
      "---\n# Source: demo/templates/hook.yaml\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hook\n  "
      "annotations:\n"
      "    \"helm.sh/hook\": post-install\n";
  CHECK(helm_template_output(rendered, true) == expected);
}

TEST_CASE("user values coalesce and are validated against the schema") {
  auto chart = load_chart(small_chart(), "chart/demo");
  json::object user;
  apply_set("replicas=3,networkPolicy.enabled=true", SetKind::Typed, user);
  auto rendered = render_chart(chart, user);
  bool has_policy = false;
  for (const auto& m : rendered.manifests) {
    if (m.kind == "NetworkPolicy") has_policy = true;
    if (m.kind == "Deployment") {
      CHECK(m.content.find("replicas: 3") != std::string::npos);
      CHECK(m.object.at("spec").at("replicas") == json::value(3));  // parsed once, handed to the caller
    }
  }
  CHECK(has_policy);
  CHECK(rendered.manifests.front().kind == "NetworkPolicy");

  json::object bad;
  apply_set("replicas=-1", SetKind::Typed, bad);
  CHECK_THROWS_AS(render_chart(chart, bad), SchemaError);
}

TEST_CASE("Chart.yaml's kubeVersion is checked against the capabilities") {
  auto files = small_chart();
  files["chart/demo/Chart.yaml"] = "apiVersion: v2\nname: demo\nversion: 1.0.0\nkubeVersion: \">=1.25.0-0\"\n";
  auto chart = load_chart(files, "chart/demo");
  CHECK_THROWS_WITH_AS(render_chart(chart, json::object{}),
                       "chart requires kubeVersion: >=1.25.0-0 which is incompatible with Kubernetes v1.20.0",
                       ChartError);
  Capabilities capabilities;
  capabilities.kube_version = "v1.32.0";
  CHECK_NOTHROW(render_chart(chart, json::object{}, ReleaseOptions{}, capabilities));
}

TEST_CASE("a rendered document that is not YAML is reported like Helm") {
  auto files = small_chart();
  files["chart/demo/templates/broken.yaml"] = "a: [1\n";
  auto chart = load_chart(files, "chart/demo");
  CHECK_THROWS_WITH_AS(render_chart(chart, json::object{}),
                       doctest::Contains("YAML parse error on demo/templates/broken.yaml"), RenderError);
}

TEST_CASE("the repository's chart renders with its default values") {
  std::filesystem::path dir = std::filesystem::path(KB_SOURCE_DIR) / "chart" / "bitcoin-controller";
  if (!std::filesystem::exists(dir / "Chart.yaml")) return;  // the chart is written in parallel
  auto chart = load_chart_directory(dir);
  Capabilities capabilities;
  capabilities.kube_version = "v1.32.0";  // the chart requires a newer cluster than Helm's offline default
  auto rendered = render_chart(chart, json::object{}, ReleaseOptions{}, capabilities);
  CHECK_FALSE(rendered.manifests.empty());
  for (const auto& m : rendered.manifests) {
    CAPTURE(m.source);
    CHECK(m.source.starts_with(chart.name + "/templates/"));
    CHECK_FALSE(m.kind.empty());
  }
}
