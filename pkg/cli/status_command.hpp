#pragma once
// `kubectl bitcoin status [NETWORK]`: is it up, are the nodes connected, are they in sync.
//
// Also home of what every network command shares (create, scale, delete, logs): addressing the
// BitcoinNetwork resource and turning "not found" into the right sentence — the CRD is missing,
// or the network is unknown (naming the ones that exist).
#include "pkg/cli/command.hpp"
#include "pkg/kube/client.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <exception>
#include <string>
#include <vector>

namespace kb::cli {

void add_status_command(CLI::App& root, Context& context);

// --- Shared by the network commands ---------------------------------------------------------

// bitcoinnetworks in `ns` ("" for all namespaces), optionally one by name.
kube::ResourceRef network_ref(std::string ns = "", std::string name = "");

// The sentence when the bitcoinnetworks resource itself is not served.
std::string crd_missing_message();

// Whether a 404 on the bitcoinnetworks resource means the CRD is missing (the collection 404s too).
bool crd_missing(const kube::Client& client, const std::string& ns);

// Names of the networks in `ns`, sorted; empty when none (or when they cannot be listed).
std::vector<std::string> network_names(const kube::Client& client, const std::string& ns);

// "network \"x\" not found in namespace \"ns\"; ..." listing the networks that exist there.
std::string unknown_network_message(const std::string& name, const std::string& ns,
                                    const std::vector<std::string>& existing);

// Turns a failure of a request on network `name` in `ns` into a CommandError with the right
// sentence (CRD missing, unknown network, cluster unreachable, RBAC, ...). `what` names the operation.
[[noreturn]] void fail_network_request(const std::exception& e, const kube::Client& client, const std::string& ns,
                                       const std::string& name, const std::string& what);

// GET the network or fail with the sentences above.
boost::json::value get_network(const kube::Client& client, const std::string& ns, const std::string& name);

// The network's most recent Events (at most 10), oldest first; empty when they cannot be read
// (RBAC may hide them: they are context, not the answer).
std::vector<boost::json::value> network_events(const kube::Client& client, const std::string& ns,
                                               const std::string& name);
// The timestamp that says when an Event last happened, whichever API wrote it ("" when none).
std::string event_time(const boost::json::value& event);

// "" when `name` can name a network, else the reason. Looking one up accepts any Kubernetes name;
// `creating` also requires what the controller needs (a DNS label of at most 48 characters).
std::string network_name_problem(const std::string& name, bool creating = false);

// --- Pure summaries, exposed for tests ------------------------------------------------------

struct NetworkSummary {
  std::string namespace_name;
  std::string name;
  std::int64_t desired = 0;
  std::int64_t ready = 0;
  std::string height;  // "120", "118-120" or "-"
  std::string sync;    // "yes", "no" or "-"
  std::string peers;   // minimum over ready nodes, or "-"
  std::string age;
  std::string topology;
  std::string mining;  // "every 10s on node 0" or "off"
  std::string image;
  std::string ready_reason;   // reason of the Ready condition, or "-"
  bool is_ready = false;      // Ready condition True
  std::string ready_message;  // message of the Ready condition
};

NetworkSummary summarize_network(const boost::json::value& network, std::chrono::system_clock::time_point now);

// The table of networks (NAMESPACE column when `all_namespaces`; wide adds TOPOLOGY, MINING, STATUS, IMAGE).
std::string render_network_table(const std::vector<NetworkSummary>& networks, bool all_namespaces, bool wide);

// The per-network view: summary lines, per-node table, conditions, events.
std::string render_network_detail(const boost::json::value& network, const std::vector<boost::json::value>& events,
                                  std::chrono::system_clock::time_point now, bool wide);

// One line about the controller Deployment(s) found (objects of apps/v1 Deployment), with the
// leader's identity when known.
std::string render_controller_line(const std::vector<boost::json::value>& deployments, const std::string& leader);

// The tag of an image reference ("repo/x:1.2" -> "1.2", "x@sha256:..." -> the digest prefix, else "latest").
std::string image_tag(const std::string& image);

}  // namespace kb::cli
