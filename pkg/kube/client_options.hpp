#pragma once
// What a caller (CLI flags, the controller's settings) says about how to reach the cluster.
// Resolve it with load_cluster_config() (cluster_config.hpp) and build a Client from the result.
#include <chrono>
#include <string>

namespace kb::kube {

struct ClientOptions {
  std::string kubeconfig;      // --kubeconfig; empty: $KUBECONFIG merged, else ~/.kube/config, else in-cluster
  std::string context;         // --context; empty: current-context
  std::string cluster;         // --cluster; overrides the context's cluster
  std::string user;            // --user; overrides the context's user
  std::string namespace_name;  // -n/--namespace; empty: the context's namespace, else "default"

  // kubectl's connection overrides; empty/false: as the kubeconfig says.
  std::string server;                     // --server
  std::string certificate_authority;      // --certificate-authority (a PEM file)
  bool insecure_skip_tls_verify = false;  // --insecure-skip-tls-verify
  std::string tls_server_name;            // --tls-server-name
  std::string token;                      // --token (replaces the user's credentials)

  std::chrono::milliseconds request_timeout{0};  // 0: no per-request deadline (kubectl's default "0")
  std::chrono::milliseconds connect_timeout{std::chrono::seconds(10)};
  double qps = 5;  // client-side rate limit (client-go's default for CLIs); the controller raises it
  int burst = 10;
  std::string user_agent;        // empty: "kubectl-bitcoin"
  bool allow_in_cluster = true;  // fall back to in-cluster config when no kubeconfig file exists
};

}  // namespace kb::kube
