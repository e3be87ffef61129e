#pragma once
// Turning the global flags into a Kubernetes client, and Kubernetes failures into one sentence
// with the next step.
#include "pkg/cli/command.hpp"
#include "pkg/kube/client.hpp"

#include <exception>
#include <string>

namespace kb::cli {

// `user_agent` empty: the client's default ("kubectl-bitcoin").
kube::Client make_client(const GlobalOptions& global, double qps = 5, int burst = 10, std::string user_agent = {});

// The namespace a command works in: -n, else the kubeconfig context's, else "default".
std::string effective_namespace(const GlobalOptions& global, const kube::Client& client);

// One sentence for a failure from pkg/kube, saying what to do next. `what` names the operation
// ("list BitcoinNetworks"). Rethrows as CommandError.
[[noreturn]] void fail_with_kube_error(const std::exception& e, const std::string& what);

}  // namespace kb::cli
