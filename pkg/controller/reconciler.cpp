#include "pkg/controller/reconciler.hpp"

#include "pkg/api/group_version.hpp"
#include "pkg/api/naming.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/base/json_subset.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/controller/applied_fields.hpp"
#include "pkg/controller/counted_rpc.hpp"
#include "pkg/controller/desired_objects.hpp"
#include "pkg/controller/image_policy.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/node_args.hpp"
#include "pkg/controller/node_sync.hpp"
#include "pkg/controller/ownership.hpp"
#include "pkg/controller/partition_plan.hpp"
#include "pkg/controller/partition_policies.hpp"
#include "pkg/controller/partition_status.hpp"
#include "pkg/controller/peer_plan.hpp"
#include "pkg/controller/regtest_address.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/object_meta.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>

namespace kb::controller {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

kube::IndexFunc index_by_network() {
  return [](const json::value& object) -> std::vector<std::string> {
    auto ns = base::string_at(object, "metadata", "namespace");
    auto network = kube::label_of(object, api::kNetworkLabel);
    if (!ns || !network) return {};
    return {*ns + "/" + *network};
  };
}

namespace {

std::string sha256_hex(std::string_view data, std::size_t hex_chars) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  EVP_Digest(data.data(), data.size(), digest, &size, EVP_sha256(), nullptr);
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < size && out.size() < hex_chars; ++i) {
    out.push_back(digits[digest[i] >> 4]);
    out.push_back(digits[digest[i] & 15]);
  }
  return out.substr(0, hex_chars);
}

std::int64_t replicas_of(const json::value& sts) { return base::int_at(sts, "spec", "replicas").value_or(-1); }

// A short, stable description of an exception for status messages and logs (never credentials:
// neither the kube nor the bitcoin layer puts them in messages).
ReconcileProblem problem_from(const std::exception& e, std::string_view during) {
  std::string reason = "ReconcileError";
  if (kube::is_forbidden(e))
    reason = "Forbidden";
  else if (kube::is_invalid(e))
    reason = "InvalidObject";
  else if (kube::is_conflict(e))
    reason = "Conflict";
  else if (kube::is_transport_error(e))
    reason = "ApiServerUnreachable";
  else if (const auto* node = dynamic_cast<const bitcoin::RpcFailure*>(&e))
    reason = persistent_failure_reason(*node).value_or("NodeRpcError");
  return {reason, std::string(during) + ": " + e.what()};
}

}  // namespace

Reconciler::Reconciler(kube::Client client, ReconcilerCaches caches, RpcFactory rpc_factory,
                       kube::EventRecorder* events, observe::Logger& log, observe::MetricsRegistry& metrics,
                       ReconcilerSettings settings, const NetworkCredentials& credentials)
    : client_(std::move(client)),
      caches_(caches),
      credentials_(credentials),
      // Every call to a node is counted by method (counted_rpc.hpp).
      rpc_factory_([inner = std::move(rpc_factory), &metrics](const std::string& host, int port,
                                                              const RpcCredentials& node_credentials,
                                                              std::chrono::milliseconds call_timeout) {
        return std::make_unique<CountedRpcCaller>(inner(host, port, node_credentials, call_timeout), metrics);
      }),
      events_(events),
      log_(log),
      metrics_(metrics),
      settings_(std::move(settings)),
      chain_watch_(metrics, log, settings_.chains) {}

void Reconciler::count_write(std::string_view kind, std::string_view verb) {
  metrics_
      .counter("kubectl_bitcoin_controller_api_writes_total",
               "Write requests the controller sent to the API server, by kind and verb.",
               {{"kind", std::string(kind)}, {"verb", std::string(verb)}})
      .inc();
}

bool Reconciler::apply_if_changed(const kube::ResourceRef& ref, const kube::Store* cache, const json::value& desired,
                                  std::string_view what) {
  kube::ObjectPtr live = cache ? cache->get(ref.namespace_name, ref.name) : nullptr;
  auto differs_at = live ? applied_difference(desired, *live, api::kFieldManager) : std::string();
  if (live && differs_at.empty()) return false;
  client_.apply(ref, desired, {.field_manager = std::string(api::kFieldManager), .force = true});
  count_write(what, "apply");
  log_.info(
      live ? "updated object" : "created object",
      {{"kind", std::string(what)}, {"name", ref.name}, {"namespace", ref.namespace_name}, {"field", differs_at}});
  return !live;
}

kube::ObjectPtr Reconciler::observe_object(const kube::ResourceRef& ref, const kube::Store* cache) const {
  if (auto cached = cache ? cache->get(ref.namespace_name, ref.name) : nullptr) return cached;
  // The caches hold only labelled objects: a foreign object of that name is found by name.
  auto live = client_.get_if_exists(ref);
  return live ? std::make_shared<const json::value>(std::move(*live)) : nullptr;
}

bool Reconciler::apply_secret_if_changed(const kube::ResourceRef& ref, const std::optional<json::value>& live,
                                         const json::value& desired) {
  if (live && base::is_subset(desired, *live)) return false;
  client_.apply(ref, desired, {.field_manager = std::string(api::kFieldManager), .force = true});
  count_write("Secret", "apply");
  log_.info(live ? "updated object" : "created object",
            {{"kind", "Secret"}, {"name", ref.name}, {"namespace", ref.namespace_name}});
  return !live;
}

std::string created_event_note(const std::vector<std::string>& created) {
  std::string note = "Created";
  for (std::size_t i = 0; i < created.size(); ++i) note += (i == 0 ? " " : ", ") + created[i];
  return note;
}

bitcoin::RpcCaller& Reconciler::node_rpc(NetworkState& state, int ordinal, const std::string& ip,
                                         const RpcCredentials& creds) {
  auto& slot = state.nodes[ordinal];
  if (!slot.rpc || slot.ip != ip) {
    slot.ip = ip;
    slot.rpc = rpc_factory_(ip, api::kRpcPort, creds, settings_.node_call_timeout);
  }
  return *slot.rpc;
}

// --- One pass: what it works on and what it found --------------------------------------------

// The network being reconciled, with what stays fixed during the pass.
struct Reconciler::Pass {
  const std::string& key;
  const json::value& object;  // as the cache holds it (events refer to it)
  api::BitcoinNetwork network;
  NetworkState& state;
  // spec.args the controller refuses (the CRD refuses them too, but objects may predate its
  // rules): the StatefulSet is left as it is, and the Degraded condition names them.
  std::vector<RefusedArg> refused_args;
  kube::ResourceRef service, statefulset, network_policy, rpcauth_secret, generated_secret;
  // spec.partitions as in force during this pass (decided once, at its start).
  PartitionState partition;
};

// What the pass found, for the status and the requeue decision.
struct Reconciler::Outcome {
  std::optional<ReconcileProblem> problem;
  std::exception_ptr failure;       // rethrown after the status is written: the work queue backs off
  std::optional<ChainLook> chains;  // what look_at_chains found
  // Refused for a reason only a spec or cluster change can fix: no writes, no back-off.
  bool refused = false;
  bool gone = false;  // deleted on the server, the cache does not know yet: nothing to do
  std::vector<json::value> pods;
  std::map<int, NodeObservation> observations;
  std::map<int, NodeFailure> node_failures;  // ready pods whose RPC failed
  bool all_ready = false;
  // "Kind name" of each object this pass created, in order: one Created event names them all
  // (an Event per object was five more writes per new network, competing with the objects').
  std::vector<std::string> created;
  bool peers_changed = false;  // addnode/disconnectnode calls changed some node's peers
  bool redialled = false;      // some planned edge was added but not connected: dialled again
};

struct Reconciler::TrustCheck {
  std::optional<ReconcileProblem> refusal;
  bool network_gone = false;                                // the cached network is deleted (or replaced) on the server
  std::optional<json::value> live_rpcauth, live_generated;  // Secrets are not cached: read by GET
};

struct Reconciler::ResolvedCredentials {
  std::optional<RpcCredentials> credentials;  // empty: `problem` says why, and the pass fails
  ReconcileProblem problem;
  std::string fingerprint;  // of the rpcauth line: pods and connections change with it
};

struct Reconciler::NodePods {
  std::map<int, std::string> current_addresses;  // every running pod of the network, by ordinal
  std::map<int, std::string> ready_addresses;
  std::map<int, std::string> ready_ips;
  std::map<int, std::string> answering;  // ready and answering RPC: only these are peers
};

// --- The steps ------------------------------------------------------------------------------

// 1. What this network may make the controller do: its image, and only objects it owns.
Reconciler::TrustCheck Reconciler::check_trust(const Pass& pass) {
  TrustCheck trust;
  const auto& network = pass.network;
  if (!image_allowed(settings_.images, network.spec.image)) {
    trust.refusal =
        ReconcileProblem{"ImageNotAllowed", image_not_allowed_message(settings_.images, network.spec.image)};
    return trust;
  }
  trust.live_rpcauth = client_.get_if_exists(pass.rpcauth_secret);
  if (network.spec.secret.empty()) trust.live_generated = client_.get_if_exists(pass.generated_secret);
  auto live_svc = observe_object(pass.service, caches_.services);
  auto live_sts = observe_object(pass.statefulset, caches_.statefulsets);
  auto live_policy = settings_.network_policy ? observe_object(pass.network_policy, caches_.network_policies) : nullptr;
  std::vector<ObservedObject> observed{
      {"Service", pass.service.name, live_svc.get()},
      {"StatefulSet", pass.statefulset.name, live_sts.get()},
      {"Secret", pass.rpcauth_secret.name, trust.live_rpcauth ? &*trust.live_rpcauth : nullptr},
      {"Secret", pass.generated_secret.name, trust.live_generated ? &*trust.live_generated : nullptr},
      {"NetworkPolicy", pass.network_policy.name, live_policy.get()},
  };
  if (auto conflict = find_ownership_conflict(network.namespace_name, network.uid, observed)) {
    trust.refusal = ReconcileProblem{"Conflict", conflict->message};
    return trust;
  }
  // Something is to be created. The caches are not in step with each other: when a network is
  // deleted, the garbage collector's deletes of its objects may arrive before the network's own
  // delete, and would have us create them all again for a network that is gone (the collector
  // then deletes them once more). The network's live copy settles it, at one read per creation:
  // a consistent list by name, which the controller's list permission covers (it has no get).
  bool creates = !live_svc || !live_sts || !trust.live_rpcauth || (settings_.network_policy && !live_policy) ||
                 (network.spec.secret.empty() && !trust.live_generated);
  if (creates) {
    auto networks =
        kube::ResourceRef::of(std::string(api::kGroup), std::string(api::kVersion), std::string(api::kPlural))
            .in(network.namespace_name);
    auto live = client_.list(networks, {.field_selector = "metadata.name=" + network.name}).items;
    trust.network_gone = live.empty() || base::string_at(live.front(), "metadata", "uid").value_or("") != network.uid ||
                         base::string_at(live.front(), "metadata", "deletionTimestamp").has_value();
  }
  return trust;
}

// 2. Credentials: derived, or the user's Secret if it opts in to this network. Until then nothing
//    after this step runs, so that Secret's password goes nowhere. The rpcauth Secret is
//    deterministic, so its line (and the pods) change only with the credentials.
Reconciler::ResolvedCredentials Reconciler::resolve_credentials(Pass& pass, const TrustCheck& trust, Outcome& outcome) {
  ResolvedCredentials out;
  auto resolved = credentials_.refresh(pass.network);
  if (!resolved.credentials) {
    out.problem = ReconcileProblem{resolved.reason, resolved.message};
    return out;
  }
  const auto& creds = *resolved.credentials;
  if (pass.network.spec.secret.empty() &&
      apply_secret_if_changed(pass.generated_secret, trust.live_generated,
                              desired_generated_secret(pass.network, creds.user, creds.password))) {
    outcome.created.push_back("Secret " + pass.generated_secret.name);
  }
  auto line = rpcauth_line(creds, derived_rpcauth_salt(credentials_.key(), pass.network));
  if (apply_secret_if_changed(pass.rpcauth_secret, trust.live_rpcauth, desired_rpcauth_secret(pass.network, line))) {
    outcome.created.push_back("Secret " + pass.rpcauth_secret.name);
  }
  out.fingerprint = sha256_hex(line, 16);
  if (pass.state.credentials_fingerprint != out.fingerprint) {
    pass.state.nodes.clear();  // new credentials: reconnect
    pass.state.credentials_fingerprint = out.fingerprint;
  }
  out.credentials = std::move(resolved.credentials);
  return out;
}

// 3. Service, StatefulSet (not while spec.args are refused), NetworkPolicy.
void Reconciler::apply_objects(const Pass& pass, const std::string& fingerprint, Outcome& outcome) {
  const auto& network = pass.network;
  auto apply = [&](const kube::ResourceRef& ref, const kube::Store* cache, const json::value& desired,
                   std::string_view what) {
    if (apply_if_changed(ref, cache, desired, what)) outcome.created.push_back(std::string(what) + " " + ref.name);
  };
  apply(pass.service, caches_.services, desired_service(network), "Service");
  if (pass.refused_args.empty()) {
    auto live_sts = caches_.statefulsets->get(pass.statefulset.namespace_name, pass.statefulset.name);
    if (live_sts && replicas_of(*live_sts) >= 0 && replicas_of(*live_sts) != network.spec.nodes && events_) {
      events_->record(pass.object, kube::EventKind::Normal, "Scaling", "Scale",
                      "Adjusting number of nodes from " + std::to_string(replicas_of(*live_sts)) + " to " +
                          std::to_string(network.spec.nodes));
    }
    apply(pass.statefulset, caches_.statefulsets, desired_statefulset(network, fingerprint), "StatefulSet");
  }
  if (settings_.network_policy) apply_network_policies(pass, outcome);
}

// 3b. `<name>-peers`, and while a partition is in force one policy per group (partition_policies.hpp).
//     Ordered so that no step admits cross-group P2P: when partitioning the groups' policies come
//     first, then `<name>-peers` drops its P2P rule; when healing `<name>-peers` admits P2P again
//     first, then the groups' policies are deleted.
void Reconciler::apply_network_policies(const Pass& pass, Outcome& outcome) {
  const auto& network = pass.network;
  const bool partitioned = pass.partition.in_force();
  auto apply_main = [&] {
    if (apply_if_changed(pass.network_policy, caches_.network_policies,
                         desired_network_policy(network, settings_.controller_namespace, partitioned),
                         "NetworkPolicy")) {
      outcome.created.push_back("NetworkPolicy " + pass.network_policy.name);
    }
  };
  auto groups = desired_partition_policies(network, pass.partition.groups);
  if (!partitioned) apply_main();
  for (const auto& group : groups) {
    auto ref = kube::refs::network_policies(network.namespace_name, group.name);
    auto live = observe_object(ref, caches_.network_policies);
    if (auto conflict =
            find_ownership_conflict(network.namespace_name, network.uid, {{"NetworkPolicy", group.name, live.get()}})) {
      throw std::runtime_error(conflict->message);
    }
    if (apply_if_changed(ref, caches_.network_policies, group.object, "NetworkPolicy")) {
      outcome.created.push_back("NetworkPolicy " + group.name);
    }
  }
  if (partitioned) apply_main();
  auto cached = caches_.network_policies->list_namespace(network.namespace_name);
  std::vector<const json::value*> live;
  for (const auto& policy : cached) live.push_back(policy.get());
  for (const auto& name : stale_partition_policies(network, live, groups)) {
    require_term("deleting the partition's NetworkPolicy " + name);
    try {
      client_.remove(kube::refs::network_policies(network.namespace_name, name));
      count_write("NetworkPolicy", "delete");
      log_.info("deleted object", {{"kind", "NetworkPolicy"}, {"name", name}, {"namespace", network.namespace_name}});
    } catch (const std::exception& e) {
      if (!kube::is_not_found(e)) throw;
    }
  }
}

// 4a. The network's pods from the cache: which ordinals run, and which are ready.
Reconciler::NodePods Reconciler::find_node_pods(Pass& pass, Outcome& outcome) const {
  NodePods nodes;
  for (const auto& pod : caches_.pods->by_index(kPodsByNetworkIndex, pass.key)) outcome.pods.push_back(*pod);
  for (const auto& pod : outcome.pods) {
    int ordinal = api::ordinal_of_pod(pass.network.name, kube::name_of(pod));
    auto ip = pod_ip(pod);
    if (ordinal < 0 || ordinal >= pass.network.spec.nodes || ip.empty() || pod_is_terminating(pod)) continue;
    auto address = peer_address(ip, api::kP2pPort);
    nodes.current_addresses[ordinal] = address;
    if (pod_is_ready(pod)) {
      nodes.ready_addresses[ordinal] = address;
      nodes.ready_ips[ordinal] = ip;
    }
  }
  // Forget connections to nodes that are gone (keeps the pool bounded by spec.nodes).
  std::erase_if(pass.state.nodes, [&](const auto& entry) { return !nodes.ready_ips.contains(entry.first); });
  return nodes;
}

// 4b. Ask every ready node how it is. Only nodes that answer are peers: a pod can be Ready (port
//     open) while bitcoind warms up, or stopped (the kernel still accepts). Each failure becomes
//     the node's reason in the status; returns the first that degrades the network (an answer
//     not as bitcoind's, or none within the deadline).
std::optional<ReconcileProblem> Reconciler::observe_nodes(Pass& pass, const RpcCredentials& creds, const NodePods& pods,
                                                          Outcome& outcome) {
  std::optional<ReconcileProblem> problem;
  std::erase_if(pass.state.not_responding, [&](const auto& entry) {
    auto ip = pods.ready_ips.find(entry.first);
    return ip == pods.ready_ips.end() || ip->second != entry.second.first;  // replaced or gone
  });
  for (const auto& [ordinal, ip] : pods.ready_ips) {
    auto suspect = pass.state.not_responding.find(ordinal);
    const bool known_hung = suspect != pass.state.not_responding.end();
    // A node that answered the last time it was asked keeps its connection (and the full deadline).
    // One never heard from at this IP gets the short deadline, as a hung one does: a starting
    // bitcoind answers at once (or refuses), so the full deadline would only let a pod that never
    // answers hold a worker for it.
    auto connection = pass.state.nodes.find(ordinal);
    const bool answered_before = connection != pass.state.nodes.end() && connection->second.ip == ip;
    try {
      if (answered_before && !known_hung) {
        outcome.observations[ordinal] = observe_node(node_rpc(pass.state, ordinal, ip, creds));
      } else {
        // A fresh connection: the old one may still wait for the answer to a call that timed out.
        auto probe = rpc_factory_(ip, api::kRpcPort, creds, settings_.probe_call_timeout);
        outcome.observations[ordinal] = observe_node(*probe);
        if (known_hung) {
          pass.state.not_responding.erase(suspect);
          log_.info("node answers again", {{"network", pass.key}, {"ordinal", std::to_string(ordinal)}});
        }
      }
    } catch (const bitcoin::RpcFailure& e) {
      pass.state.nodes.erase(ordinal);
      auto failure = node_failure(e);
      if (failure.reason != kNodeNotResponding) {
        if (known_hung) pass.state.not_responding.erase(suspect);
      } else if (known_hung) {
        failure = suspect->second.second;  // still the diagnosis of the full deadline
      } else {
        pass.state.not_responding[ordinal] = {ip, failure};
      }
      outcome.node_failures[ordinal] = failure;
      if (failure.degrades && !problem) {
        problem = ReconcileProblem{failure.reason, "node " + std::to_string(ordinal) + ": " + failure.message};
      }
      // Once per diagnosis, not at every probe of a node known to be hung.
      std::initializer_list<observe::LogField> fields{
          {"network", pass.key}, {"ordinal", std::to_string(ordinal)}, {"reason", failure.reason}, {"error", e.what()}};
      if (failure.degrades && !known_hung) {
        log_.warn("node failing", fields);
      } else {
        log_.debug("node not answering", fields);
      }
    }
  }
  return problem;
}

// 5. Move each answering node's added-node list to the topology's plan. Returns the last node
//    whose peers could not be changed.
std::optional<ReconcileProblem> Reconciler::sync_peers(Pass& pass, const RpcCredentials& creds, const NodePods& pods,
                                                       Outcome& outcome) {
  std::optional<ReconcileProblem> problem;
  const auto& partition = pass.partition;
  auto edges = topology_edges(pass.network.spec);
  if (partition.in_force()) edges = partition_edges(edges, partition.groups);
  auto dials = dial_plan(pass.network.spec.nodes, edges);
  // Ban lists are asked for while a partition is in force and until a healed pass found them clean.
  const bool check_bans = partition.in_force() || !pass.state.bans_settled;
  bool bans_clean = static_cast<int>(pods.answering.size()) == pass.network.spec.nodes;
  int peer_changes = 0;
  std::set<int> failed;
  auto on_node = [&](int ordinal, const auto& step) {
    if (failed.contains(ordinal)) return;
    try {
      step(node_rpc(pass.state, ordinal, pods.ready_ips.at(ordinal), creds));
    } catch (const bitcoin::RpcFailure& e) {
      problem = persistent_node_problem(ordinal, e)
                    .value_or(ReconcileProblem{"PeerSyncFailed", "node " + std::to_string(ordinal) + ": " + e.what()});
      pass.state.nodes.erase(ordinal);
      failed.insert(ordinal);
      bans_clean = false;
    }
  };
  auto bans_step = [&](int ordinal) {
    return [&, ordinal](bitcoin::RpcCaller& rpc) {
      const int changed = sync_bans(pass, ordinal, rpc, pods);
      peer_changes += changed;
      if (changed > 0 && !partition.in_force()) bans_clean = false;
    };
  };
  // Healing: every node lifts its bans before any dials, or a node's immediate `onetry` would meet
  // a peer that still refuses it, and bitcoind retries an added node only a minute later.
  if (check_bans && !partition.in_force()) {
    for (const auto& [ordinal, address] : pods.answering) on_node(ordinal, bans_step(ordinal));
  }
  for (const auto& entry : pods.answering) {
    const int ordinal = entry.first;  // a named copy: clang 14 cannot capture a structured binding
    on_node(ordinal, [&, ordinal](bitcoin::RpcCaller& rpc) {
      auto changes = plan_peer_changes(ordinal, dials, pods.answering, pods.current_addresses, added_nodes(rpc));
      if (!changes.empty() || !changes.redial.empty()) {
        require_term("changing the peers of node " + std::to_string(ordinal));
      }
      auto applied = apply_peer_changes(rpc, changes);
      peer_changes += static_cast<int>(applied.add.size() + applied.remove.size());
      if (!changes.redial.empty()) outcome.redialled = true;
      for (const auto& r : applied.redial) {
        log_.debug("redialled peer", {{"network", pass.key}, {"ordinal", std::to_string(ordinal)}, {"peer", r}});
      }
      for (const auto& a : applied.add) {
        log_.info("added peer", {{"network", pass.key}, {"ordinal", std::to_string(ordinal)}, {"peer", a}});
      }
      for (const auto& r : applied.remove) {
        log_.info("removed peer", {{"network", pass.key}, {"ordinal", std::to_string(ordinal)}, {"peer", r}});
      }
    });
    // Partitioning: the node's cross-group entries went first (bitcoind dials an added node even
    // when it is banned), then its bans.
    if (check_bans && partition.in_force()) on_node(ordinal, bans_step(ordinal));
  }
  if (check_bans && !partition.in_force() && bans_clean) {
    pass.state.bans_settled = true;
    pass.state.banned_hosts.clear();  // lifted on every node
  }
  if (partition.in_force()) pass.state.bans_settled = false;
  if (peer_changes == 0) return problem;
  outcome.peers_changed = true;
  if (events_) {
    events_->record(pass.object, kube::EventKind::Normal, "PeersUpdated", "ConnectPeers",
                    "Updated " + std::to_string(peer_changes) + " peer connection(s) for the " +
                        std::string(to_string(pass.network.spec.topology)) + " topology" +
                        (partition.in_force() ? " split into " + api::describe_groups(partition.groups) : ""));
  }
  // The status of this pass still shows the peers from before: addnode returns before bitcoind
  // has dialled, so asking every node again now would mostly see the same. next_requeue looks
  // again after not_ready_poll instead.
  return problem;
}

// 5b. One node's ban list to the partition (see plan_bans). The hosts it answers for are the
//     network's pods now and every host it banned before.
int Reconciler::sync_bans(Pass& pass, int ordinal, bitcoin::RpcCaller& rpc, const NodePods& pods) {
  std::set<std::string> owned = pass.state.banned_hosts;
  for (const auto& [peer, address] : pods.current_addresses) owned.insert(peer_host(address));
  auto changes = plan_bans(ordinal, pass.partition.groups, pods.current_addresses, owned, listed_bans(rpc));
  if (changes.empty()) return 0;
  require_term("changing the bans of node " + std::to_string(ordinal));
  auto applied = apply_ban_changes(rpc, changes);
  for (const auto& host : applied.add) {
    pass.state.banned_hosts.insert(host);
    log_.info("banned peer", {{"network", pass.key}, {"ordinal", std::to_string(ordinal)}, {"peer", host}});
  }
  for (const auto& host : applied.remove) {
    log_.info("lifted ban", {{"network", pass.key}, {"ordinal", std::to_string(ordinal)}, {"peer", host}});
  }
  return static_cast<int>(applied.add.size() + applied.remove.size());
}

// An Event when a partition comes into force, changes or ends (by the spec or by its duration).
void Reconciler::record_partition_events(const Pass& pass) {
  if (!events_) return;
  auto before = groups_in_status(pass.network.status);
  const auto& now = pass.partition;
  if (now.in_force() && before != now.groups) {
    events_->record(pass.object, kube::EventKind::Normal, "PartitionApplied", "Partition",
                    "Partitioned into " + api::describe_groups(now.groups) +
                        (before.empty() ? std::string() : " (was " + api::describe_groups(before) + ")"));
  } else if (!now.in_force() && !before.empty()) {
    events_->record(
        pass.object, kube::EventKind::Normal, "PartitionHealed", "Heal",
        "Healed the partition " + api::describe_groups(before) +
            (now.reason == kPartitionExpired    ? " (its duration passed)"
             : now.reason == kPartitionsInvalid ? " (spec.partitions is invalid: see the Degraded condition)"
                                                : " (spec.partitions was cleared)"));
  }
}

// 6. A block on the mining node when one is due. RPC errors other than an old node's missing
//    method fail the pass.
void Reconciler::mine(Pass& pass, const RpcCredentials& creds, const NodePods& pods, Outcome& outcome) {
  const auto& mining = pass.network.spec.mining;
  if (!mining.enabled || !pods.answering.contains(mining.node) || Clock::now() < pass.state.next_block) return;
  auto address = mining.address.empty() ? derived_regtest_address(pass.network.uid) : mining.address;
  auto& rpc = node_rpc(pass.state, mining.node, pods.ready_ips.at(mining.node), creds);
  require_term("mining a block on node " + std::to_string(mining.node));
  try {
    rpc.call("generatetoaddress", json::array{1, json::string(address)});
  } catch (const bitcoin::RpcError& e) {
    if (e.code() != bitcoin::rpc_code::kMethodNotFound) throw;
    rpc.call("generate", json::array{1});  // nodes that predate generatetoaddress
  }
  metrics_.counter("kubectl_bitcoin_blocks_mined_total", "Blocks the controller mined.").inc();
  pass.state.next_block = Clock::now() + std::chrono::seconds(mining.interval_seconds);
  outcome.observations[mining.node] = observe_node(rpc);
}

// 7. The chains the answers describe: forks, reorgs, node metrics (chain_watch.hpp). Only nodes
//    that answered in this pass are asked more.
void Reconciler::look_at_chains(Pass& pass, const RpcCredentials& creds, const NodePods& pods, Outcome& outcome) {
  auto node = [&](int ordinal) -> bitcoin::RpcCaller* {
    if (!outcome.observations.contains(ordinal)) return nullptr;
    auto ip = pods.ready_ips.find(ordinal);
    return ip == pods.ready_ips.end() ? nullptr : &node_rpc(pass.state, ordinal, ip->second, creds);
  };
  outcome.chains = chain_watch_.look(pass.state.chains, pass.network, outcome.observations, node, Clock::now());
}

// One Normal event per reorg, after the status that shows the new tip is written (chain_watch.hpp).
void Reconciler::record_reorgs(const Pass& pass, const Outcome& outcome) {
  if (!outcome.chains) return;
  for (const auto& [ordinal, reorg] : outcome.chains->reorgs) {
    auto message = reorg_message(ordinal, reorg);
    log_.info("node reorganised its chain", {{"network", pass.key}, {"event", message}});
    if (events_) events_->record(pass.object, kube::EventKind::Normal, "Reorg", "FollowChain", message);
  }
}

void Reconciler::forget(const std::string& key) {
  std::lock_guard lock(states_mutex_);
  states_.erase(key);
  auto slash = key.find('/');
  if (slash != std::string::npos) chain_watch_.forget(key.substr(0, slash), key.substr(slash + 1));
}

void Reconciler::require_term(const std::string& what) const {
  if (settings_.write_fence && !settings_.write_fence->remaining())
    throw kube::FenceClosedError(what + " refused: this replica is not the leader (its term ended)");
}

// Steps 1-6 in order. A refusal or a failure ends the pass early; exceptions (API or node errors
// nothing above expected) become the Degraded reason and the failure.
void Reconciler::run_steps(Pass& pass, Outcome& outcome) {
  try {
    auto trust = check_trust(pass);
    if (trust.network_gone) {
      outcome.gone = true;
      return;
    }
    if (trust.refusal) {
      outcome.problem = std::move(trust.refusal);
      outcome.refused = true;
      return;
    }
    auto resolved = resolve_credentials(pass, trust, outcome);
    if (!resolved.credentials) {
      outcome.problem = resolved.problem;
      outcome.failure = std::make_exception_ptr(std::runtime_error(resolved.problem.message));
      return;
    }
    const auto& creds = *resolved.credentials;
    apply_objects(pass, resolved.fingerprint, outcome);
    auto pods = find_node_pods(pass, outcome);
    outcome.problem = observe_nodes(pass, creds, pods, outcome);
    for (const auto& [ordinal, observation] : outcome.observations) {
      pods.answering[ordinal] = pods.ready_addresses[ordinal];
    }
    if (auto peer_problem = sync_peers(pass, creds, pods, outcome)) outcome.problem = std::move(peer_problem);
    mine(pass, creds, pods, outcome);
    look_at_chains(pass, creds, pods, outcome);
    outcome.all_ready = static_cast<int>(pods.answering.size()) == pass.network.spec.nodes;
  } catch (const std::exception& e) {
    if (!outcome.problem) outcome.problem = problem_from(e, "reconcile");
    outcome.failure = std::current_exception();
  }
}

// 8. The status, written only when it changed. Returns whether it changed.
bool Reconciler::write_status(const Pass& pass, Outcome& outcome) {
  auto now = base::format_time(std::chrono::system_clock::now());
  auto status = compute_status(
      StatusInputs{&pass.network, outcome.pods, outcome.observations, outcome.problem, now, outcome.node_failures,
                   outcome.chains ? std::optional(outcome.chains->report) : std::nullopt, &pass.partition});
  if (status == pass.network.status) return false;
  if (!pass.refused_args.empty() && !outcome.failure) record_warning(pass.object, *outcome.problem);
  // A merge patch keeps the fields it does not name: one that went away is named with null.
  auto patch = status;
  if (base::json_at(pass.network.status, "partition") && !status.as_object().contains("partition")) {
    patch.as_object()["partition"] = nullptr;
  }
  try {
    client_.patch(kube::ResourceRef::of(std::string(api::kGroup), std::string(api::kVersion), std::string(api::kPlural))
                      .in(pass.network.namespace_name)
                      .named(pass.network.name)
                      .sub("status"),
                  kube::PatchType::Merge, json::object{{"status", std::move(patch)}},
                  {.field_manager = std::string(api::kFieldManager)});
    count_write("BitcoinNetwork", "patch-status");
  } catch (const std::exception& e) {
    if (!kube::is_not_found(e) && !outcome.failure) outcome.failure = std::current_exception();
  }
  return true;
}

// Warning events for what went wrong; a failure is rethrown here, after the status.
void Reconciler::report(const Pass& pass, const Outcome& outcome, bool status_changed) {
  if (outcome.failure) {
    if (outcome.problem) record_warning(pass.object, *outcome.problem);
    std::rethrow_exception(outcome.failure);
  }
  if (outcome.refused && status_changed) record_warning(pass.object, *outcome.problem);
}

// 9. When to look again.
Requeue Reconciler::next_requeue(const Pass& pass, const Outcome& outcome) const {
  // A refused network waits for nothing the controller watches (a foreign object, the operator's
  // image list): look again at the resync period, without back-off.
  if (outcome.refused) return Requeue::after(settings_.resync);
  auto next = settings_.resync;
  // Refused arguments wait for a spec change (which triggers a reconcile), not for a poll.
  auto& state = pass.state;  // this network's: one worker at a time
  // A pod is Ready (its port is open, and its events wake us) seconds before its bitcoind has
  // loaded and answers RPC, which no event tells us: the pod events of a start-up would use up
  // the back-off (2, 4, 8, 16 s) and leave loaded nodes unconnected for up to resync. A node that
  // answers "warming up" is alive and nearly there, and a node that answers is progress: both
  // keep the polls short. The back-off is for nodes that stay silent.
  const bool progress = outcome.observations.size() > state.answering;
  state.answering = outcome.observations.size();
  const bool warming = std::ranges::any_of(outcome.node_failures,
                                           [](const auto& failure) { return failure.second.reason == kWarmingUp; });
  if (pass.refused_args.empty() && (!outcome.all_ready || outcome.problem)) {
    if (state.unready_generation != pass.network.generation || progress || warming) state.unready_polls = 0;
    state.unready_generation = pass.network.generation;
    next =
        std::min(settings_.resync, settings_.not_ready_poll * (std::int64_t{1} << std::min(state.unready_polls, 16)));
    ++state.unready_polls;
  } else {
    state.unready_polls = 0;
  }
  // addnode returns before bitcoind has dialled, so this pass's status may not show the new
  // connections yet: look again soon rather than a resync later.
  if (outcome.peers_changed) next = std::min(next, settings_.not_ready_poll);
  // An edge that stays unconnected after its redial (a peer that refuses, a network that drops the
  // SYN) is looked at again soon, then less often: not_ready_poll doubling up to 16 times it.
  if (outcome.redialled) {
    next = std::min(next, settings_.not_ready_poll * (std::int64_t{1} << std::min(state.redial_polls, 4)));
    ++state.redial_polls;
  } else {
    state.redial_polls = 0;
  }
  // A partition with a duration ends without any event to wake us.
  if (pass.partition.until) {
    auto until_end =
        std::chrono::duration_cast<std::chrono::milliseconds>(*pass.partition.until - std::chrono::system_clock::now());
    next = std::min(next, std::max(until_end, std::chrono::milliseconds(100)));
  }
  // Tips differ: look again when the Forked grace ends.
  if (outcome.chains && outcome.chains->recheck_in) next = std::min(next, *outcome.chains->recheck_in);
  if (pass.network.spec.mining.enabled) {
    auto until_block = std::chrono::duration_cast<std::chrono::milliseconds>(pass.state.next_block - Clock::now());
    next = std::min(next, std::max(until_block, std::chrono::milliseconds(100)));
  }
  return Requeue::after(next);
}

// --- The pass ---------------------------------------------------------------------------------

std::shared_ptr<Reconciler::NetworkState> Reconciler::state_for(const std::string& key) {
  std::lock_guard lock(states_mutex_);
  auto& slot = states_[key];
  if (!slot) slot = std::make_shared<NetworkState>();
  return slot;
}

std::optional<api::BitcoinNetwork> Reconciler::read_network(const std::string& key, const json::value& object) {
  try {
    return api::parse_network(object);
  } catch (const api::NetworkSpecError& e) {
    log_.error("network has an invalid spec", {{"network", key}, {"error", e.what()}});
    if (events_) events_->record(object, kube::EventKind::Warning, "InvalidSpec", "Reconcile", e.what());
    return std::nullopt;
  }
}

void Reconciler::record_warning(const json::value& network_object, const ReconcileProblem& problem) {
  if (events_) events_->record(network_object, kube::EventKind::Warning, problem.reason, "Reconcile", problem.message);
}

Requeue Reconciler::reconcile(const std::string& key) {
  auto object = caches_.networks->get(key);
  if (!object) {
    // Deleted: the garbage collector removes what we created (owner references); drop our state.
    forget(key);
    return Requeue::await_change();
  }
  auto network = read_network(key, *object);
  if (!network) return Requeue::await_change();  // a spec change will bring it back
  auto state = state_for(key);
  const auto& ns = network->namespace_name;
  const auto& name = network->name;
  Pass pass{key,
            *object,
            *network,
            *state,
            refused_args(network->spec.args),
            kube::refs::services(ns, api::service_name(name)),
            kube::refs::stateful_sets(ns, api::statefulset_name(name)),
            kube::refs::network_policies(ns, api::network_policy_name(name)),
            kube::refs::secrets(ns, api::rpcauth_secret_name(name)),
            kube::refs::secrets(ns, api::generated_secret_name(name)),
            decide_partition(*network, std::chrono::system_clock::now(), settings_.network_policy)};
  Outcome outcome;
  run_steps(pass, outcome);
  if (outcome.gone) {
    log_.debug("network deleted on the server; its delete event is on the way", {{"network", key}});
    forget(key);
    return Requeue::await_change();
  }
  // The user's to fix, and until then nothing else the status could say matters as much.
  if (!pass.refused_args.empty()) outcome.problem = ReconcileProblem{"ArgsRefused", describe(pass.refused_args)};
  // Partitions the API server would refuse today (an object from before the rules): not applied.
  if (pass.partition.reason == kPartitionsInvalid && !outcome.problem) {
    outcome.problem = ReconcileProblem{std::string(kPartitionsInvalid), pass.partition.message};
  }
  // What the pass created, failed or not (a failure after the Service still created the Service).
  if (!outcome.created.empty() && events_) {
    events_->record(pass.object, kube::EventKind::Normal, "Created", "Create", created_event_note(outcome.created));
  }
  bool status_changed = write_status(pass, outcome);
  if (status_changed && !outcome.failure) record_partition_events(pass);
  record_reorgs(pass, outcome);
  report(pass, outcome, status_changed);
  return next_requeue(pass, outcome);
}

}  // namespace kb::controller
