#include "pkg/cli/create_command.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/kube/errors.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <algorithm>
#include <charconv>
#include <ostream>

namespace kb::cli {
namespace json = boost::json;

namespace {

struct CreateOptions {
  NetworkFlags flags;
  std::string dry_run = "none";
  std::string output;
};

int parse_ordinal(std::string_view text, const std::string& flag) {
  int value = -1;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value < 0 || value > 99) {
    throw UsageError(flag + ": \"" + std::string(text) + "\" is not a node ordinal (0-99)");
  }
  return value;
}

json::array parse_edges(const std::string& text, int nodes) {
  json::array edges;
  std::string_view rest = text;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    auto item = rest.substr(0, comma);
    rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
    auto dash = item.find('-');
    if (dash == std::string_view::npos) {
      throw UsageError("--edges: \"" + std::string(item) + "\" is not an edge; write FROM-TO pairs such as 0-1,1-2");
    }
    int from = parse_ordinal(item.substr(0, dash), "--edges");
    int to = parse_ordinal(item.substr(dash + 1), "--edges");
    if (from == to) throw UsageError("--edges: \"" + std::string(item) + "\" joins a node to itself");
    if (from >= nodes || to >= nodes) {
      throw UsageError("--edges: \"" + std::string(item) + "\" names a node beyond --nodes " + std::to_string(nodes) +
                       " (ordinals are 0 to " + std::to_string(nodes - 1) + ")");
    }
    edges.push_back(json::object{{"from", from}, {"to", to}});
  }
  return edges;
}

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }
bool is_alnum(char c) { return is_lower_alnum(c) || (c >= 'A' && c <= 'Z'); }

// One path component of an image name: lower-case letters and digits, joined by '.', '_', "__"
// or runs of '-' (the distribution reference grammar).
bool is_path_component(std::string_view text) {
  if (text.empty() || !is_lower_alnum(text.front()) || !is_lower_alnum(text.back())) return false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (is_lower_alnum(c) || c == '-') continue;
    if (c == '.' || c == '_') {
      bool double_underscore = c == '_' && text[i + 1] == '_';
      std::size_t next = i + (double_underscore ? 2 : 1);
      if (!is_lower_alnum(text[next])) return false;
      i = next - 1;
      continue;
    }
    return false;
  }
  return true;
}

// What is wrong with an image reference ([registry[:port]/]path[:tag][@algorithm:hex]), or "" when
// nothing is: a reference the kubelet would refuse (InvalidImageName) leaves a network whose pods
// never start.
std::string image_reference_problem(std::string_view image) {
  if (image.find_first_of(" \t\n\r") != std::string_view::npos) return "contains white space";
  std::string_view name = image;
  if (auto at = name.find('@'); at != std::string_view::npos) {
    auto digest = name.substr(at + 1);
    name = name.substr(0, at);
    auto colon = digest.find(':');
    if (colon == std::string_view::npos || colon == 0 || digest.size() - colon - 1 < 32 ||
        digest.substr(colon + 1).find_first_not_of("0123456789abcdef") != std::string_view::npos)
      return "has a malformed digest after '@' (want algorithm:hex, e.g. sha256:<64 hex digits>)";
  }
  auto slash = name.rfind('/');
  if (auto colon = name.rfind(':');
      colon != std::string_view::npos && (slash == std::string_view::npos || colon > slash)) {
    auto tag = name.substr(colon + 1);
    name = name.substr(0, colon);
    bool valid_tag = !tag.empty() && tag.size() <= 128 && (is_alnum(tag[0]) || tag[0] == '_');
    for (char c : tag) valid_tag = valid_tag && (is_alnum(c) || c == '_' || c == '.' || c == '-');
    if (!valid_tag)
      return "has an invalid tag \"" + std::string(tag) + "\" (letters, digits, '_', '.', '-'; at most 128)";
  }
  if (name.empty()) return "has no repository name";
  std::string_view path = name;
  if (auto first_slash = name.find('/'); first_slash != std::string_view::npos) {
    auto registry = name.substr(0, first_slash);
    if (registry.find_first_of(".:") != std::string_view::npos || registry == "localhost" ||
        std::any_of(registry.begin(), registry.end(), [](char c) { return c >= 'A' && c <= 'Z'; })) {
      for (char c : registry) {
        if (!is_alnum(c) && c != '.' && c != '-' && c != ':' && c != '[' && c != ']')
          return "has an invalid registry host \"" + std::string(registry) + "\"";
      }
      path = name.substr(first_slash + 1);
    }
  }
  for (std::size_t start = 0; start <= path.size();) {
    auto end = path.find('/', start);
    if (end == std::string_view::npos) end = path.size();
    auto component = path.substr(start, end - start);
    if (!is_path_component(component))
      return "has an invalid repository path component \"" + std::string(component) +
             "\" (lower-case letters and digits, separated by '.', '_' or '-')";
    start = end + 1;
  }
  return {};
}

int run_create(Context& context, CreateOptions options) {
  auto& flags = options.flags;
  if (options.dry_run != "none" && options.dry_run != "client" && options.dry_run != "server") {
    throw UsageError("--dry-run must be \"none\", \"client\" or \"server\", not \"" + options.dry_run + "\"");
  }
  flags.namespace_name = context.global.namespace_name;
  auto object = build_network_object(flags);

  if (options.dry_run == "client") {
    if (options.output.empty()) {
      context.out << api::qualified_name(flags.name) << " created (dry run)\n";
    } else {
      print_structured(context.out, object, options.output);
    }
    return kExitSuccess;
  }

  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  json::value created;
  try {
    created = client.create(network_ref(ns), object,
                            {.dry_run = options.dry_run == "server", .field_manager = "kubectl-bitcoin"});
  } catch (const std::exception& e) {
    if (kube::is_already_exists(e)) {
      throw CommandError("network \"" + flags.name + "\" already exists in namespace \"" + ns +
                         "\"; change its size with kubectl bitcoin scale " + flags.name +
                         " --nodes N, or delete it first with kubectl bitcoin delete " + flags.name);
    }
    fail_network_request(e, client, ns, "", "create network \"" + flags.name + "\"");
  }
  if (!options.output.empty()) {
    print_structured(context.out, created, options.output);
  } else {
    context.out << api::qualified_name(flags.name) << " created"
                << (options.dry_run == "server" ? " (server dry run)" : "") << "\n";
  }
  return kExitSuccess;
}

}  // namespace

json::value build_network_object(const NetworkFlags& flags) {
  if (auto problem = network_name_problem(flags.name, true); !problem.empty()) {
    throw UsageError("NETWORK \"" + flags.name + "\" " + problem);
  }
  if (flags.nodes < 0 || flags.nodes > api::kMaxNodes) {
    throw UsageError("--nodes must be between 0 and " + std::to_string(api::kMaxNodes) + ", not " +
                     std::to_string(flags.nodes));
  }
  json::object spec{{"nodes", flags.nodes}};
  if (!flags.topology.empty()) spec["topology"] = flags.topology;
  if (flags.hub >= 0) {
    if (flags.topology != "star") throw UsageError("--hub only applies to --topology star");
    if (flags.hub >= std::max(flags.nodes, 1)) {
      throw UsageError("--hub " + std::to_string(flags.hub) + " is not a node of a " + std::to_string(flags.nodes) +
                       "-node network (ordinals are 0 to " + std::to_string(std::max(flags.nodes - 1, 0)) + ")");
    }
    spec["hub"] = flags.hub;
  }
  if (flags.degree >= 0 || flags.seed >= 0) {
    if (flags.topology != "random") throw UsageError("--degree and --seed only apply to --topology random");
    if (flags.degree >= 0) {
      if (flags.degree < api::kMinDegree || flags.degree > api::kMaxDegree) {
        throw UsageError("--degree must be between " + std::to_string(api::kMinDegree) + " and " +
                         std::to_string(api::kMaxDegree) + ", not " + std::to_string(flags.degree));
      }
      spec["degree"] = flags.degree;
    }
    if (flags.seed >= 0) spec["seed"] = flags.seed;
  }
  if (flags.topology == "custom") {
    if (flags.edges.empty()) throw UsageError("--topology custom needs --edges, e.g. --edges 0-1,1-2");
    spec["customEdges"] = parse_edges(flags.edges, flags.nodes);
  } else if (!flags.edges.empty()) {
    throw UsageError("--edges only applies to --topology custom");
  }
  if (flags.mining_interval < 0 || flags.mining_interval > 86400) {
    throw UsageError("--mining-interval must be between 1 and 86400 seconds (0 leaves mining off), not " +
                     std::to_string(flags.mining_interval));
  }
  if (flags.mining_interval > 0) {
    json::object mining{{"enabled", true}, {"intervalSeconds", flags.mining_interval}};
    if (flags.mining_node >= 0) {
      if (flags.nodes > 0 && flags.mining_node >= flags.nodes) {
        throw UsageError("--mining-node " + std::to_string(flags.mining_node) + " is not a node of a " +
                         std::to_string(flags.nodes) + "-node network (ordinals are 0 to " +
                         std::to_string(flags.nodes - 1) + ")");
      }
      mining["node"] = flags.mining_node;
    }
    spec["mining"] = std::move(mining);
  } else if (flags.mining_node >= 0) {
    throw UsageError("--mining-node needs --mining-interval (mining is off without it)");
  }
  if (!flags.image.empty()) {
    if (auto problem = image_reference_problem(flags.image); !problem.empty()) {
      throw UsageError("--image \"" + flags.image + "\" is not an image reference: it " + problem +
                       "; use one such as " + std::string(api::kDefaultImage));
    }
    spec["image"] = flags.image;
  }
  if (!flags.secret.empty()) {
    if (auto problem = network_name_problem(flags.secret, false); !problem.empty()) {
      throw UsageError("--secret \"" + flags.secret + "\" " + problem);
    }
    spec["secret"] = flags.secret;
  }
  if (!flags.args.empty()) {
    json::array args;
    for (const auto& arg : flags.args) args.emplace_back(arg);
    spec["args"] = std::move(args);
  }
  json::object metadata{{"name", flags.name}};
  if (!flags.namespace_name.empty()) metadata["namespace"] = flags.namespace_name;
  return json::object{{"apiVersion", api::kApiVersion},
                      {"kind", api::kKind},
                      {"metadata", std::move(metadata)},
                      {"spec", std::move(spec)}};
}

void add_create_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<CreateOptions>();
  auto& flags = options->flags;
  auto* command = root.add_subcommand("create", "Create a Bitcoin regtest network (a BitcoinNetwork resource)");
  command->footer(
      "Examples:\n"
      "  # Three nodes connected as a mesh, a block every 10 seconds on node 0\n"
      "  kubectl bitcoin create demo --nodes 3 --mining-interval 10\n\n"
      "  # Five nodes in a ring, a specific bitcoind image\n"
      "  kubectl bitcoin create ring5 --nodes 5 --topology ring --image bitcoin/bitcoin:27.0\n\n"
      "  # Forty nodes, each with at most 4 peers, wired at random (reproducibly)\n"
      "  kubectl bitcoin create big --nodes 40 --topology random --degree 4 --seed 7\n\n"
      "  # Four nodes wired by hand\n"
      "  kubectl bitcoin create lab --nodes 4 --topology custom --edges 0-1,1-2,2-3\n\n"
      "  # Print the object instead of creating it\n"
      "  kubectl bitcoin create demo --nodes 3 --dry-run=client -o yaml");
  command->add_option("NETWORK", flags.name, "Name of the network")->required();
  command->add_option("--nodes", flags.nodes, "Number of bitcoind nodes (0-" + std::to_string(api::kMaxNodes) + ")")
      ->required();
  command
      ->add_option("--topology", flags.topology,
                   "How nodes connect: mesh, ring, star, random or custom (default " +
                       std::string(api::to_string(api::kDefaultTopology)) + ")")
      ->check(CLI::IsMember(api::topology_names()));
  command->add_option("--hub", flags.hub,
                      "The hub node of --topology star (default " + std::to_string(api::kDefaultHub) + ")");
  command->add_option("--degree", flags.degree,
                      "The most peers a node of --topology random has (" + std::to_string(api::kMinDegree) + "-" +
                          std::to_string(api::kMaxDegree) + ", default " + std::to_string(api::kDefaultDegree) + ")");
  command->add_option("--seed", flags.seed, "The seed of --topology random: the same seed, the same graph (default 0)")
      ->check(CLI::NonNegativeNumber);
  command->add_option("--edges", flags.edges, "Edges of --topology custom, e.g. 0-1,1-2,2-3");
  command->add_option("--mining-interval", flags.mining_interval,
                      "Mine a block every S seconds (0, the default, leaves mining off)");
  command->add_option("--mining-node", flags.mining_node,
                      "The node that mines (default " + std::to_string(api::kDefaultMiningNode) + ")");
  command->add_option("--image", flags.image,
                      "The bitcoind container image (default " + std::string(api::kDefaultImage) + ")");
  command->add_option("--secret", flags.secret,
                      "A Secret with BC_RPC_USER and BC_RPC_PASSWORD (default: the controller generates one)");
  command->add_option("--arg", flags.args, "An extra bitcoind option, e.g. --arg=-txindex=1 (repeatable)")
      ->allow_extra_args(false);
  command->add_flag("--dry-run{client}", options->dry_run,
                    "\"client\" prints the object without contacting the cluster, \"server\" lets the API server "
                    "validate it without saving; --dry-run alone means client");
  command->add_option("-o,--output", options->output, "Print the object as json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}));
  command->callback([&context, options] { context.exit_code = run_create(context, *options); });
}

}  // namespace kb::cli
