#pragma once
// The resolved way to talk to one API server: where, how to trust it, who we are.
//
//   ClusterConfig load_cluster_config(const ClientOptions&)   kubeconfig (kubectl's rules) or in-cluster
//   ClusterConfig load_in_cluster_config()                     service-account mount + KUBERNETES_SERVICE_*
//
// ClusterConfig holds credentials: never print it. describe() gives a safe one-line summary.
#include "pkg/kube/client_options.hpp"

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kb::kube {

struct TlsConfig {
  std::string ca_pem;     // trusted CA bundle (PEM); empty: the system's default trust store
  std::string ca_origin;  // where ca_pem came from, for error messages ("file /x/ca.crt", "inline data")
  bool insecure_skip_verify = false;
  std::string server_name;      // tls-server-name: SNI and the name verified instead of the URL's host
  std::string client_cert_pem;  // client certificate (PEM), with client_key_pem
  std::string client_key_pem;
  // Where the client certificate and key came from, for error messages
  // ("<kubeconfig>: users[u].user.client-certificate-data"); empty: the client's origin.
  std::string client_cert_origin;
  std::string client_key_origin;
};

// An exec credential plugin (client.authentication.k8s.io/v1 or v1beta1), as the kubeconfig names it.
struct ExecConfig {
  std::string api_version;
  std::string command;  // resolved against the kubeconfig's directory when it contains a '/'
  std::vector<std::string> args;
  std::vector<std::pair<std::string, std::string>> env;
  std::string interactive_mode;  // "Never", "IfAvailable", "Always"
  std::string install_hint;
  bool provide_cluster_info = false;
};

struct AuthConfig {
  std::string token;                 // static bearer token
  std::filesystem::path token_file;  // re-read when it changes (service-account tokens rotate)
  std::optional<ExecConfig> exec;
  std::string username;  // basic auth (rare; kept for completeness)
  std::string password;
};

struct ClusterConfig {
  std::string server;          // "https://host:port[/prefix]" (http:// is accepted too)
  std::string namespace_name;  // the default namespace for namespaced calls
  TlsConfig tls;
  AuthConfig auth;
  std::string context_name;  // empty for in-cluster
  std::string origin;        // "kubeconfig /home/u/.kube/config" or "in-cluster"

  std::chrono::milliseconds request_timeout{0};
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  double qps = 5;
  int burst = 10;
  std::string user_agent = "kubectl-bitcoin";

  // "https://10.0.0.1:6443 (context kind-x from kubeconfig /path)": no secrets.
  std::string describe() const;
};

ClusterConfig load_cluster_config(const ClientOptions& options);

// In-cluster configuration. The directory is a parameter so tests can point it elsewhere.
ClusterConfig load_in_cluster_config(
    const std::filesystem::path& service_account_dir = "/var/run/secrets/kubernetes.io/serviceaccount");

// Copies the rate-limit/timeout/user-agent part of options into config, and applies the
// connection overrides (--server, --certificate-authority, --insecure-skip-tls-verify,
// --tls-server-name, --token). Throws ConfigError for an unreadable CA file or a malformed server.
void apply_client_options(ClusterConfig& config, const ClientOptions& options);

}  // namespace kb::kube
