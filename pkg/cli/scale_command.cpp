#include "pkg/cli/scale_command.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/status_command.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <ostream>

namespace kb::cli {
namespace {

struct ScaleOptions {
  std::string network;
  int nodes = -1;
};

int run_scale(Context& context, const ScaleOptions& options) {
  if (auto problem = network_name_problem(options.network); !problem.empty()) {
    throw UsageError("NETWORK \"" + options.network + "\" " + problem);
  }
  if (options.nodes < 0 || options.nodes > api::kMaxNodes) {
    throw UsageError("--nodes must be between 0 and " + std::to_string(api::kMaxNodes) + ", not " +
                     std::to_string(options.nodes));
  }
  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  const auto ref = network_ref(ns, options.network);
  std::int64_t before = 0;
  try {
    before = int_at(client.get_scale(ref), "spec.replicas");
    client.update_scale(ref, options.nodes, {.field_manager = "kubectl-bitcoin"});
  } catch (const std::exception& e) {
    fail_network_request(e, client, ns, options.network, "scale network \"" + options.network + "\"");
  }
  context.out << api::qualified_name(options.network) << " scaled";
  if (before != options.nodes)
    context.out << " from " << before << " to " << options.nodes << " nodes";
  else
    context.out << " (already " << before << " nodes)";
  context.out << "\n";
  return kExitSuccess;
}

}  // namespace

void add_scale_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<ScaleOptions>();
  auto* command = root.add_subcommand("scale", "Change the number of nodes of a network");
  command->footer(
      "Examples:\n"
      "  # Grow the network demo to five nodes\n"
      "  kubectl bitcoin scale demo --nodes 5\n\n"
      "  # Stop every node but keep the network's definition\n"
      "  kubectl bitcoin scale demo --nodes 0");
  command->add_option("NETWORK", options->network, "Name of the network")->required();
  command
      ->add_option("--nodes", options->nodes,
                   "The new number of bitcoind nodes (0-" + std::to_string(api::kMaxNodes) + ")")
      ->required();
  command->callback([&context, options] { context.exit_code = run_scale(context, *options); });
}

}  // namespace kb::cli
