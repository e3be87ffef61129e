#include "pkg/cli/rpc_command.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/base/duration.hpp"
#include "pkg/base/json_pretty.hpp"
#include "pkg/bitcoin/command_line_params.hpp"
#include "pkg/bitcoin/method_policy.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/network_rpc.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/propagation_probe.hpp"
#include "pkg/controller/peer_plan.hpp"
#include "pkg/controller/regtest_address.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <ostream>

namespace kb::cli {
namespace json = boost::json;

namespace {

struct RpcOptions {
  std::string network;
  std::string method;
  std::vector<std::string> params;
  int node = 0;
  std::string output;
  std::optional<std::string> wallet;  // --wallet, as bitcoin-cli -rpcwallet
  GatewayLocation gateway;
};

// bitcoin-cli's way of showing a result: strings bare, everything else as indented JSON.
void print_result(std::ostream& out, const json::value& result, const std::string& output) {
  if (output == "json") {
    out << json::serialize(result) << "\n";
  } else if (result.is_string()) {
    out << result.as_string().c_str() << "\n";
  } else if (!result.is_null()) {
    out << base::pretty_json(result) << "\n";
  }
}

int run_rpc(Context& context, const RpcOptions& options) {
  if (options.wallet) {
    if (auto problem = bitcoin::wallet_name_problem(*options.wallet); !problem.empty()) {
      throw UsageError("--wallet \"" + *options.wallet + "\" " + problem + "; give the name of a wallet, not a path");
    }
  }
  bitcoin::RpcRequest call{options.method, {}};
  try {
    call.params = bitcoin::parse_command_line_params(options.params);
  } catch (const bitcoin::InvalidParamError& e) {
    throw UsageError(e.what());
  }
  auto client = make_client(context.global);
  auto ns = effective_namespace(context.global, client);
  auto network = get_network_or_fail(client, ns, options.network);
  try {
    print_result(context.out, call_node(client, options.gateway, network, options.node, call, options.wallet),
                 options.output);
  } catch (const bitcoin::RpcError& e) {
    // As bitcoin-cli reports it, so scripts written for it keep working.
    context.err << "error code: " << e.code() << "\nerror message:\n" << e.message() << "\n";
    return kExitFailure;
  }
  return kExitSuccess;
}

struct MineOptions {
  std::string network;
  int blocks = 1;
  int node = 0;
  std::string address;
  GatewayLocation gateway;
  bool measure = false;
  std::string timeout = "30s";
  std::string poll_interval = "20ms";
  int concurrency = 3;
  std::string output;
};

std::chrono::milliseconds duration_flag(const std::string& flag, const std::string& text) {
  auto parsed = base::parse_duration(text);
  if (!parsed || parsed->count() <= 0) {
    throw UsageError(flag + " \"" + text + "\" is not a positive duration (e.g. 30s, 500ms)");
  }
  return *parsed;
}

int run_measure(Context& context, const MineOptions& options, const kube::Client& client, const json::value& object,
                const api::BitcoinNetwork& network, const std::string& address) {
  ProbeOptions probe{.miner = options.node,
                     .address = address,
                     .concurrency = options.concurrency,
                     .interval = duration_flag("--poll-interval", options.poll_interval),
                     .timeout = duration_flag("--timeout", options.timeout)};
  NetworkRpc rpc(client, options.gateway, object);
  auto hops =
      hop_counts(network.spec.nodes, controller::topology_edges(network.spec), options.node, partition_groups(object));
  auto report = measure_propagation(rpc, network.spec.nodes, probe, hops);
  if (options.output == "json") {
    print_structured(context.out, propagation_json(report), "json");
  } else {
    context.out << render_propagation_table(report);
  }
  return kExitSuccess;
}

int run_mine(Context& context, const MineOptions& options) {
  if (options.blocks < 1 || options.blocks > 1000) throw UsageError("BLOCKS must be between 1 and 1000");
  if (options.measure) {
    if (options.blocks != 1) throw UsageError("--measure mines exactly one block; leave out BLOCKS");
    if (options.concurrency < 1 || options.concurrency > 16) throw UsageError("--concurrency must be between 1 and 16");
    duration_flag("--poll-interval", options.poll_interval);
    duration_flag("--timeout", options.timeout);
  } else if (!options.output.empty()) {
    throw UsageError("-o/--output applies to --measure only");
  }
  // --measure polls every node many times a second: the client's rate limit must not be what
  // sets the poll interval (the default 5/s would).
  auto client =
      options.measure ? make_client(context.global, 200, 2 * options.concurrency + 2) : make_client(context.global);
  auto ns = effective_namespace(context.global, client);
  auto object = get_network_or_fail(client, ns, options.network);
  auto network = api::parse_network(object);
  auto address = !options.address.empty()               ? options.address
                 : !network.spec.mining.address.empty() ? network.spec.mining.address
                                                        : controller::derived_regtest_address(network.uid);
  if (options.measure) return run_measure(context, options, client, object, network, address);
  try {
    auto hashes = call_node(client, options.gateway, object, options.node,
                            {"generatetoaddress", json::array{options.blocks, json::string(address)}});
    auto height = call_node(client, options.gateway, object, options.node, {"getblockcount", {}});
    context.out << "mined " << (hashes.is_array() ? hashes.as_array().size() : 0) << " block(s) on node "
                << options.node << " of " << network.name << "; height is now " << json::serialize(height) << "\n";
  } catch (const bitcoin::RpcError& e) {
    context.err << "error: node " << options.node << " refused to mine: " << e.message() << " (code " << e.code()
                << ")\n";
    return kExitFailure;
  }
  return kExitSuccess;
}

}  // namespace

void add_rpc_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<RpcOptions>();
  auto* command = root.add_subcommand("rpc", "Call bitcoind's JSON-RPC on a node, through the cluster");
  command->footer(
      "Parameters are JSON; bare words are strings (as with bitcoin-cli).\n\n"
      "Examples:\n"
      "  kubectl bitcoin rpc demo getblockchaininfo\n"
      "  kubectl bitcoin rpc demo getpeerinfo --node 1\n"
      "  kubectl bitcoin rpc demo getblockhash 0\n"
      "  kubectl bitcoin rpc demo createwallet alice\n"
      "  kubectl bitcoin rpc demo getnewaddress --wallet alice\n"
      "  kubectl bitcoin rpc demo getblockheader '\"<hash>\"' false -o json");
  command->add_option("NETWORK", options->network, "The BitcoinNetwork")->required();
  command->add_option("METHOD", options->method, "The RPC method, e.g. getblockchaininfo")->required();
  command->add_option("PARAMS", options->params, "The method's parameters");
  command->add_option("--node", options->node, "Ordinal of the node to call")->capture_default_str();
  command->add_option("-o,--output", options->output, "json: compact JSON (default: as bitcoin-cli prints)")
      ->check(CLI::IsMember({"json"}));
  auto* wallet = command->add_option("--wallet", "Call this wallet of the node (bitcoin-cli's -rpcwallet)");
  add_gateway_flags(*command, options->gateway);
  command->callback([&context, options, wallet] {
    if (wallet->count() > 0) options->wallet = wallet->as<std::string>();
    context.exit_code = run_rpc(context, *options);
  });
}

void add_mine_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<MineOptions>();
  auto* command = root.add_subcommand("mine", "Mine blocks on a node of a network");
  command->footer(
      "Examples:\n"
      "  kubectl bitcoin mine demo            # one block on node 0\n"
      "  kubectl bitcoin mine demo 101 --node 2\n"
      "  kubectl bitcoin mine demo --node 0 --measure   # one block, and when each node had it\n\n"
      "--measure polls getbestblockhash on every node through the RPC gateway while the block\n"
      "propagates; each delay is the middle of a window as wide as the poll interval plus round\n"
      "trips, printed as ±. Nodes the block cannot reach (a partition) show as not reached.");
  command->add_option("NETWORK", options->network, "The BitcoinNetwork")->required();
  command->add_option("BLOCKS", options->blocks, "How many blocks")->capture_default_str();
  command->add_option("--node", options->node, "Ordinal of the node that mines")->capture_default_str();
  command->add_option("--address", options->address,
                      "Regtest address for the rewards (default: spec.mining.address, else derived from the network)");
  command->add_flag("--measure", options->measure,
                    "Mine one block and print when each node had it, with its hop count in the topology");
  command->add_option("--timeout", options->timeout, "With --measure: how long to wait for every node")
      ->capture_default_str();
  command
      ->add_option("--poll-interval", options->poll_interval,
                   "With --measure: the least time between two polls of one node")
      ->capture_default_str();
  command
      ->add_option("--concurrency", options->concurrency,
                   "With --measure: polls in flight at once (the gateway admits 4 per network)")
      ->capture_default_str();
  command->add_option("-o,--output", options->output, "With --measure: json")->check(CLI::IsMember({"json"}));
  add_gateway_flags(*command, options->gateway);
  command->callback([&context, options] { context.exit_code = run_mine(context, *options); });
}

}  // namespace kb::cli
