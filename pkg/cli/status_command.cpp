#include "pkg/cli/status_command.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/api/conditions.hpp"
#include "pkg/api/naming.hpp"
#include "pkg/base/duration.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/fork_view.hpp"
#include "pkg/cli/network_watch.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/table_printer.hpp"
#include "pkg/kube/conditions.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/wait.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <unistd.h>
#include <algorithm>
#include <future>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>

namespace kb::cli {
namespace json = boost::json;

namespace {

constexpr std::string_view kControllerSelector = "app.kubernetes.io/name=bitcoin-controller";
constexpr std::size_t kMaxEvents = 10;

struct StatusOptions {
  std::string network;
  std::string output;
  bool all_namespaces = false;
  bool watch = false;
  bool check = false;
  std::string interval = "2s";
};

std::string join(const std::vector<std::string>& items, std::string_view separator) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += separator;
    out += item;
  }
  return out;
}

const json::array* array_at(const json::value& root, std::string_view path) {
  const auto* value = find_path(root, path);
  return value ? value->if_array() : nullptr;
}

// The spec as the controller reads it, defaults applied. A spec the controller could not read
// either (a stale or foreign object) is shown with the defaults and its raw node count.
api::NetworkSpec spec_of(const json::value& network) {
  const auto* spec = find_path(network, "spec");
  try {
    if (spec) return api::parse_spec(*spec);
  } catch (const api::NetworkSpecError&) {
  }
  api::NetworkSpec defaults;
  defaults.nodes = static_cast<int>(int_at(network, "spec.nodes"));
  return defaults;
}

std::string mining_text(const api::NetworkSpec& spec) {
  if (!spec.mining.enabled) return "off";
  return "every " + std::to_string(spec.mining.interval_seconds) + "s on node " + std::to_string(spec.mining.node);
}

std::string topology_text(const api::NetworkSpec& spec) {
  std::string topology(to_string(spec.topology));
  if (spec.topology == api::Topology::star) topology += " (hub " + std::to_string(spec.hub) + ")";
  if (spec.topology == api::Topology::random) {
    topology += " (degree " + std::to_string(spec.degree) + ", seed " + std::to_string(spec.seed) + ")";
  }
  if (spec.topology == api::Topology::custom) topology += " (" + std::to_string(spec.custom_edges.size()) + " edges)";
  return topology;
}

// The timestamp that says when an Event last happened, whichever API wrote it.
std::string event_time(const json::value& event) {
  for (auto path :
       {"lastTimestamp", "series.lastObservedTime", "eventTime", "firstTimestamp", "metadata.creationTimestamp"}) {
    auto text = string_at(event, path);
    if (!text.empty()) return text;
  }
  return "";
}

// Redraw in place only on a terminal (std::cout on a tty); tests and pipes get appended frames.
bool writes_to_terminal(const std::ostream& out) { return &out == &std::cout && ::isatty(STDOUT_FILENO) == 1; }

// --- Reading the cluster ---------------------------------------------------------------------

struct ControllerInfo {
  std::vector<json::value> deployments;
  std::string leader;
  std::string problem;  // when the Deployments could not be read
};

ControllerInfo find_controller(const kube::Client& client, const std::string& ns) {
  ControllerInfo info;
  kube::ListOptions options{.label_selector = std::string(kControllerSelector)};
  try {
    info.deployments = client.list(kube::refs::deployments(""), options).items;
  } catch (const std::exception& e) {
    if (!kube::is_forbidden(e)) {
      info.problem = e.what();
      return info;
    }
    try {  // no cluster-wide read: look in the namespace we work in
      info.deployments = client.list(kube::refs::deployments(ns), options).items;
    } catch (const std::exception& inner) {
      info.problem = inner.what();
      return info;
    }
  }
  for (const auto& deployment : info.deployments) {
    try {
      auto lease = client.get_if_exists(
          kube::refs::leases(string_at(deployment, "metadata.namespace"), string_at(deployment, "metadata.name")));
      if (lease) info.leader = string_at(*lease, "spec.holderIdentity");
    } catch (const std::exception&) {
      // the leader is a nicety; RBAC may hide leases
    }
    if (!info.leader.empty()) break;
  }
  return info;
}

std::vector<json::value> network_events(const kube::Client& client, const std::string& ns, const std::string& name) {
  try {
    auto events =
        client
            .list(kube::refs::core_events(ns),
                  {.field_selector = "involvedObject.name=" + name + ",involvedObject.kind=" + std::string(api::kKind)})
            .items;
    std::stable_sort(events.begin(), events.end(),
                     [](const json::value& a, const json::value& b) { return event_time(a) < event_time(b); });
    if (events.size() > kMaxEvents) events.erase(events.begin(), events.end() - kMaxEvents);
    return events;
  } catch (const std::exception&) {
    return {};  // events are context, not the answer; RBAC may hide them
  }
}

// In kubectl's order. The keys are read once: reading them in the comparison was a quarter of
// the command's instructions over 1000 networks.
void sort_by_namespace_and_name(std::vector<json::value>& items) {
  std::vector<std::pair<std::pair<std::string, std::string>, std::size_t>> keys;
  keys.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    keys.push_back({{string_at(items[i], "metadata.namespace"), string_at(items[i], "metadata.name")}, i});
  }
  std::sort(keys.begin(), keys.end());
  std::vector<json::value> sorted;
  sorted.reserve(items.size());
  for (const auto& key : keys) sorted.push_back(std::move(items[key.second]));
  items = std::move(sorted);
}

// --- One rendering of the whole view ---------------------------------------------------------

struct View {
  std::string text;
  std::string change_key;              // resourceVersions of everything shown: ages alone do not make a change
  std::vector<std::string> not_ready;  // "name: reason (message)" for --check
};

View build_view(const kube::Client& client, const StatusOptions& options, const std::string& ns) {
  View view;
  std::ostringstream out;
  const auto now = std::chrono::system_clock::now();
  const bool structured = options.output == "json" || options.output == "yaml";
  const bool wide = options.output == "wide";

  if (!options.network.empty()) {
    auto network = get_network(client, ns, options.network);
    auto summary = summarize_network(network, now);
    view.change_key = string_at(network, "metadata.resourceVersion");
    if (!summary.is_ready)
      view.not_ready.push_back(summary.name + ": " + summary.ready_reason +
                               (summary.ready_message.empty() ? "" : " (" + summary.ready_message + ")"));
    if (structured) {
      print_structured(out, network, options.output);
    } else if (options.output == "name") {
      out << api::qualified_name(summary.name) << "\n";
    } else {
      auto events = network_events(client, ns, options.network);
      for (const auto& event : events) view.change_key += "," + string_at(event, "metadata.resourceVersion");
      out << render_network_detail(network, events, now, wide);
    }
    view.text = out.str();
    return view;
  }

  const std::string list_ns = options.all_namespaces ? "" : ns;
  // The table ends with a line about the controller: ask for it while the networks are listed
  // (the list of many networks is the long request; this saves the controller's round trips).
  const bool table = !structured && options.output != "name";
  std::future<ControllerInfo> controller_info;
  if (table) controller_info = std::async(std::launch::async, [&client, &ns] { return find_controller(client, ns); });
  std::vector<json::value> items;
  try {
    items = client.list(network_ref(list_ns)).items;
  } catch (const std::exception& e) {
    fail_network_request(e, client, list_ns, "", "list BitcoinNetworks");
  }
  sort_by_namespace_and_name(items);
  std::vector<NetworkSummary> summaries;
  for (const auto& item : items) {
    view.change_key += string_at(item, "metadata.resourceVersion") + ",";
    summaries.push_back(summarize_network(item, now));
    const auto& summary = summaries.back();
    if (!summary.is_ready) {
      view.not_ready.push_back(summary.namespace_name + "/" + summary.name + ": " + summary.ready_reason +
                               (summary.ready_message.empty() ? "" : " (" + summary.ready_message + ")"));
    }
  }
  if (items.empty()) {
    view.not_ready.push_back(options.all_namespaces ? "there are no BitcoinNetworks in any namespace"
                                                    : "there are no BitcoinNetworks in namespace \"" + ns + "\"");
  }
  if (structured) {
    print_structured(out, make_list(std::move(items)), options.output);
    view.text = out.str();
    return view;
  }
  if (options.output == "name") {  // kubectl's -o name, for scripts: no header, no controller line
    for (const auto& summary : summaries) out << api::qualified_name(summary.name) << "\n";
    view.text = out.str();
    return view;
  }
  if (summaries.empty()) {
    out << (options.all_namespaces ? std::string("No BitcoinNetworks found.")
                                   : "No BitcoinNetworks found in " + ns + " namespace.")
        << " Create one with: kubectl bitcoin create NAME --nodes 3\n";
  } else {
    out << render_network_table(summaries, options.all_namespaces, wide);
  }
  auto controller = controller_info.get();
  if (!controller.problem.empty()) {
    out << "\nController: unknown (cannot list Deployments: " << controller.problem << ")\n";
  } else {
    for (const auto& d : controller.deployments) view.change_key += string_at(d, "metadata.resourceVersion") + ",";
    out << "\n" << render_controller_line(controller.deployments, controller.leader) << "\n";
  }
  view.text = out.str();
  return view;
}

void finish_check(const View& view, const StatusOptions& options) {
  if (!options.check || view.not_ready.empty()) return;
  throw CommandError("not Ready: " + join(view.not_ready, "; "));
}

// Watch: on a terminal redraw in place whenever the text changes (ages tick too); elsewhere
// append a frame, separated by a blank line, only when an object changed (as kubectl get -w).
// Runs until the process is interrupted. The first view's errors reach the caller; later ones are
// reported once each and the last good view stays.
void watch_status(Context& context, const kube::Client& client, const StatusOptions& options, const std::string& ns,
                  std::chrono::milliseconds interval) {
  const bool terminal = writes_to_terminal(context.out);
  std::optional<View> view;
  std::string last_error;
  auto observe = [&]() -> View {
    if (!view) return *(view = build_view(client, options, ns));
    try {
      view = build_view(client, options, ns);
      last_error.clear();
    } catch (const std::exception& e) {
      if (e.what() != last_error) context.err << "error: " << e.what() << " (retrying)\n" << std::flush;
      last_error = e.what();
    }
    return *view;
  };
  std::optional<std::string> shown_text;
  std::string shown_key;
  auto draw = [&](const View& current) {
    if (shown_text && (terminal ? current.text == *shown_text : current.change_key == shown_key)) return;
    if (terminal)
      context.out << "\033[H\033[2J";
    else if (shown_text)
      context.out << "\n";
    context.out << current.text << std::flush;
    shown_text = current.text;
    shown_key = current.change_key;
  };
  // No condition ends a watch: the deadline is only there because wait_until needs one.
  constexpr auto kForever = std::chrono::hours(24 * 365 * 100);
  kube::wait_until<View>(
      observe, [](const View&) { return false; }, {.timeout = kForever, .interval = interval}, draw);
}

int run_status(Context& context, const StatusOptions& options) {
  if (options.all_namespaces && !options.network.empty()) {
    throw UsageError("a network cannot be retrieved by name across all namespaces; drop -A or the name");
  }
  if (options.check && options.watch) throw UsageError("--check cannot be combined with --watch");
  if (!options.network.empty()) {
    if (auto problem = network_name_problem(options.network); !problem.empty()) {
      throw UsageError("NETWORK \"" + options.network + "\" " + problem);
    }
  }
  auto interval = base::parse_duration(options.interval);
  if (!interval || interval->count() < 100) {
    throw UsageError("--interval \"" + options.interval + "\" is not a duration of at least 100ms; use e.g. 2s");
  }
  auto client = make_client(context.global);
  const std::string ns = effective_namespace(context.global, client);
  if (options.watch && !options.network.empty() && options.output.empty()) {
    (void)get_network(client, ns, options.network);  // a missing CRD or network is said as without -w
    watch_network(client, {ns, options.network, writes_to_terminal(context.out)}, context.out, context.err);
    return kExitSuccess;
  }
  if (options.watch) {
    watch_status(context, client, options, ns, *interval);
    return kExitSuccess;
  }
  auto view = build_view(client, options, ns);
  context.out << view.text << std::flush;
  finish_check(view, options);
  return kExitSuccess;
}

}  // namespace

// --- Shared helpers ----------------------------------------------------------------------------

kube::ResourceRef network_ref(std::string ns, std::string name) {
  auto ref = kube::ResourceRef::of(std::string(api::kGroup), std::string(api::kVersion), std::string(api::kPlural));
  if (!ns.empty()) ref = ref.in(std::move(ns));
  if (!name.empty()) ref = ref.named(std::move(name));
  return ref;
}

std::string crd_missing_message() {
  return "the BitcoinNetwork CRD is not installed in this cluster (the API server does not serve " +
         std::string(api::kPlural) + "." + std::string(api::kGroup) + "); run kubectl bitcoin install";
}

bool crd_missing(const kube::Client& client, const std::string& ns) {
  try {
    client.list_page(network_ref(ns), {.limit = 1});
    return false;
  } catch (const std::exception& e) {
    return kube::is_not_found(e);
  }
}

std::vector<std::string> network_names(const kube::Client& client, const std::string& ns) {
  std::vector<std::string> names;
  try {
    for (const auto& item : client.list(network_ref(ns)).items) names.push_back(string_at(item, "metadata.name"));
  } catch (const std::exception&) {
    return {};
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string unknown_network_message(const std::string& name, const std::string& ns,
                                    const std::vector<std::string>& existing) {
  std::string message = "network \"" + name + "\" not found in namespace \"" + ns + "\"";
  if (existing.empty()) {
    return message + "; there are no networks in that namespace (create one with kubectl bitcoin create " + name +
           " --nodes 3, or pick another namespace with -n)";
  }
  return message + "; networks there: " + join(existing, ", ") + " (or pick another namespace with -n)";
}

void fail_network_request(const std::exception& e, const kube::Client& client, const std::string& ns,
                          const std::string& name, const std::string& what) {
  if (kube::is_not_found(e)) {
    if (crd_missing(client, ns)) throw CommandError(crd_missing_message());
    if (!name.empty()) throw CommandError(unknown_network_message(name, ns, network_names(client, ns)));
  }
  fail_with_kube_error(e, what);
}

json::value get_network(const kube::Client& client, const std::string& ns, const std::string& name) {
  try {
    return client.get(network_ref(ns, name));
  } catch (const std::exception& e) {
    fail_network_request(e, client, ns, name, "get network \"" + name + "\"");
  }
}

std::string network_name_problem(const std::string& name, bool creating) {
  // Any name Kubernetes accepts can be looked up (a DNS subdomain). A new network's name must also
  // fit what the controller derives from it: the StatefulSet <network>-sts stamps its pods with
  // controller-revision-hash=<network>-sts-<10-character hash>, and label values stop at 63
  // characters, so 63 - 15 = 48; and it must be a DNS label (Service names allow no dots).
  const std::size_t max_length = creating ? 48 : 253;
  if (name.empty()) return "is empty";
  if (name.size() > max_length) {
    return "is longer than " + std::to_string(max_length) + " characters" +
           (creating ? " (its StatefulSet and pods derive longer names from it)" : "");
  }
  auto ok_inner = [creating](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || (!creating && c == '.');
  };
  auto ok_edge = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!ok_edge(name.front()) || !ok_edge(name.back()) || !std::all_of(name.begin(), name.end(), ok_inner)) {
    return "is not a valid name: use lower-case letters, digits and '-', starting and ending with a letter or digit";
  }
  return "";
}

// --- Pure summaries ----------------------------------------------------------------------------

NetworkSummary summarize_network(const json::value& network, std::chrono::system_clock::time_point now) {
  NetworkSummary summary;
  summary.namespace_name = string_at(network, "metadata.namespace");
  summary.name = string_at(network, "metadata.name");
  const auto spec = spec_of(network);
  summary.desired = spec.nodes;
  summary.ready = int_at(network, "status.readyNodes");
  summary.age = age_of(string_at(network, "metadata.creationTimestamp"), now);
  summary.topology = to_string(spec.topology);
  summary.mining = spec.mining.enabled
                       ? std::to_string(spec.mining.interval_seconds) + "s@node" + std::to_string(spec.mining.node)
                       : "off";
  summary.image = spec.image;

  std::int64_t min_height = std::numeric_limits<std::int64_t>::max();
  std::int64_t max_height = std::numeric_limits<std::int64_t>::min();
  std::int64_t min_peers = std::numeric_limits<std::int64_t>::max();
  std::string tip;
  bool same_tip = true;
  int counted = 0;
  if (const auto* nodes = array_at(network, "status.nodes")) {
    for (const auto& node : *nodes) {
      if (!bool_at(node, "ready")) continue;
      ++counted;
      auto blocks = int_at(node, "blocks");
      min_height = std::min(min_height, blocks);
      max_height = std::max(max_height, blocks);
      min_peers = std::min(min_peers, int_at(node, "peers"));
      auto hash = string_at(node, "bestBlockHash");
      if (counted == 1) tip = hash;
      if (hash.empty() || hash != tip) same_tip = false;
    }
  }
  if (counted == 0) {
    summary.height = "-";
    summary.sync = "-";
    summary.peers = "-";
  } else {
    summary.height = min_height == max_height ? std::to_string(max_height)
                                              : std::to_string(min_height) + "-" + std::to_string(max_height);
    summary.sync = same_tip ? "yes" : "no";
    summary.peers = std::to_string(min_peers);
  }

  if (const auto* ready = kube::condition_of(network, api::kConditionReady)) {
    summary.is_ready = base::string_at(*ready, "status") == "True";
    summary.ready_reason = base::string_at(*ready, "reason").value_or("-");
    summary.ready_message = base::string_at(*ready, "message").value_or("");
  } else {
    summary.ready_reason = "Pending";
    summary.ready_message = "the controller has not reported a status yet; is it running? (kubectl bitcoin status)";
  }
  return summary;
}

std::string render_network_table(const std::vector<NetworkSummary>& networks, bool all_namespaces, bool wide) {
  std::vector<std::string> headers;
  if (all_namespaces) headers.push_back("NAMESPACE");
  for (auto h : {"NAME", "READY", "HEIGHT", "SYNC", "PEERS", "AGE"}) headers.emplace_back(h);
  if (wide) {
    for (auto h : {"STATUS", "TOPOLOGY", "MINING", "IMAGE"}) headers.emplace_back(h);
  }
  Table table(headers);
  for (const auto& n : networks) {
    std::vector<std::string> row;
    if (all_namespaces) row.push_back(n.namespace_name);
    row.insert(row.end(),
               {n.name, std::to_string(n.ready) + "/" + std::to_string(n.desired), n.height, n.sync, n.peers, n.age});
    if (wide) row.insert(row.end(), {n.ready_reason, n.topology, n.mining, n.image});
    table.add_row(std::move(row));
  }
  return table.str();
}

namespace {

// The Nodes section: one row per ordinal below spec.nodes (missing ones too) and any other the status lists.
void render_nodes(std::ostream& out, const json::value& network, const NetworkSummary& summary, bool wide) {
  out << "\nNodes:\n";
  std::vector<std::string> headers{"ORDINAL", "POD", "IP", "READY", "BLOCKS", "BEST-HASH", "PEERS", "VERSION"};
  if (wide) headers.insert(headers.end(), {"NODE", "DNS"});
  Table nodes(headers);
  std::map<std::int64_t, const json::value*> by_ordinal;
  if (const auto* list = array_at(network, "status.nodes")) {
    for (const auto& node : *list) by_ordinal[int_at(node, "ordinal", -1)] = &node;
  }
  for (std::int64_t i = 0; i < summary.desired; ++i) by_ordinal.try_emplace(i, nullptr);
  for (const auto& [ordinal, node] : by_ordinal) {
    if (ordinal < 0) continue;
    std::vector<std::string> row{std::to_string(ordinal), api::pod_name(summary.name, static_cast<int>(ordinal))};
    if (!node) {
      row.insert(row.end(), {"-", "no", "-", "-", "-", "-"});
      if (wide) row.insert(row.end(), {"-", "-"});
    } else {
      const bool ready = bool_at(*node, "ready");
      std::string hash = string_at(*node, "bestBlockHash");
      if (!wide && hash.size() > 16) hash = hash.substr(0, 16);
      auto version = string_at(*node, "version");
      row.insert(
          row.end(),
          {string_at(*node, "ip", "-"), ready ? "yes" : "no",
           find_path(*node, "blocks") ? std::to_string(int_at(*node, "blocks")) : "-", hash.empty() ? "-" : hash,
           find_path(*node, "peers") ? std::to_string(int_at(*node, "peers")) : "-", version.empty() ? "-" : version});
      if (wide) row.insert(row.end(), {string_at(*node, "nodeName", "-"), string_at(*node, "dnsName", "-")});
    }
    nodes.add_row(std::move(row));
  }
  if (nodes.empty())
    out << "  <none>\n";
  else
    out << nodes.str();
}

void render_conditions(std::ostream& out, const json::value& network, std::chrono::system_clock::time_point now) {
  out << "\nConditions:\n";
  Table conditions({"TYPE", "STATUS", "REASON", "AGE", "MESSAGE"});
  if (const auto* list = array_at(network, "status.conditions")) {
    for (const auto& c : *list) {
      conditions.add_row({string_at(c, "type"), string_at(c, "status"), string_at(c, "reason"),
                          age_of(string_at(c, "lastTransitionTime"), now), string_at(c, "message")});
    }
  }
  if (conditions.empty())
    out << "  <none> (the controller has not reported a status yet)\n";
  else
    out << conditions.str();
}

void render_events(std::ostream& out, const std::vector<json::value>& events,
                   std::chrono::system_clock::time_point now) {
  out << "\nEvents:\n";
  Table table({"LAST SEEN", "TYPE", "REASON", "FROM", "MESSAGE"});
  for (const auto& event : events) {
    auto from = string_at(event, "source.component");
    if (from.empty()) from = string_at(event, "reportingComponent", "-");
    auto count = int_at(event, "count", 1);
    auto message = string_at(event, "message");
    if (count > 1) message += " (x" + std::to_string(count) + ")";
    table.add_row(
        {age_of(event_time(event), now), string_at(event, "type"), string_at(event, "reason"), from, message});
  }
  if (table.empty())
    out << "  <none>\n";
  else
    out << table.str();
}

}  // namespace

std::string render_network_detail(const json::value& network, const std::vector<json::value>& events,
                                  std::chrono::system_clock::time_point now, bool wide) {
  std::ostringstream out;
  auto summary = summarize_network(network, now);
  std::string sync_text = summary.sync == "yes"  ? "all ready nodes on the same tip"
                          : summary.sync == "no" ? "NOT in sync (different tips)"
                                                 : "no ready nodes";
  out << "Name:       " << summary.name << "\n"
      << "Namespace:  " << summary.namespace_name << "\n"
      << "Ready:      " << summary.ready << "/" << summary.desired << " nodes"
      << (summary.is_ready ? "" : " (" + summary.ready_reason + ")") << "\n"
      << "Height:     " << summary.height << " (" << sync_text << ")\n"
      << "Topology:   " << topology_text(spec_of(network)) << "\n"
      << "Mining:     " << mining_text(spec_of(network)) << "\n"
      << "Image:      " << summary.image << "\n"
      << "Age:        " << summary.age << "\n";

  if (auto forks = fork_lines(network); forks.size() > 1) {
    out << "Forks:      " << forked_summary(network, now) << "\n";
    for (const auto& line : forks) out << "  " << line << "\n";
  }
  render_nodes(out, network, summary, wide);
  render_conditions(out, network, now);
  render_events(out, events, now);
  return out.str();
}

std::string image_tag(const std::string& image) {
  if (auto at = image.find('@'); at != std::string::npos) {
    auto digest = image.substr(at + 1);
    auto colon = digest.find(':');
    return (colon == std::string::npos ? digest : digest.substr(colon + 1)).substr(0, 12);
  }
  auto slash = image.rfind('/');
  auto colon = image.rfind(':');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "latest";
  return image.substr(colon + 1);
}

std::string render_controller_line(const std::vector<json::value>& deployments, const std::string& leader) {
  if (deployments.empty()) {
    return "Controller: not installed (no Deployment labelled " + std::string(kControllerSelector) +
           "); run kubectl bitcoin install";
  }
  std::vector<std::string> parts;
  for (const auto& d : deployments) {
    auto ns = string_at(d, "metadata.namespace");
    auto name = string_at(d, "metadata.name");
    auto desired = int_at(d, "spec.replicas", 1);
    auto ready = int_at(d, "status.readyReplicas", 0);
    std::string version = "unknown";
    if (const auto* containers = array_at(d, "spec.template.spec.containers"); containers && !containers->empty()) {
      version = image_tag(string_at(containers->front(), "image"));
    }
    std::string part = name + " in namespace " + ns + ", " + std::to_string(ready) + "/" + std::to_string(desired) +
                       " ready, version " + version;
    if (!leader.empty()) part += ", leader " + leader;
    if (ready == 0) part += " (NOT READY: see kubectl -n " + ns + " logs deploy/" + name + ")";
    parts.push_back(std::move(part));
  }
  return "Controller: " + join(parts, "; ");
}

void add_status_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<StatusOptions>();
  auto* command = root.add_subcommand(
      "status", "Show networks: nodes ready, block heights, sync and peers; with a name, per-node detail");
  command->footer(
      "Examples:\n"
      "  # All networks in the current namespace, and the controller\n"
      "  kubectl bitcoin status\n\n"
      "  # Networks in every namespace, with topology, mining and image\n"
      "  kubectl bitcoin status -A -o wide\n\n"
      "  # One network: its nodes, fork groups, conditions and recent events\n"
      "  kubectl bitcoin status demo\n\n"
      "  # Watch it: a compact frame redrawn on every change (a new block, a fork, a reorg)\n"
      "  kubectl bitcoin status demo -w\n\n"
      "  # In a script: exit 1 unless the network is Ready\n"
      "  kubectl bitcoin status demo --check\n\n"
      "  # The object as JSON\n"
      "  kubectl bitcoin status demo -o json");
  command->add_option("NETWORK", options->network, "The network to show (default: all in the namespace)");
  command->add_option("-o,--output", options->output, "Output format: wide, json, yaml or name (default: a table)")
      ->check(CLI::IsMember({"wide", "json", "yaml", "name"}));
  command->add_flag("-A,--all-namespaces", options->all_namespaces, "List networks in all namespaces");
  command->add_flag("-w,--watch", options->watch,
                    "Keep watching and redraw when something changes (Ctrl-C to stop); with NETWORK a compact "
                    "frame (tips, fork groups, newest events) from a watch on the API server");
  command->add_option("--interval", options->interval, "How often --watch polls a list or -o output (default 2s)");
  command->add_flag("--check", options->check,
                    "Exit 1 unless the network (or every network) is Ready; for scripts and CI");
  command->callback([&context, options] { context.exit_code = run_status(context, *options); });
}

}  // namespace kb::cli
