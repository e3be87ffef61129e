#include "pkg/kube/kubeconfig.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/yaml_parse.hpp"
#include "pkg/kube/errors.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

namespace kb::kube {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string read_file_or_throw(const fs::path& path, const std::string& source, const std::string& field) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(source, field, "cannot read file " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// Typed field access that names the file and field in its errors.
class Fields {
 public:
  Fields(const json::object& object, std::string source, std::string prefix)
      : object_(object), source_(std::move(source)), prefix_(std::move(prefix)) {}

  std::string field(std::string_view key) const { return prefix_ + "." + std::string(key); }

  std::string str(std::string_view key) const {
    auto* v = object_.if_contains(key);
    if (!v || v->is_null()) return {};
    if (!v->is_string()) throw ConfigError(source_, field(key), "expected a string");
    return std::string(v->as_string());
  }
  bool boolean(std::string_view key) const {
    auto* v = object_.if_contains(key);
    if (!v || v->is_null()) return false;
    if (!v->is_bool()) throw ConfigError(source_, field(key), "expected true or false");
    return v->as_bool();
  }
  const json::object* object(std::string_view key) const {
    auto* v = object_.if_contains(key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_object()) throw ConfigError(source_, field(key), "expected a mapping");
    return &v->as_object();
  }
  const json::array* array(std::string_view key) const {
    auto* v = object_.if_contains(key);
    if (!v || v->is_null()) return nullptr;
    if (!v->is_array()) throw ConfigError(source_, field(key), "expected a list");
    return &v->as_array();
  }
  // The decoded *-data field, or the named file's content; "" when neither is set.
  std::string data_or_file(std::string_view data_key, std::string_view file_key) const {
    std::string data = str(data_key);
    if (!data.empty()) {
      auto decoded = base::base64_decode(data);
      if (!decoded) throw ConfigError(source_, field(data_key), "is not valid base64");
      return *decoded;
    }
    std::string file = str(file_key);
    if (!file.empty()) return read_file_or_throw(file, source_, field(file_key));
    return {};
  }

 private:
  const json::object& object_;
  std::string source_;
  std::string prefix_;
};

void absolutize(json::object& body, std::string_view key, const fs::path& dir, bool only_with_slash = false) {
  auto* v = body.if_contains(key);
  if (!v || !v->is_string() || v->as_string().empty()) return;
  std::string value(v->as_string());
  if (only_with_slash && value.find('/') == std::string::npos) return;  // a command looked up in PATH
  fs::path p(value);
  if (value.starts_with("~/")) {
    if (const char* home = std::getenv("HOME")) p = fs::path(home) / value.substr(2);
  }
  if (p.is_relative()) p = (dir / p).lexically_normal();
  *v = p.string();
}

// Reads one of the named lists ("clusters", "users", "contexts") into `into`; first definition wins.
void merge_named(const json::object& root, std::string_view list_key, std::string_view body_key, const fs::path& origin,
                 std::map<std::string, KubeconfigEntry>& into) {
  const std::string source = origin.string();
  auto* v = root.if_contains(list_key);
  if (!v || v->is_null()) return;
  if (!v->is_array()) throw ConfigError(source, std::string(list_key), "expected a list");
  std::size_t index = 0;
  for (auto& item : v->as_array()) {
    std::string where = std::string(list_key) + "[" + std::to_string(index++) + "]";
    if (!item.is_object())
      throw ConfigError(source, where, "expected a mapping with name and " + std::string(body_key));
    Fields fields(item.as_object(), source, where);
    std::string name = fields.str("name");
    if (name.empty()) throw ConfigError(source, where + ".name", "is missing");
    const json::object* body =
        Fields(item.as_object(), source, std::string(list_key) + "[" + name + "]").object(body_key);
    if (into.contains(name)) continue;
    KubeconfigEntry entry{body ? *body : json::object{}, origin};
    const fs::path dir = origin.parent_path();
    if (body_key == "cluster") {
      absolutize(entry.body, "certificate-authority", dir);
    } else if (body_key == "user") {
      absolutize(entry.body, "client-certificate", dir);
      absolutize(entry.body, "client-key", dir);
      absolutize(entry.body, "tokenFile", dir);
      if (auto* exec = entry.body.if_contains("exec"); exec && exec->is_object())
        absolutize(exec->as_object(), "command", dir, /*only_with_slash=*/true);
    }
    into.emplace(std::move(name), std::move(entry));
  }
}

void merge_document(Kubeconfig& config, const json::value& document, const fs::path& origin) {
  const std::string source = origin.string();
  if (document.is_null()) return;  // an empty file is an empty config
  if (!document.is_object()) throw ConfigError(source, "", "expected a kubeconfig mapping (kind: Config)");
  const auto& root = document.as_object();
  Fields fields(root, source, "");
  std::string current = Fields(root, source, "current-context").str("current-context");
  if (config.current_context.empty() && !current.empty()) {
    config.current_context = current;
    config.current_context_origin = origin;
  }
  merge_named(root, "clusters", "cluster", origin, config.clusters);
  merge_named(root, "users", "user", origin, config.users);
  merge_named(root, "contexts", "context", origin, config.contexts);
  config.files.push_back(origin);
}

json::value parse_document(std::string_view text, const fs::path& origin) {
  try {
    return base::parse_yaml(text, origin.string());
  } catch (const base::YamlError& e) {
    throw ConfigError(
        origin.string(), "",
        "line " + std::to_string(e.line()) + ", column " + std::to_string(e.column()) + ": " + e.problem());
  }
}

ExecConfig parse_exec(const json::object& exec, const std::string& source, const std::string& prefix) {
  Fields f(exec, source, prefix);
  ExecConfig config;
  config.api_version = f.str("apiVersion");
  if (config.api_version != "client.authentication.k8s.io/v1" &&
      config.api_version != "client.authentication.k8s.io/v1beta1")
    throw ConfigError(source, f.field("apiVersion"),
                      config.api_version.empty()
                          ? "is missing (use client.authentication.k8s.io/v1)"
                          : "\"" + config.api_version + "\" is not supported (use client.authentication.k8s.io/v1)");
  config.command = f.str("command");
  if (config.command.empty()) throw ConfigError(source, f.field("command"), "is missing");
  if (auto* args = f.array("args")) {
    for (std::size_t i = 0; i < args->size(); ++i) {
      if (!(*args)[i].is_string())
        throw ConfigError(source, f.field("args") + "[" + std::to_string(i) + "]", "expected a string");
      config.args.emplace_back((*args)[i].as_string());
    }
  }
  if (auto* env = f.array("env")) {
    for (std::size_t i = 0; i < env->size(); ++i) {
      std::string where = f.field("env") + "[" + std::to_string(i) + "]";
      if (!(*env)[i].is_object()) throw ConfigError(source, where, "expected {name, value}");
      Fields e((*env)[i].as_object(), source, where);
      config.env.emplace_back(e.str("name"), e.str("value"));
    }
  }
  config.interactive_mode = f.str("interactiveMode");
  if (config.interactive_mode.empty()) {
    if (config.api_version.ends_with("/v1"))
      throw ConfigError(source, f.field("interactiveMode"), "is required for client.authentication.k8s.io/v1");
    config.interactive_mode = "IfAvailable";
  }
  if (config.interactive_mode != "Never" && config.interactive_mode != "IfAvailable" &&
      config.interactive_mode != "Always")
    throw ConfigError(source, f.field("interactiveMode"), "must be Never, IfAvailable or Always");
  config.install_hint = f.str("installHint");
  config.provide_cluster_info = f.boolean("provideClusterInfo");
  return config;
}

std::string join(const std::vector<std::string>& names) {
  std::string out;
  for (auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out.empty() ? "(none)" : out;
}

}  // namespace

std::vector<std::string> Kubeconfig::context_names() const {
  std::vector<std::string> names;
  for (auto& [name, entry] : contexts) names.push_back(name);
  return names;
}

std::vector<fs::path> kubeconfig_paths(const std::string& flag, const std::optional<std::string>& kubeconfig_env,
                                       const fs::path& home) {
  if (!flag.empty()) {
    if (!fs::exists(flag)) throw ConfigError(flag, "", "the kubeconfig file given by --kubeconfig does not exist");
    return {fs::path(flag)};
  }
  std::vector<fs::path> paths;
  if (kubeconfig_env && !kubeconfig_env->empty()) {
    std::set<std::string> seen;
    std::stringstream list(*kubeconfig_env);
    std::string item;
    while (std::getline(list, item, ':')) {
      if (item.empty() || !seen.insert(item).second) continue;
      if (fs::exists(item)) paths.emplace_back(item);
    }
    return paths;
  }
  if (!home.empty()) {
    fs::path file = home / ".kube" / "config";
    if (fs::exists(file)) paths.push_back(file);
  }
  return paths;
}

Kubeconfig parse_kubeconfig(std::string_view yaml_text, const fs::path& origin) {
  Kubeconfig config;
  merge_document(config, parse_document(yaml_text, origin), origin);
  return config;
}

Kubeconfig load_kubeconfig(const std::vector<fs::path>& files) {
  Kubeconfig config;
  for (auto& file : files) {
    std::string text = read_file_or_throw(file, file.string(), "");
    merge_document(config, parse_document(text, file), file);
  }
  return config;
}

namespace {

// clusters[name].cluster: the server and how to trust it.
void read_cluster(ClusterConfig& out, const KubeconfigEntry& entry, const std::string& cluster_name) {
  const std::string source = entry.origin.string();
  Fields f(entry.body, source, "clusters[" + cluster_name + "].cluster");
  out.server = f.str("server");
  if (out.server.empty()) throw ConfigError(source, f.field("server"), "is missing");
  if (!out.server.starts_with("https://") && !out.server.starts_with("http://"))
    throw ConfigError(source, f.field("server"), "\"" + out.server + "\" is not an http(s) URL");
  while (out.server.size() > 8 && out.server.back() == '/') out.server.pop_back();
  out.tls.insecure_skip_verify = f.boolean("insecure-skip-tls-verify");
  out.tls.server_name = f.str("tls-server-name");
  out.tls.ca_pem = f.data_or_file("certificate-authority-data", "certificate-authority");
  if (!out.tls.ca_pem.empty()) {
    out.tls.ca_origin =
        f.str("certificate-authority-data").empty()
            ? "file " + f.str("certificate-authority") + " (" + source + ": " + f.field("certificate-authority") + ")"
            : source + ": " + f.field("certificate-authority-data");
    if (out.tls.insecure_skip_verify)
      throw ConfigError(source, f.field("insecure-skip-tls-verify"),
                        "a certificate authority and insecure-skip-tls-verify cannot both be set");
  }
  if (!f.str("proxy-url").empty())
    throw ConfigError(source, f.field("proxy-url"), "proxies are not supported yet by kubectl-bitcoin");
}

// users[name].user: client certificate, token, basic auth, exec plugin or a supported auth-provider.
void read_user(ClusterConfig& out, const KubeconfigEntry& entry, const std::string& user_name) {
  const std::string source = entry.origin.string();
  Fields f(entry.body, source, "users[" + user_name + "].user");
  out.tls.client_cert_pem = f.data_or_file("client-certificate-data", "client-certificate");
  out.tls.client_key_pem = f.data_or_file("client-key-data", "client-key");
  out.tls.client_cert_origin =
      source + ": " +
      f.field(f.str("client-certificate-data").empty() ? "client-certificate" : "client-certificate-data");
  out.tls.client_key_origin =
      source + ": " + f.field(f.str("client-key-data").empty() ? "client-key" : "client-key-data");
  if (out.tls.client_cert_pem.empty() != out.tls.client_key_pem.empty())
    throw ConfigError(source, f.field(out.tls.client_cert_pem.empty() ? "client-certificate" : "client-key"),
                      "a client certificate needs both the certificate and the key");
  out.auth.token = f.str("token");
  std::string token_file = f.str("tokenFile");
  if (!token_file.empty()) out.auth.token_file = token_file;
  out.auth.username = f.str("username");
  out.auth.password = f.str("password");
  if (auto* exec = f.object("exec")) out.auth.exec = parse_exec(*exec, source, f.field("exec"));
  if (auto* provider = f.object("auth-provider")) {
    Fields p(*provider, source, f.field("auth-provider"));
    std::string name = p.str("name");
    const json::object* provider_config = p.object("config");
    std::string id_token = provider_config ? Fields(*provider_config, source, p.field("config")).str("id-token") : "";
    if (name == "oidc" && !id_token.empty() && out.auth.token.empty()) {
      out.auth.token = id_token;  // used as is; refreshing it is the oidc plugin's job
    } else {
      throw ConfigError(source, f.field("auth-provider"),
                        "auth-provider \"" + name +
                            "\" is not supported; use an exec credential plugin (e.g. gke-gcloud-auth-plugin, "
                            "kubelogin)");
    }
  }
}

}  // namespace

ClusterConfig resolve_kubeconfig(const Kubeconfig& config, const ClientOptions& options) {
  const std::string files_desc = config.files.empty() ? std::string("kubeconfig") : config.files.front().string();
  std::string context_name = options.context.empty() ? config.current_context : options.context;
  const KubeconfigEntry* context = nullptr;
  if (!context_name.empty()) {
    auto it = config.contexts.find(context_name);
    if (it == config.contexts.end())
      throw ConfigError(
          files_desc, "contexts",
          "context \"" + context_name + "\" does not exist; the kubeconfig has: " + join(config.context_names()));
    context = &it->second;
  } else if (options.cluster.empty()) {
    throw ConfigError(files_desc, "current-context",
                      "no context is set; pass --context (the kubeconfig has: " + join(config.context_names()) + ")");
  }
  const std::string context_source = context ? context->origin.string() : files_desc;
  const std::string context_field = "contexts[" + context_name + "].context";
  static const json::object kNoContext;
  Fields context_fields(context ? context->body : kNoContext, context_source, context_field);

  std::string cluster_name = options.cluster.empty() ? context_fields.str("cluster") : options.cluster;
  std::string user_name = options.user.empty() ? context_fields.str("user") : options.user;
  if (cluster_name.empty()) throw ConfigError(context_source, context_field + ".cluster", "is missing");
  auto cluster_it = config.clusters.find(cluster_name);
  if (cluster_it == config.clusters.end())
    throw ConfigError(context_source, context_field + ".cluster", "cluster \"" + cluster_name + "\" does not exist");

  ClusterConfig out;
  out.context_name = context_name;
  out.origin = "kubeconfig " + context_source;
  out.namespace_name = options.namespace_name.empty() ? context_fields.str("namespace") : options.namespace_name;
  if (out.namespace_name.empty()) out.namespace_name = "default";

  read_cluster(out, cluster_it->second, cluster_name);
  if (!user_name.empty()) {
    auto user_it = config.users.find(user_name);
    if (user_it == config.users.end())
      throw ConfigError(context_source, context_field + ".user", "user \"" + user_name + "\" does not exist");
    read_user(out, user_it->second, user_name);
  }
  apply_client_options(out, options);
  return out;
}

}  // namespace kb::kube
