#include "pkg/kube/cluster_config.hpp"

#include "pkg/kube/errors.hpp"
#include "pkg/kube/kubeconfig.hpp"

#include <cstdlib>
#include <fstream>
#include <sstream>

namespace kb::kube {
namespace fs = std::filesystem;

namespace {
std::optional<std::string> env(const char* name) {
  const char* value = std::getenv(name);
  if (!value) return std::nullopt;
  return std::string(value);
}

std::string trim(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' ')) s.pop_back();
  return s;
}
}  // namespace

std::string ClusterConfig::describe() const {
  std::string text = server;
  if (!context_name.empty())
    text += " (context " + context_name + " from " + origin + ")";
  else if (!origin.empty())
    text += " (" + origin + ")";
  return text;
}

void apply_client_options(ClusterConfig& config, const ClientOptions& options) {
  config.request_timeout = options.request_timeout;
  config.connect_timeout = options.connect_timeout;
  config.qps = options.qps;
  config.burst = options.burst;
  if (!options.user_agent.empty()) config.user_agent = options.user_agent;

  if (!options.server.empty()) {
    if (!options.server.starts_with("https://") && !options.server.starts_with("http://"))
      throw ConfigError("--server", "", "\"" + options.server + "\" is not an http(s) URL");
    config.server = options.server;
    while (config.server.size() > 8 && config.server.back() == '/') config.server.pop_back();
  }
  if (!options.certificate_authority.empty()) {
    std::ifstream in(options.certificate_authority, std::ios::binary);
    if (!in) throw ConfigError("--certificate-authority", "", "cannot read file " + options.certificate_authority);
    std::ostringstream text;
    text << in.rdbuf();
    config.tls.ca_pem = text.str();
    config.tls.ca_origin = "--certificate-authority " + options.certificate_authority;
    config.tls.insecure_skip_verify = false;
  }
  if (options.insecure_skip_tls_verify) {
    config.tls.insecure_skip_verify = true;
    config.tls.ca_pem.clear();  // kubectl refuses both at once; the flag is the later, explicit word
    config.tls.ca_origin.clear();
  }
  if (!options.tls_server_name.empty()) config.tls.server_name = options.tls_server_name;
  if (!options.token.empty()) {
    config.auth = AuthConfig{};
    config.auth.token = options.token;
    config.tls.client_cert_pem.clear();
    config.tls.client_key_pem.clear();
  }
}

ClusterConfig load_in_cluster_config(const fs::path& service_account_dir) {
  auto host = env("KUBERNETES_SERVICE_HOST");
  auto port = env("KUBERNETES_SERVICE_PORT");
  if (!host || host->empty() || !port || port->empty())
    throw ConfigError("in-cluster", "", "KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set");
  ClusterConfig config;
  const bool ipv6 = host->find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + *host + "]" : *host) + ":" + *port;
  config.origin = "in-cluster";
  config.auth.token_file = service_account_dir / "token";
  if (!fs::exists(config.auth.token_file))
    throw ConfigError("in-cluster", config.auth.token_file.string(), "the service-account token is missing");
  std::ifstream ca(service_account_dir / "ca.crt", std::ios::binary);
  if (ca) {
    std::ostringstream text;
    text << ca.rdbuf();
    config.tls.ca_pem = text.str();
    config.tls.ca_origin = "file " + (service_account_dir / "ca.crt").string();
  }
  std::ifstream ns(service_account_dir / "namespace");
  std::string namespace_name;
  if (ns) std::getline(ns, namespace_name);
  config.namespace_name = trim(namespace_name);
  if (config.namespace_name.empty()) config.namespace_name = "default";
  return config;
}

ClusterConfig load_cluster_config(const ClientOptions& options) {
  std::string home = env("HOME").value_or("");
  auto paths = kubeconfig_paths(options.kubeconfig, env("KUBECONFIG"), home);
  if (paths.empty()) {
    if (options.allow_in_cluster && env("KUBERNETES_SERVICE_HOST")) {
      ClusterConfig config = load_in_cluster_config();
      if (!options.namespace_name.empty()) config.namespace_name = options.namespace_name;
      apply_client_options(config, options);
      return config;
    }
    // Like kubectl, KUBECONFIG entries that do not exist are skipped; when it names nothing else,
    // kubectl would silently talk to localhost:8080. Say which files are missing instead.
    if (auto list = env("KUBECONFIG");
        list && options.kubeconfig.empty() && list->find_first_not_of(':') != std::string::npos) {
      throw ConfigError("KUBECONFIG", "",
                        "no file it names exists (" + *list +
                            "); point KUBECONFIG at an existing kubeconfig file or pass --kubeconfig");
    }
    throw ConfigError("kubeconfig", "",
                      "no kubeconfig found: pass --kubeconfig, set KUBECONFIG, or create ~/.kube/config");
  }
  return resolve_kubeconfig(load_kubeconfig(paths), options);
}

}  // namespace kb::kube
