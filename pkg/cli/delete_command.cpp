#include "pkg/cli/delete_command.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/api/naming.hpp"
#include "pkg/base/duration.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/wait.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <ostream>

namespace kb::cli {
namespace {

struct DeleteOptions {
  std::string network;
  bool wait = false;
  std::string timeout = "5m";
  bool ignore_not_found = false;
};

struct NetworkRemains {
  bool network = true;
  std::size_t pods = 0;
  bool gone() const { return !network && pods == 0; }
};

// Polls until the network object and its pods are gone, or the timeout passes.
void wait_until_gone(const kube::Client& client, const std::string& ns, const std::string& name,
                     std::chrono::milliseconds timeout) {
  auto observe = [&] {
    try {
      return NetworkRemains{
          .network = client.get_if_exists(network_ref(ns, name)).has_value(),
          .pods = client.list(kube::refs::pods(ns), {.label_selector = api::label_selector(name)}).items.size()};
    } catch (const std::exception& e) {
      fail_with_kube_error(e, "wait for network \"" + name + "\" to be deleted");
    }
  };
  auto result = kube::wait_until<NetworkRemains>(observe, &NetworkRemains::gone,
                                                 {.timeout = timeout, .interval = std::chrono::seconds(1)});
  if (result) return;
  const auto& left = *result.last;
  throw CommandError("timed out after " + base::format_duration(timeout) + " waiting for network \"" + name +
                     "\" to be deleted (" + (left.network ? "the network still exists" : "the network is gone") + ", " +
                     std::to_string(left.pods) + " pod(s) left); check kubectl get pods -l " +
                     api::label_selector(name));
}

int run_delete(Context& context, const DeleteOptions& options) {
  if (auto problem = network_name_problem(options.network); !problem.empty()) {
    throw UsageError("NETWORK \"" + options.network + "\" " + problem);
  }
  auto timeout = base::parse_duration(options.timeout);
  if (!timeout || timeout->count() <= 0) {
    throw UsageError("--timeout \"" + options.timeout + "\" is not a positive duration; use e.g. 2m");
  }
  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  try {
    client.remove(network_ref(ns, options.network), {.propagation_policy = "Background"});
  } catch (const std::exception& e) {
    if (options.ignore_not_found && kube::is_not_found(e) && !crd_missing(client, ns)) return kExitSuccess;
    fail_network_request(e, client, ns, options.network, "delete network \"" + options.network + "\"");
  }
  context.out << "bitcoinnetwork." << api::kGroup << " \"" << options.network << "\" deleted\n" << std::flush;
  if (options.wait) {
    wait_until_gone(client, ns, options.network, *timeout);
    context.out << "network \"" << options.network << "\" and its pods are gone\n";
  }
  return kExitSuccess;
}

}  // namespace

void add_delete_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<DeleteOptions>();
  auto* command = root.add_subcommand("delete", "Delete a network and everything created for it");
  command->footer(
      "Examples:\n"
      "  # Delete the network demo (its StatefulSet, pods, Service and Secrets follow)\n"
      "  kubectl bitcoin delete demo\n\n"
      "  # Delete and return only when every pod is gone\n"
      "  kubectl bitcoin delete demo --wait --timeout 2m");
  command->add_option("NETWORK", options->network, "Name of the network")->required();
  command->add_flag("--wait", options->wait, "Wait until the network and its pods are gone");
  command->add_option("--timeout", options->timeout, "How long --wait waits (default 5m)");
  command->add_flag("--ignore-not-found", options->ignore_not_found, "Succeed when the network does not exist");
  command->callback([&context, options] { context.exit_code = run_delete(context, *options); });
}

}  // namespace kb::cli
