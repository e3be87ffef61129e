#include "pkg/cli/partition_command.hpp"

#include "pkg/api/conditions.hpp"
#include "pkg/api/group_version.hpp"
#include "pkg/base/duration.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/controller/partition_status.hpp"
#include "pkg/kube/conditions.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <charconv>
#include <limits>
#include <map>
#include <ostream>
#include <set>

namespace kb::cli {
namespace json = boost::json;

namespace {

struct PartitionOptions {
  std::string network;
  std::vector<std::string> groups;
  std::string duration;  // --for
  std::string output;
};

struct HealOptions {
  std::string network;
  std::string output;
};

std::vector<int> parse_ordinals(std::string_view list, const std::string& argument) {
  std::vector<int> out;
  const std::string what = "GROUP \"" + argument + "\"";
  if (list.empty()) throw UsageError(what + " lists no node; give ordinals separated by commas, e.g. 0,1");
  std::size_t start = 0;
  while (start <= list.size()) {
    auto comma = list.find(',', start);
    auto item = list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    int ordinal = -1;
    auto [end, error] = std::from_chars(item.data(), item.data() + item.size(), ordinal);
    if (item.empty() || error != std::errc() || end != item.data() + item.size() || ordinal < 0) {
      throw UsageError(what + ": \"" + std::string(item) + "\" is not a node ordinal (a whole number from 0)");
    }
    out.push_back(ordinal);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return out;
}

json::value partitions_json(const std::vector<api::PartitionGroup>& groups) {
  json::array out;
  for (const auto& group : groups) {
    json::array nodes;
    for (int ordinal : group.nodes) nodes.push_back(ordinal);
    out.push_back(json::object{{"name", group.name}, {"nodes", std::move(nodes)}});
  }
  return out;
}

// The merge patch that clears the partition (heal), also the first step of a partition that must
// start over (see run_partition).
json::value heal_patch() {
  return json::object{{"spec", {{"partitions", nullptr}, {"partitionDurationSeconds", nullptr}}}};
}

void print_result(Context& context, const json::value& network, const std::string& output, const std::string& line) {
  if (!output.empty()) {
    print_structured(context.out, network, output);
  } else {
    context.out << line << "\n";
  }
}

int run_partition(Context& context, const PartitionOptions& options) {
  if (auto problem = network_name_problem(options.network); !problem.empty()) {
    throw UsageError("NETWORK \"" + options.network + "\" " + problem);
  }
  auto groups = parse_group_arguments(options.groups);
  std::int64_t seconds = 0;
  if (!options.duration.empty()) {
    auto duration = base::parse_duration(options.duration);
    if (!duration || *duration < std::chrono::seconds(1) ||
        *duration % std::chrono::seconds(1) != std::chrono::milliseconds(0)) {
      throw UsageError("--for \"" + options.duration +
                       "\" is not a duration of whole seconds, at least 1s (e.g. 90s, 2m)");
    }
    seconds = std::chrono::duration_cast<std::chrono::seconds>(*duration).count();
    if (seconds > std::numeric_limits<std::int32_t>::max())
      throw UsageError("--for \"" + options.duration + "\" is too long");
  }
  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  const auto ref = network_ref(ns, options.network);
  json::value patched;
  try {
    // A partition that ended by its duration stays healed until the spec changes (the controller
    // may not write it): the same groups again would change nothing, so clear them first.
    auto live = get_network(client, ns, options.network);
    const auto* conditions = base::json_at(live, "status", "conditions");
    const auto* partitioned = conditions ? kube::find_condition(*conditions, api::kConditionPartitioned) : nullptr;
    if (partitioned && base::string_at(*partitioned, "reason") == controller::kPartitionExpired) {
      client.patch(ref, kube::PatchType::Merge, heal_patch(), {.field_manager = "kubectl-bitcoin"});
    }
    json::object spec{{"partitions", partitions_json(groups)}};
    spec["partitionDurationSeconds"] = seconds > 0 ? json::value(seconds) : json::value(nullptr);
    patched = client.patch(ref, kube::PatchType::Merge, json::object{{"spec", std::move(spec)}},
                           {.field_manager = "kubectl-bitcoin"});
  } catch (const CommandError&) {
    throw;
  } catch (const std::exception& e) {
    fail_network_request(e, client, ns, options.network, "partition network \"" + options.network + "\"");
  }
  auto in_force = api::resolve_partition_groups(groups, static_cast<int>(int_at(patched, "spec.nodes")));
  print_result(context, patched, options.output,
               api::qualified_name(options.network) + " partitioned: " + api::describe_groups(in_force) +
                   (seconds > 0 ? " for " + base::format_duration(std::chrono::seconds(seconds)) : std::string()));
  return kExitSuccess;
}

int run_heal(Context& context, const HealOptions& options) {
  if (auto problem = network_name_problem(options.network); !problem.empty()) {
    throw UsageError("NETWORK \"" + options.network + "\" " + problem);
  }
  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  json::value patched;
  try {
    patched = client.patch(network_ref(ns, options.network), kube::PatchType::Merge, heal_patch(),
                           {.field_manager = "kubectl-bitcoin"});
  } catch (const std::exception& e) {
    fail_network_request(e, client, ns, options.network, "heal network \"" + options.network + "\"");
  }
  print_result(context, patched, options.output, api::qualified_name(options.network) + " healed");
  return kExitSuccess;
}

}  // namespace

std::vector<api::PartitionGroup> parse_group_arguments(const std::vector<std::string>& arguments) {
  std::vector<api::PartitionGroup> groups;
  std::map<int, std::string> argument_of;
  std::set<std::string> names;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const auto& argument = arguments[i];
    auto equals = argument.find('=');
    api::PartitionGroup group;
    group.name = equals == std::string::npos ? "g" + std::to_string(i + 1) : argument.substr(0, equals);
    group.nodes = parse_ordinals(
        equals == std::string::npos ? std::string_view(argument) : std::string_view(argument).substr(equals + 1),
        argument);
    // The rules the API server applies, stated for this argument alone (its name, its ordinals).
    if (auto problem = api::check_partitions({api::PartitionGroup{group.name, {0}}})) {
      throw UsageError("GROUP \"" + argument + "\": the name \"" + group.name +
                       (group.name == api::kRestGroup ? "\" is reserved for the nodes listed in no group"
                                                      : "\" is not a DNS label (lower-case letters, digits and '-')"));
    }
    if (!names.insert(group.name).second) {
      throw UsageError("GROUP \"" + argument + "\": the name \"" + group.name + "\" is used by an earlier group");
    }
    for (int ordinal : group.nodes) {
      auto [it, inserted] = argument_of.emplace(ordinal, argument);
      if (!inserted) {
        throw UsageError("GROUP \"" + argument + "\": node " + std::to_string(ordinal) + " is already in GROUP \"" +
                         it->second + "\"; a node may be in one group only");
      }
    }
    groups.push_back(std::move(group));
  }
  if (groups.size() > static_cast<std::size_t>(api::kMaxPartitionGroups)) {
    throw UsageError("at most " + std::to_string(api::kMaxPartitionGroups) + " GROUP arguments are allowed, not " +
                     std::to_string(groups.size()));
  }
  return groups;
}

void add_partition_commands(CLI::App& root, Context& context) {
  auto options = std::make_shared<PartitionOptions>();
  auto* partition = root.add_subcommand("partition", "Split a network's P2P connections into groups of nodes");
  partition->footer(
      "Each GROUP is a list of node ordinals (0,1) or NAME=ordinals (left=0,1); nodes in no group form one\n"
      "more group, \"rest\". While the partition is in force the controller keeps P2P connections only\n"
      "inside each group (cross-group addnode entries removed, the other groups' pod IPs banned with\n"
      "setban on every node); mining and `kubectl bitcoin mine` keep working in each group.\n"
      "Status: the Partitioned condition and status.partition (kubectl bitcoin status NETWORK -o yaml).\n\n"
      "Examples:\n"
      "  # Split the ring demo into {0,1} and {2,3}\n"
      "  kubectl bitcoin partition demo 0,1 2,3\n\n"
      "  # Named groups, healed by the controller after two minutes\n"
      "  kubectl bitcoin partition demo left=0,1 right=2,3 --for 2m");
  partition->add_option("NETWORK", options->network, "Name of the network")->required();
  partition->add_option("GROUP", options->groups, "Node ordinals of one group: 0,1 or NAME=0,1 (repeat per group)")
      ->required();
  partition->add_option("--for", options->duration,
                        "End the partition by itself after this long (e.g. 90s, 2m); the controller heals the "
                        "network then (spec.partitionDurationSeconds)");
  partition->add_option("-o,--output", options->output, "Print the network as json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}));
  partition->callback([&context, options] { context.exit_code = run_partition(context, *options); });

  auto heal_options = std::make_shared<HealOptions>();
  auto* heal = root.add_subcommand("heal", "End a network's partition: every node reconnects to its topology peers");
  heal->footer(
      "Clears spec.partitions (and spec.partitionDurationSeconds); the controller lifts its bans and adds\n"
      "the topology's connections again. Healing a network that is not partitioned changes nothing.\n\n"
      "Examples:\n"
      "  kubectl bitcoin heal demo");
  heal->add_option("NETWORK", heal_options->network, "Name of the network")->required();
  heal->add_option("-o,--output", heal_options->output, "Print the network as json or yaml")
      ->check(CLI::IsMember({"json", "yaml"}));
  heal->callback([&context, heal_options] { context.exit_code = run_heal(context, *heal_options); });
}

}  // namespace kb::cli
