#pragma once
// Renders a chart as `helm template` does: values coalesced and validated, every template executed
// with .Values/.Release/.Chart/.Capabilities/.Template/.Files, partials (_*) and NOTES.txt kept out
// of the manifests, documents split and sorted into Helm's install order, hooks separated.
#include "pkg/chart/chart.hpp"
#include "pkg/chart/template_engine.hpp"

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace kb::chart {

struct ReleaseOptions {
  std::string name = "release-name";  // helm template's default
  std::string namespace_name = "default";
  int revision = 1;
  bool is_upgrade = false;  // IsInstall is its negation
};

struct Capabilities {
  // What `helm template` assumes offline (Helm 3 built without version ldflags says v1.20.0;
  // release binaries say the client-go version). Pass the cluster's version when known.
  std::string kube_version = "v1.20.0";
  std::vector<std::string> api_versions = default_api_versions();
  std::string helm_version = "v3.22.0";

  // Helm's DefaultVersionSet: every group/version built into client-go's scheme.
  static std::vector<std::string> default_api_versions();
};

// One YAML document of the output, under the path `helm template` prints as "# Source:".
struct RenderedManifest {
  std::string source;   // e.g. "bitcoin-controller/templates/deployment.yaml"
  std::string content;  // the document, trimmed, without "---"
  std::string kind;     // its kind, "" if none
  // The document parsed (Helm parses each one too, to sort and to reject invalid YAML), typed as
  // Kubernetes reads YAML; null for a document of only comments. CRDs are not parsed (null).
  boost::json::value object;
};

struct RenderedChart {
  std::vector<RenderedManifest> crds;       // crds/ files verbatim, in path order
  std::vector<RenderedManifest> manifests;  // in Helm's install order
  std::vector<RenderedManifest> hooks;      // documents annotated helm.sh/hook, sorted by kind
  std::string notes;                        // rendered NOTES.txt, "" when absent
  boost::json::object values;               // the coalesced values the templates saw
};

// A rendered document that is not valid YAML, as Helm reports it.
class RenderError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws ChartError (kubeVersion not satisfied), SchemaError, TemplateError (its helm_message() is
// Helm's wording) or RenderError.
RenderedChart render_chart(const Chart& chart, const boost::json::object& user_values,
                           const ReleaseOptions& release = {}, const Capabilities& capabilities = {},
                           const EngineOptions& engine_options = {});

// Executes every template (partials excluded) and returns path → output, before splitting and
// sorting: what Helm's engine.Render returns. Values are used as given (not coalesced).
std::map<std::string, std::string> render_templates(const Chart& chart, const boost::json::object& values,
                                                    const ReleaseOptions& release = {},
                                                    const Capabilities& capabilities = {},
                                                    const EngineOptions& engine_options = {});

// The text `helm template` prints: "---\n# Source: PATH\nDOCUMENT\n" for each CRD (when
// include_crds), manifest and hook.
std::string helm_template_output(const RenderedChart& rendered, bool include_crds = false);

// Helm's install order of kinds (unknown kinds go last, alphabetically).
const std::vector<std::string>& install_order();

}  // namespace kb::chart
