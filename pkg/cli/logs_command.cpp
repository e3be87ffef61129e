#include "pkg/cli/logs_command.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/base/duration.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/kube/errors.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <ostream>

namespace kb::cli {
namespace {

struct LogsOptions {
  std::string network;
  int node = 0;
  bool follow = false;
  int tail = -1;
  bool previous = false;
  bool timestamps = false;
  std::string since;
};

int run_logs(Context& context, const LogsOptions& options) {
  if (auto problem = network_name_problem(options.network); !problem.empty()) {
    throw UsageError("NETWORK \"" + options.network + "\" " + problem);
  }
  if (options.node < 0)
    throw UsageError("--node must be a node ordinal (0 or more), not " + std::to_string(options.node));
  if (options.tail < -1)
    throw UsageError("--tail must be -1 (everything) or a number of lines, not " + std::to_string(options.tail));
  LogQuery query{
      .follow = options.follow, .tail = options.tail, .previous = options.previous, .timestamps = options.timestamps};
  if (!options.since.empty()) {
    auto since = base::parse_duration(options.since);
    if (!since || since->count() < 1000) {
      throw UsageError("--since \"" + options.since + "\" is not a duration of at least 1s; use e.g. 10m");
    }
    query.since_seconds = std::chrono::duration_cast<std::chrono::seconds>(*since).count();
  }

  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  auto network = get_network(client, ns, options.network);
  const auto nodes = int_at(network, "spec.nodes");
  if (options.node >= nodes) {
    throw UsageError("--node " + std::to_string(options.node) + " is not a node of network \"" + options.network +
                     "\": it has " + std::to_string(nodes) + " node(s)" +
                     (nodes > 0 ? " (0 to " + std::to_string(nodes - 1) + ")" : ""));
  }
  const auto pod = api::pod_name(options.network, options.node);
  const auto path = log_path(ns, pod, query);
  try {
    if (options.follow) {
      client.stream_lines(path, [&](std::string_view line) {
        context.out << line << '\n' << std::flush;
        return static_cast<bool>(context.out);
      });
    } else {
      context.out << client.request("GET", path) << std::flush;
    }
  } catch (const std::exception& e) {
    if (kube::is_not_found(e)) {
      throw CommandError("pod " + pod + " of network \"" + options.network +
                         "\" does not exist yet; the controller creates it (see kubectl bitcoin status " +
                         options.network + ")");
    }
    fail_with_kube_error(e, "get the logs of " + pod);
  }
  return kExitSuccess;
}

}  // namespace

std::string log_path(const std::string& ns, const std::string& pod, const LogQuery& query) {
  std::string path = kube::refs::pods(ns, pod).sub("log").path() + "?container=" + kube::url_encode(query.container);
  if (query.follow) path += "&follow=true";
  if (query.tail >= 0) path += "&tailLines=" + std::to_string(query.tail);
  if (query.previous) path += "&previous=true";
  if (query.timestamps) path += "&timestamps=true";
  if (query.since_seconds > 0) path += "&sinceSeconds=" + std::to_string(query.since_seconds);
  return path;
}

void add_logs_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<LogsOptions>();
  auto* command = root.add_subcommand("logs", "Print the bitcoind log of one node of a network");
  command->footer(
      "Examples:\n"
      "  # The log of node 0 of the network demo\n"
      "  kubectl bitcoin logs demo\n\n"
      "  # Follow node 2, starting with its last 20 lines\n"
      "  kubectl bitcoin logs demo --node 2 -f --tail 20\n\n"
      "  # The log of the previous (crashed) container, with timestamps\n"
      "  kubectl bitcoin logs demo --node 1 --previous --timestamps");
  command->add_option("NETWORK", options->network, "Name of the network")->required();
  command->add_option("--node", options->node, "Ordinal of the node (default 0)");
  command->add_flag("-f,--follow", options->follow, "Keep streaming new lines (Ctrl-C to stop)");
  command->add_option("--tail", options->tail, "Lines of recent log to show (default -1: all)");
  command->add_flag("-p,--previous", options->previous, "The log of the previous container instance");
  command->add_flag("--timestamps", options->timestamps, "Prefix each line with its RFC 3339 timestamp");
  command->add_option("--since", options->since, "Only lines newer than this duration, e.g. 10m");
  command->callback([&context, options] { context.exit_code = run_logs(context, *options); });
}

}  // namespace kb::cli
