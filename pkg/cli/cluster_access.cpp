#include "pkg/cli/cluster_access.hpp"

#include "pkg/base/duration.hpp"
#include "pkg/kube/errors.hpp"

namespace kb::cli {

namespace {
// A kubeconfig problem, with where to look unless the message says so already.
std::string config_error_message(const kube::ConfigError& e) {
  std::string message = e.what();
  if (message.find("--kubeconfig") == std::string::npos) message += " (check --kubeconfig, KUBECONFIG or --context)";
  return message;
}
}  // namespace

kube::Client make_client(const GlobalOptions& global, double qps, int burst) {
  kube::ClientOptions options;
  options.kubeconfig = global.kubeconfig;
  options.context = global.context;
  options.cluster = global.cluster;
  options.user = global.user;
  options.namespace_name = global.namespace_name;
  options.server = global.server;
  options.token = global.token;
  options.certificate_authority = global.certificate_authority;
  options.insecure_skip_tls_verify = global.insecure_skip_tls_verify;
  options.tls_server_name = global.tls_server_name;
  auto timeout = base::parse_duration(global.request_timeout);
  if (!timeout) {
    throw UsageError("--request-timeout \"" + global.request_timeout +
                     "\" is not a duration; use a value such as 30s, 1m or 0 (no limit)");
  }
  options.request_timeout = *timeout;
  options.qps = qps;
  options.burst = burst;
  try {
    return kube::Client::from_options(options);
  } catch (const kube::ConfigError& e) {
    throw CommandError(config_error_message(e));
  }
}

std::string effective_namespace(const GlobalOptions& global, const kube::Client& client) {
  if (!global.namespace_name.empty()) return global.namespace_name;
  auto ns = client.default_namespace();
  return ns.empty() ? "default" : ns;
}

void fail_with_kube_error(const std::exception& e, const std::string& what) {
  if (const auto* transport = dynamic_cast<const kube::TransportError*>(&e)) {
    throw CommandError("cannot " + what + ": the cluster is not reachable (" + transport->what() +
                       "); check that it is running and that your kubeconfig points at it");
  }
  if (kube::is_unauthorized(e)) {
    throw CommandError("cannot " + what + ": the API server did not accept your credentials (" + e.what() +
                       "); refresh them or pick another --context");
  }
  if (kube::is_forbidden(e)) {
    const auto& api = dynamic_cast<const kube::ApiError&>(e);
    throw CommandError("cannot " + what + ": forbidden by RBAC: " + api.server_message() +
                       " (ask a cluster admin for that permission)");
  }
  if (const auto* config = dynamic_cast<const kube::ConfigError*>(&e)) {
    throw CommandError(config_error_message(*config));
  }
  if (const auto* api = dynamic_cast<const kube::ApiError*>(&e)) {
    std::string message = "cannot " + what + ": " + api->server_message();
    for (const auto& cause : api->causes()) {
      if (!cause.field.empty() && message.find(cause.field) == std::string::npos) {
        message += "; " + cause.field + ": " + cause.message;
      }
    }
    throw CommandError(message);
  }
  throw CommandError("cannot " + what + ": " + e.what());
}

}  // namespace kb::cli
