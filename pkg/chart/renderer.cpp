#include "pkg/chart/renderer.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/chart/go_format.hpp"
#include "pkg/chart/schema_validator.hpp"
#include "pkg/chart/semver.hpp"
#include "pkg/chart/values.hpp"
#include "pkg/chart/yaml_emit.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <regex>

namespace kb::chart {
namespace json = boost::json;

namespace {

std::string base_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// gobwas/glob with '/' as separator, as Helm's .Files.Glob uses it.
std::regex glob_to_regex(const std::string& glob) {
  std::string re;
  for (std::size_t i = 0; i < glob.size(); ++i) {
    char c = glob[i];
    if (c == '*') {
      if (i + 1 < glob.size() && glob[i + 1] == '*') {
        re += ".*";
        ++i;
      } else {
        re += "[^/]*";
      }
    } else if (c == '?') {
      re += "[^/]";
    } else if (c == '{') {
      re += '(';
    } else if (c == '}') {
      re += ')';
    } else if (c == ',') {
      re += '|';
    } else if (c == '[' || c == ']') {
      re += c;
    } else if (std::string_view(".+()^$|\\").find(c) != std::string_view::npos) {
      re += '\\';
      re += c;
    } else {
      re += c;
    }
  }
  return std::regex(re);
}

// Helm's .Files: the chart's non-template files, with Get, GetBytes, Glob, Lines, AsConfig, AsSecrets.
class FilesObject : public Object {
 public:
  explicit FilesObject(std::map<std::string, std::string> files) : files_(std::move(files)) {}
  std::string type_name() const override { return "engine.files"; }
  std::string kind_name() const override { return "map"; }
  bool has_method(std::string_view name) const override {
    return name == "Get" || name == "GetBytes" || name == "Glob" || name == "Lines" || name == "AsConfig" ||
           name == "AsSecrets";
  }
  Value call_method(std::string_view name, std::span<const Value> args) const override {
    auto want = [&](std::size_t n) {
      if (args.size() != n)
        throw FunctionError("wrong number of args for " + std::string(name) + ": want " + std::to_string(n) + " got " +
                            std::to_string(args.size()));
    };
    if (name == "Get" || name == "GetBytes") {
      want(1);
      auto it = files_.find(string_arg(args, 0));
      return Value(it == files_.end() ? std::string() : it->second);
    }
    if (name == "Lines") {
      want(1);
      auto it = files_.find(string_arg(args, 0));
      List lines;
      if (it == files_.end() || it->second.empty()) return Value(std::move(lines));
      std::string s = it->second;
      if (s.back() == '\n') s.pop_back();
      std::size_t start = 0;
      while (true) {
        auto nl = s.find('\n', start);
        lines.emplace_back(s.substr(start, nl == std::string::npos ? std::string::npos : nl - start));
        if (nl == std::string::npos) break;
        start = nl + 1;
      }
      return Value(std::move(lines));
    }
    if (name == "Glob") {
      want(1);
      auto re = glob_to_regex(string_arg(args, 0));
      std::map<std::string, std::string> matched;
      for (const auto& [path, content] : files_)
        if (std::regex_match(path, re)) matched.emplace(path, content);
      return Value(std::shared_ptr<const Object>(std::make_shared<FilesObject>(std::move(matched))));
    }
    want(0);
    Dict out;
    for (const auto& [path, content] : files_)
      out[base_name(path)] = Value(name == "AsConfig" ? content : kb::base::base64_encode(content));
    if (out.empty()) return Value("");
    return Value(helm_to_yaml(Value(std::move(out))));
  }
  std::string to_display() const override {
    std::string out = "map[";
    bool first = true;
    for (const auto& [path, content] : files_) {
      out += (first ? "" : " ") + path + ":[...]";
      first = false;
    }
    return out + "]";
  }
  Value to_data() const override {
    Dict out;
    for (const auto& [path, content] : files_) out[path] = Value(kb::base::base64_encode(content));
    return Value(std::move(out));
  }

 private:
  std::map<std::string, std::string> files_;
};

// chartutil.KubeVersion: fields Version, Major, Minor; String() and GitVersion() give the version.
class KubeVersionObject : public Object {
 public:
  explicit KubeVersionObject(std::string version) : version_(std::move(version)) {
    // v?([0-9]+)\.([0-9]+).* , by hand: compiling a std::regex costs more than the whole render.
    std::string_view v = version_;
    if (!v.empty() && v[0] == 'v') v.remove_prefix(1);
    auto digits = [&](std::size_t from) {
      std::size_t i = from;
      while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i;
      return i - from;
    };
    std::size_t major = digits(0);
    if (major > 0 && major < v.size() && v[major] == '.') {
      if (std::size_t minor = digits(major + 1); minor > 0 && v.find_first_of("\n\r") == std::string_view::npos) {
        major_ = std::string(v.substr(0, major));
        minor_ = std::string(v.substr(major + 1, minor));
      }
    }
  }
  std::string type_name() const override { return "chartutil.KubeVersion"; }
  std::string kind_name() const override { return "struct"; }
  bool has_method(std::string_view name) const override { return name == "String" || name == "GitVersion"; }
  Value call_method(std::string_view, std::span<const Value>) const override { return Value(version_); }
  std::optional<Value> field(std::string_view name) const override {
    if (name == "Version") return Value(version_);
    if (name == "Major") return Value(major_);
    if (name == "Minor") return Value(minor_);
    return std::nullopt;
  }
  std::string to_display() const override { return version_; }
  Value to_data() const override {
    return Value(Dict{{"Version", Value(version_)}, {"Major", Value(major_)}, {"Minor", Value(minor_)}});
  }

 private:
  std::string version_, major_, minor_;
};

// chartutil.VersionSet: a list of "group/version" strings with a Has method.
class ApiVersionsObject : public Object {
 public:
  explicit ApiVersionsObject(std::vector<std::string> versions) : versions_(std::move(versions)) {}
  std::string type_name() const override { return "chartutil.VersionSet"; }
  std::string kind_name() const override { return "slice"; }
  bool has_method(std::string_view name) const override { return name == "Has"; }
  Value call_method(std::string_view, std::span<const Value> args) const override {
    if (args.size() != 1)
      throw FunctionError("wrong number of args for Has: want 1 got " + std::to_string(args.size()));
    const auto& wanted = string_arg(args, 0);
    return Value(std::find(versions_.begin(), versions_.end(), wanted) != versions_.end());
  }
  std::string to_display() const override {
    std::string out = "[";
    for (std::size_t i = 0; i < versions_.size(); ++i) out += (i ? " " : "") + versions_[i];
    return out + "]";
  }
  Value to_data() const override {
    List out;
    for (const auto& v : versions_) out.emplace_back(v);
    return Value(std::move(out));
  }

 private:
  std::vector<std::string> versions_;
};

std::string scalar_string(const json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_null()) return "";
  if (v.is_double()) return format_float_shortest(v.get_double());
  return json::serialize(v);
}

// .Chart: Helm's chart.Metadata with Go field names, every field present with its zero value.
Value chart_object(const Chart& chart) {
  const auto& m = chart.metadata;
  auto text = [&](const char* key) {
    const auto* v = m.if_contains(key);
    return Value(v ? scalar_string(*v) : std::string());
  };
  auto list = [&](const char* key, auto convert) -> Value {
    const auto* v = m.if_contains(key);
    if (!v || !v->is_array()) return Value();
    List out;
    for (const auto& e : v->get_array()) out.push_back(convert(e));
    return Value(std::move(out));
  };
  auto string_item = [](const json::value& e) { return Value(scalar_string(e)); };
  auto maintainer = [](const json::value& e) {
    Dict d{{"Name", Value("")}, {"Email", Value("")}, {"URL", Value("")}};
    if (e.is_object()) {
      if (const auto* v = e.get_object().if_contains("name")) d["Name"] = Value(scalar_string(*v));
      if (const auto* v = e.get_object().if_contains("email")) d["Email"] = Value(scalar_string(*v));
      if (const auto* v = e.get_object().if_contains("url")) d["URL"] = Value(scalar_string(*v));
    }
    return Value(std::move(d));
  };
  Dict d;
  d["Name"] = text("name");
  d["Home"] = text("home");
  d["Sources"] = list("sources", string_item);
  d["Version"] = text("version");
  d["Description"] = text("description");
  d["Keywords"] = list("keywords", string_item);
  d["Maintainers"] = list("maintainers", maintainer);
  d["Icon"] = text("icon");
  d["APIVersion"] = text("apiVersion");
  d["Condition"] = text("condition");
  d["Tags"] = text("tags");
  d["AppVersion"] = text("appVersion");
  const auto* deprecated = m.if_contains("deprecated");
  d["Deprecated"] = Value(deprecated && deprecated->is_bool() && deprecated->get_bool());
  Value annotations;
  if (const auto* a = m.if_contains("annotations"); a && a->is_object()) {
    Dict ad;
    for (const auto& kv : a->get_object()) ad[std::string(kv.key())] = Value(scalar_string(kv.value()));
    annotations = Value(std::move(ad));
  }
  d["Annotations"] = annotations;
  d["KubeVersion"] = text("kubeVersion");
  d["Dependencies"] = list("dependencies", [](const json::value& e) { return from_json(e); });
  d["Type"] = text("type");
  d["IsRoot"] = Value(true);
  return Value(std::move(d));
}

// Helm parses deeper paths first and, at one depth, names in reverse order, so that for a repeated
// {{define}} the shallowest, alphabetically first file wins.
std::vector<std::string> helm_parse_order(std::vector<std::string> names) {
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    auto ca = std::count(a.begin(), a.end(), '/'), cb = std::count(b.begin(), b.end(), '/');
    if (ca != cb) return ca > cb;
    return a > b;
  });
  return names;
}

bool is_partial(const std::string& path) { return base_name(path).starts_with("_"); }

bool is_go_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

std::string trim_space(std::string_view s) {
  std::size_t b = 0, e = s.size();
  while (b < e && is_go_space(s[b])) ++b;
  while (e > b && is_go_space(s[e - 1])) --e;
  return std::string(s.substr(b, e - b));
}

// releaseutil.SplitManifests: the text is cut at every match of (?:^|\s*\n)---\s* (a "---" at the
// start or right after a newline, with the whitespace around it); pieces are trimmed, empty ones
// dropped. Written out by hand: a backtracking regex is quadratic on large manifests.
std::vector<std::string> split_manifests(const std::string& text) {
  std::string whole = trim_space(text);
  std::vector<std::string> docs;
  auto add = [&](std::size_t from, std::size_t to) {
    std::string d = trim_space(std::string_view(whole).substr(from, to - from));
    if (!d.empty()) docs.push_back(std::move(d));
  };
  std::size_t piece_start = 0;
  std::size_t i = 0;
  while (i + 3 <= whole.size()) {
    bool at_line_start = i == 0 || whole[i - 1] == '\n';
    if (!at_line_start || whole.compare(i, 3, "---") != 0) {
      ++i;
      continue;
    }
    std::size_t separator_start = i;
    if (i > 0) {
      separator_start = i - 1;  // the newline
      while (separator_start > piece_start && is_go_space(whole[separator_start - 1])) --separator_start;
    }
    std::size_t separator_end = i + 3;
    while (separator_end < whole.size() && is_go_space(whole[separator_end])) ++separator_end;
    add(piece_start, separator_start);
    piece_start = i = separator_end;
  }
  add(piece_start, whole.size());
  return docs;
}

int kind_rank(const std::string& kind) {
  const auto& order = install_order();
  auto it = std::find(order.begin(), order.end(), kind);
  return it == order.end() ? -1 : static_cast<int>(it - order.begin());
}

bool less_by_kind(const RenderedManifest& a, const RenderedManifest& b) {
  int ra = kind_rank(a.kind), rb = kind_rank(b.kind);
  if (ra < 0 && rb < 0) return a.kind < b.kind;
  if (ra < 0) return false;
  if (rb < 0) return true;
  return ra < rb;
}

Value make_top(const Chart& chart, const json::object& values, const ReleaseOptions& release,
               const Capabilities& capabilities) {
  Dict top;
  top["Values"] = from_json_keep_integers(values);
  top["Release"] = Value(Dict{{"Name", Value(release.name)},
                              {"Namespace", Value(release.namespace_name)},
                              {"IsUpgrade", Value(release.is_upgrade)},
                              {"IsInstall", Value(!release.is_upgrade)},
                              {"Revision", Value::integer(release.revision)},
                              {"Service", Value("Helm")}});
  top["Chart"] = chart_object(chart);
  Dict caps;
  caps["KubeVersion"] =
      Value(std::shared_ptr<const Object>(std::make_shared<KubeVersionObject>(capabilities.kube_version)));
  caps["APIVersions"] =
      Value(std::shared_ptr<const Object>(std::make_shared<ApiVersionsObject>(capabilities.api_versions)));
  caps["HelmVersion"] = Value(Dict{{"Version", Value(capabilities.helm_version)},
                                   {"GitCommit", Value("")},
                                   {"GitTreeState", Value("")},
                                   {"GoVersion", Value("")}});
  top["Capabilities"] = Value(std::move(caps));
  std::map<std::string, std::string> files;
  for (const auto& f : chart.files) files.emplace(f.path, f.content);
  top["Files"] = Value(std::shared_ptr<const Object>(std::make_shared<FilesObject>(std::move(files))));
  top["Subcharts"] = Value(Dict{});
  return Value(std::move(top));
}

}  // namespace

std::vector<std::string> Capabilities::default_api_versions() {
  return {"v1",
          "admissionregistration.k8s.io/v1",
          "admissionregistration.k8s.io/v1alpha1",
          "admissionregistration.k8s.io/v1beta1",
          "internal.apiserver.k8s.io/v1alpha1",
          "apps/v1",
          "apps/v1beta1",
          "apps/v1beta2",
          "authentication.k8s.io/v1",
          "authentication.k8s.io/v1alpha1",
          "authentication.k8s.io/v1beta1",
          "authorization.k8s.io/v1",
          "authorization.k8s.io/v1beta1",
          "autoscaling/v1",
          "autoscaling/v2",
          "batch/v1",
          "batch/v1beta1",
          "certificates.k8s.io/v1",
          "certificates.k8s.io/v1beta1",
          "certificates.k8s.io/v1alpha1",
          "coordination.k8s.io/v1alpha2",
          "coordination.k8s.io/v1beta1",
          "coordination.k8s.io/v1",
          "discovery.k8s.io/v1",
          "discovery.k8s.io/v1beta1",
          "events.k8s.io/v1",
          "events.k8s.io/v1beta1",
          "extensions/v1beta1",
          "flowcontrol.apiserver.k8s.io/v1",
          "flowcontrol.apiserver.k8s.io/v1beta1",
          "flowcontrol.apiserver.k8s.io/v1beta2",
          "flowcontrol.apiserver.k8s.io/v1beta3",
          "lifecycle.k8s.io/v1alpha1",
          "networking.k8s.io/v1",
          "networking.k8s.io/v1beta1",
          "node.k8s.io/v1",
          "node.k8s.io/v1alpha1",
          "node.k8s.io/v1beta1",
          "policy/v1",
          "policy/v1beta1",
          "rbac.authorization.k8s.io/v1",
          "rbac.authorization.k8s.io/v1beta1",
          "rbac.authorization.k8s.io/v1alpha1",
          "resource.k8s.io/v1",
          "resource.k8s.io/v1beta2",
          "resource.k8s.io/v1beta1",
          "resource.k8s.io/v1alpha3",
          "scheduling.k8s.io/v1alpha3",
          "scheduling.k8s.io/v1beta1",
          "scheduling.k8s.io/v1",
          "storage.k8s.io/v1beta1",
          "storage.k8s.io/v1",
          "storage.k8s.io/v1alpha1",
          "storagemigration.k8s.io/v1",
          "storagemigration.k8s.io/v1beta1",
          "apiextensions.k8s.io/v1beta1",
          "apiextensions.k8s.io/v1"};
}

const std::vector<std::string>& install_order() {
  static const std::vector<std::string> order = {"PriorityClass",
                                                 "Namespace",
                                                 "NetworkPolicy",
                                                 "ResourceQuota",
                                                 "LimitRange",
                                                 "PodSecurityPolicy",
                                                 "PodDisruptionBudget",
                                                 "ServiceAccount",
                                                 "Secret",
                                                 "SecretList",
                                                 "ConfigMap",
                                                 "StorageClass",
                                                 "PersistentVolume",
                                                 "PersistentVolumeClaim",
                                                 "CustomResourceDefinition",
                                                 "ClusterRole",
                                                 "ClusterRoleList",
                                                 "ClusterRoleBinding",
                                                 "ClusterRoleBindingList",
                                                 "Role",
                                                 "RoleList",
                                                 "RoleBinding",
                                                 "RoleBindingList",
                                                 "Service",
                                                 "DaemonSet",
                                                 "Pod",
                                                 "ReplicationController",
                                                 "ReplicaSet",
                                                 "Deployment",
                                                 "HorizontalPodAutoscaler",
                                                 "StatefulSet",
                                                 "Job",
                                                 "CronJob",
                                                 "IngressClass",
                                                 "Ingress",
                                                 "APIService"};
  return order;
}

std::map<std::string, std::string> render_templates(const Chart& chart, const json::object& values,
                                                    const ReleaseOptions& release, const Capabilities& capabilities,
                                                    const EngineOptions& engine_options) {
  Engine engine(engine_options);
  std::map<std::string, const ChartFile*> by_name;
  for (const auto& t : chart.templates) by_name[chart.name + "/" + t.path] = &t;
  std::vector<std::string> names;
  for (const auto& [name, file] : by_name) names.push_back(name);
  auto order = helm_parse_order(names);
  for (const auto& name : order) engine.add_template(name, by_name[name]->content);
  Value top = make_top(chart, values, release, capabilities);
  std::map<std::string, std::string> out;
  for (const auto& name : order) {
    if (is_partial(name)) continue;
    top.mutable_dict()["Template"] = Value(Dict{{"Name", Value(name)}, {"BasePath", Value(chart.name + "/templates")}});
    out[name] = engine.render(name, top);
  }
  return out;
}

RenderedChart render_chart(const Chart& chart, const json::object& user_values, const ReleaseOptions& release,
                           const Capabilities& capabilities, const EngineOptions& engine_options) {
  RenderedChart result;
  if (const auto* kube = chart.metadata.if_contains("kubeVersion");
      kube && kube->is_string() && !kube->get_string().empty()) {
    bool compatible = false;
    try {
      compatible = semver_satisfies(kube->get_string(), capabilities.kube_version);
    } catch (const std::invalid_argument&) {
    }
    if (!compatible)
      throw ChartError("chart requires kubeVersion: " + std::string(kube->get_string()) +
                       " which is incompatible with Kubernetes " + capabilities.kube_version);
  }
  result.values = coalesce_values(chart.values, user_values);
  if (chart.schema) check_values_schema(chart.name, result.values, *chart.schema);
  for (const auto& crd : chart.crds)
    result.crds.push_back({chart.name + "/" + crd.path, crd.content, "CustomResourceDefinition", nullptr});

  auto rendered = render_templates(chart, result.values, release, capabilities, engine_options);
  std::vector<RenderedManifest> hooks;
  for (const auto& [path, content] : rendered) {
    if (path.ends_with("NOTES.txt")) {
      if (path == chart.name + "/templates/NOTES.txt") result.notes = content;
      continue;
    }
    if (content.find_first_not_of(" \t\r\n\v\f") == std::string::npos) continue;
    for (auto& doc : split_manifests(content)) {
      json::value head;
      try {
        head = kb::base::parse_yaml(doc, path);
      } catch (const kb::base::YamlError& e) {
        throw RenderError("YAML parse error on " + path + ": error converting YAML to JSON: yaml: line " +
                          std::to_string(e.line()) + ": " + e.problem());
      }
      RenderedManifest m{path, doc, "", nullptr};
      const json::object* annotations = nullptr;
      if (head.is_object()) {
        if (const auto* kind = head.get_object().if_contains("kind"); kind && kind->is_string())
          m.kind = std::string(kind->get_string());
        if (const auto* meta = head.get_object().if_contains("metadata"); meta && meta->is_object())
          if (const auto* a = meta->get_object().if_contains("annotations"); a && a->is_object())
            annotations = &a->get_object();
      }
      bool hook = annotations && annotations->contains("helm.sh/hook");
      m.object = std::move(head);
      if (hook) {
        hooks.push_back(std::move(m));
      } else {
        result.manifests.push_back(std::move(m));
      }
    }
  }
  std::stable_sort(result.manifests.begin(), result.manifests.end(), less_by_kind);
  // helm template prints hooks sorted by kind only; weights matter when hooks run.
  std::stable_sort(hooks.begin(), hooks.end(), less_by_kind);
  result.hooks = std::move(hooks);
  return result;
}

std::string helm_template_output(const RenderedChart& rendered, bool include_crds) {
  std::string out;
  auto emit = [&](const RenderedManifest& m) { out += "---\n# Source: " + m.source + "\n" + m.content + "\n"; };
  if (include_crds)
    for (const auto& m : rendered.crds) emit(m);
  for (const auto& m : rendered.manifests) emit(m);
  for (const auto& m : rendered.hooks) emit(m);
  return out;
}

}  // namespace kb::chart
