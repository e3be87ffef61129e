#include "pkg/controller/reconciler.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/base/json_subset.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/controller/desired_objects.hpp"
#include "pkg/controller/image_policy.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/node_args.hpp"
#include "pkg/controller/node_sync.hpp"
#include "pkg/controller/ownership.hpp"
#include "pkg/controller/peer_plan.hpp"
#include "pkg/controller/regtest_address.hpp"
#include "pkg/kube/errors.hpp"

#include <openssl/evp.h>

#include <boost/json.hpp>

#include <algorithm>

namespace kb::controller {
namespace json = boost::json;
using Clock = std::chrono::steady_clock;

kube::IndexFunc index_by_network() {
  return [](const json::value& object) -> std::vector<std::string> {
    const auto* meta = object.as_object().if_contains("metadata");
    if (!meta || !meta->is_object()) return {};
    const auto* labels = meta->as_object().if_contains("labels");
    const auto* ns = meta->as_object().if_contains("namespace");
    if (!labels || !labels->is_object() || !ns || !ns->is_string()) return {};
    const auto* network = labels->as_object().if_contains(api::kNetworkLabel);
    if (!network || !network->is_string()) return {};
    return {std::string(ns->as_string()) + "/" + std::string(network->as_string())};
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

std::string name_of(const json::value& object) {
  const auto* meta = object.as_object().if_contains("metadata");
  const auto* name = meta && meta->is_object() ? meta->as_object().if_contains("name") : nullptr;
  return name && name->is_string() ? std::string(name->as_string()) : std::string();
}

std::int64_t replicas_of(const json::value& sts) {
  const auto* spec = sts.as_object().if_contains("spec");
  const auto* replicas = spec && spec->is_object() ? spec->as_object().if_contains("replicas") : nullptr;
  return replicas && replicas->is_int64() ? replicas->as_int64() : -1;
}

// Thrown inside reconcile() to skip to the status when the network is refused (see `blocked`).
struct Blocked {};

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
      rpc_factory_(std::move(rpc_factory)),
      events_(events),
      log_(log),
      metrics_(metrics),
      settings_(std::move(settings)) {}

void Reconciler::count_write(std::string_view kind, std::string_view verb) {
  metrics_
      .counter("kubectl_bitcoin_controller_api_writes_total",
               "Write requests the controller sent to the API server, by kind and verb.",
               {{"kind", std::string(kind)}, {"verb", std::string(verb)}})
      .inc();
}

void Reconciler::apply_if_changed(const kube::ResourceRef& ref, const kube::Store* cache, const json::value& desired,
                                  const json::value& network_object, std::string_view what) {
  kube::ObjectPtr live = cache ? cache->get(ref.namespace_name, ref.name) : nullptr;
  if (live && base::is_subset(desired, *live)) return;
  client_.apply(ref, desired, {.field_manager = std::string(api::kFieldManager), .force = true});
  count_write(what, "apply");
  if (!live && events_) {
    events_->record(network_object, kube::EventKind::Normal, "Created", "Create",
                    "Created " + std::string(what) + " " + ref.name);
  }
  log_.info(live ? "updated object" : "created object",
            {{"kind", std::string(what)}, {"name", ref.name}, {"namespace", ref.namespace_name}});
}

kube::ObjectPtr Reconciler::observe_object(const kube::ResourceRef& ref, const kube::Store* cache) const {
  if (auto cached = cache ? cache->get(ref.namespace_name, ref.name) : nullptr) return cached;
  // The caches hold only labelled objects: a foreign object of that name is found by name.
  auto live = client_.get_if_exists(ref);
  return live ? std::make_shared<const json::value>(std::move(*live)) : nullptr;
}

void Reconciler::apply_secret_if_changed(const kube::ResourceRef& ref, const std::optional<json::value>& live,
                                         const json::value& desired, const json::value& network_object) {
  if (live && base::is_subset(desired, *live)) return;
  client_.apply(ref, desired, {.field_manager = std::string(api::kFieldManager), .force = true});
  count_write("Secret", "apply");
  if (!live && events_) {
    events_->record(network_object, kube::EventKind::Normal, "Created", "Create", "Created Secret " + ref.name);
  }
  log_.info(live ? "updated object" : "created object",
            {{"kind", "Secret"}, {"name", ref.name}, {"namespace", ref.namespace_name}});
}

bitcoin::RpcCaller& Reconciler::node_rpc(NetworkState& state, int ordinal, const std::string& ip,
                                         const RpcCredentials& creds) {
  auto& slot = state.nodes[ordinal];
  if (!slot.rpc || slot.ip != ip) {
    slot.ip = ip;
    slot.rpc = rpc_factory_(ip, api::kRpcPort, creds);
  }
  return *slot.rpc;
}

std::chrono::milliseconds Reconciler::reconcile(const std::string& key) {
  auto object = caches_.networks->get(key);
  if (!object) {
    // Deleted: the garbage collector removes what we created (owner references); drop our state.
    std::lock_guard lock(states_mutex_);
    states_.erase(key);
    return std::chrono::milliseconds::zero();
  }
  const json::value& network_object = *object;
  api::BitcoinNetwork network;
  try {
    network = api::parse_network(network_object);
  } catch (const api::NetworkSpecError& e) {
    log_.error("network has an invalid spec", {{"network", key}, {"error", e.what()}});
    if (events_) events_->record(network_object, kube::EventKind::Warning, "InvalidSpec", "Reconcile", e.what());
    return std::chrono::milliseconds::zero();  // a spec change will bring it back
  }
  std::shared_ptr<NetworkState> state;
  {
    std::lock_guard lock(states_mutex_);
    auto& slot = states_[key];
    if (!slot) slot = std::make_shared<NetworkState>();
    state = slot;
  }
  const auto& ns = network.namespace_name;
  const auto& name = network.name;
  std::optional<ReconcileProblem> problem;
  std::exception_ptr failure;
  std::map<int, NodeObservation> observations;
  std::vector<json::value> pods;
  bool all_ready = false;
  // spec.args the controller refuses (the CRD refuses them too, but objects may predate its rules):
  // the StatefulSet is left as it is, and the Degraded condition names them.
  const auto refused = refused_args(network.spec.args);

  bool blocked = false;  // refused for a reason only a spec or cluster change can fix: no writes, no back-off

  try {
    // 1. What this network may make the controller do: its image, and only objects it owns.
    if (!image_allowed(settings_.images, network.spec.image)) {
      problem = ReconcileProblem{"ImageNotAllowed", image_not_allowed_message(settings_.images, network.spec.image)};
      blocked = true;
    }
    auto svc_ref = kube::refs::services(ns, api::service_name(name));
    auto sts_ref = kube::refs::stateful_sets(ns, api::statefulset_name(name));
    auto policy_ref = kube::refs::network_policies(ns, api::network_policy_name(name));
    auto rpcauth_ref = kube::refs::secrets(ns, api::rpcauth_secret_name(name));
    auto generated_ref = kube::refs::secrets(ns, api::generated_secret_name(name));
    std::optional<json::value> live_rpcauth, live_generated;
    if (!blocked) {
      // Secrets are not cached (no list/watch on Secrets): one GET each, by name.
      live_rpcauth = client_.get_if_exists(rpcauth_ref);
      if (network.spec.secret.empty()) live_generated = client_.get_if_exists(generated_ref);
      auto live_svc = observe_object(svc_ref, caches_.services);
      auto live_sts = observe_object(sts_ref, caches_.statefulsets);
      auto live_policy = settings_.network_policy ? observe_object(policy_ref, caches_.network_policies) : nullptr;
      std::vector<ObservedObject> observed{
          {"Service", svc_ref.name, live_svc.get()},
          {"StatefulSet", sts_ref.name, live_sts.get()},
          {"Secret", rpcauth_ref.name, live_rpcauth ? &*live_rpcauth : nullptr},
          {"Secret", generated_ref.name, live_generated ? &*live_generated : nullptr},
          {"NetworkPolicy", policy_ref.name, live_policy.get()},
      };
      if (auto conflict = find_ownership_conflict(ns, network.uid, observed)) {
        problem = ReconcileProblem{"Conflict", conflict->message};
        blocked = true;
      }
    }
    if (blocked) throw Blocked{};

    // 2. Credentials: derived, or the user's Secret if it opts in to this network. Until then
    //    nothing below runs, so that Secret's password goes nowhere.
    auto resolved = credentials_.refresh(network);
    if (!resolved.credentials) {
      problem = ReconcileProblem{resolved.reason, resolved.message};
      throw std::runtime_error(resolved.message);
    }
    const RpcCredentials* creds = &*resolved.credentials;
    if (network.spec.secret.empty()) {
      apply_secret_if_changed(generated_ref, live_generated,
                              desired_generated_secret(network, creds->user, creds->password), network_object);
    }

    // 3. rpcauth Secret: deterministic, so the line (and the pods) change only with the credentials.
    auto line = rpcauth_line(*creds, derived_rpcauth_salt(credentials_.key(), network));
    apply_secret_if_changed(rpcauth_ref, live_rpcauth, desired_rpcauth_secret(network, line), network_object);
    auto fingerprint = sha256_hex(line, 16);
    if (state->credentials_fingerprint != fingerprint) {
      state->nodes.clear();  // new credentials: reconnect
      state->credentials_fingerprint = fingerprint;
    }

    // 4. Service, StatefulSet, NetworkPolicy.
    apply_if_changed(svc_ref, caches_.services, desired_service(network), network_object, "Service");
    auto live_sts = caches_.statefulsets->get(ns, api::statefulset_name(name));
    if (refused.empty()) {
      if (live_sts && replicas_of(*live_sts) >= 0 && replicas_of(*live_sts) != network.spec.nodes && events_) {
        events_->record(network_object, kube::EventKind::Normal, "Scaling", "Scale",
                        "Adjusting number of nodes from " + std::to_string(replicas_of(*live_sts)) + " to " +
                            std::to_string(network.spec.nodes));
      }
      apply_if_changed(sts_ref, caches_.statefulsets, desired_statefulset(network, fingerprint), network_object,
                       "StatefulSet");
    }
    if (settings_.network_policy) {
      apply_if_changed(policy_ref, caches_.network_policies,
                       desired_network_policy(network, settings_.controller_namespace), network_object,
                       "NetworkPolicy");
    }

    // 5. Nodes: observe, then connect them as the topology says.
    for (const auto& pod : caches_.pods->by_index(kPodsByNetworkIndex, key)) pods.push_back(*pod);
    std::map<int, std::string> ready_addresses, current_addresses, ready_ips;
    for (const auto& pod : pods) {
      int ordinal = api::ordinal_of_pod(name, name_of(pod));
      auto ip = pod_ip(pod);
      if (ordinal < 0 || ordinal >= network.spec.nodes || ip.empty() || pod_is_terminating(pod)) continue;
      auto address = peer_address(ip, api::kP2pPort);
      current_addresses[ordinal] = address;
      if (pod_is_ready(pod)) {
        ready_addresses[ordinal] = address;
        ready_ips[ordinal] = ip;
      }
    }
    // Forget connections to nodes that are gone (keeps the pool bounded by spec.nodes).
    std::erase_if(state->nodes, [&](const auto& entry) { return !ready_ips.contains(entry.first); });

    auto dials = dial_plan(network.spec.nodes, topology_edges(network.spec));
    // Only nodes that answer are peers: a pod can be Ready (port open) while bitcoind warms up.
    std::map<int, std::string> answering;
    for (const auto& [ordinal, ip] : ready_ips) {
      try {
        observations[ordinal] = observe_node(node_rpc(*state, ordinal, ip, *creds));
        answering[ordinal] = ready_addresses[ordinal];
      } catch (const bitcoin::RpcFailure& e) {
        state->nodes.erase(ordinal);
        if (auto node_problem = persistent_node_problem(ordinal, e)) {
          log_.warn("node answers, but not as bitcoind does",
                    {{"network", key}, {"ordinal", std::to_string(ordinal)}, {"error", e.what()}});
          if (!problem) problem = std::move(node_problem);
        } else {
          log_.debug("node not answering yet",
                     {{"network", key}, {"ordinal", std::to_string(ordinal)}, {"error", e.what()}});
        }
      }
    }
    int peer_changes = 0;
    for (const auto& [ordinal, address] : answering) {
      auto& rpc = node_rpc(*state, ordinal, ready_ips[ordinal], *creds);
      try {
        auto changes = plan_peer_changes(ordinal, dials, answering, current_addresses, added_nodes(rpc));
        if (changes.empty()) continue;
        auto applied = apply_peer_changes(rpc, changes);
        peer_changes += static_cast<int>(applied.add.size() + applied.remove.size());
        for (const auto& a : applied.add) {
          log_.info("added peer", {{"network", key}, {"ordinal", std::to_string(ordinal)}, {"peer", a}});
        }
        for (const auto& r : applied.remove) {
          log_.info("removed peer", {{"network", key}, {"ordinal", std::to_string(ordinal)}, {"peer", r}});
        }
      } catch (const bitcoin::RpcFailure& e) {
        problem =
            persistent_node_problem(ordinal, e)
                .value_or(ReconcileProblem{"PeerSyncFailed", "node " + std::to_string(ordinal) + ": " + e.what()});
        state->nodes.erase(ordinal);
      }
    }
    if (peer_changes > 0) {
      if (events_) {
        events_->record(network_object, kube::EventKind::Normal, "PeersUpdated", "ConnectPeers",
                        "Updated " + std::to_string(peer_changes) + " peer connection(s) for the " +
                            std::string(to_string(network.spec.topology)) + " topology");
      }
      // Peer counts changed under us: look again shortly so the status shows the new connections.
      for (auto& [ordinal, observation] : observations) {
        try {
          observation = observe_node(node_rpc(*state, ordinal, ready_ips[ordinal], *creds));
        } catch (const bitcoin::RpcFailure&) {
        }
      }
    }

    // 6. Mining.
    const auto& mining = network.spec.mining;
    if (mining.enabled && answering.contains(mining.node) && Clock::now() >= state->next_block) {
      auto address = mining.address.empty() ? derived_regtest_address(network.uid) : mining.address;
      auto& rpc = node_rpc(*state, mining.node, ready_ips[mining.node], *creds);
      try {
        rpc.call("generatetoaddress", json::array{1, json::string(address)});
      } catch (const bitcoin::RpcError& e) {
        if (e.code() != bitcoin::rpc_code::kMethodNotFound) throw;
        rpc.call("generate", json::array{1});  // nodes that predate generatetoaddress
      }
      metrics_.counter("kubectl_bitcoin_blocks_mined_total", "Blocks the controller mined.").inc();
      state->next_block = Clock::now() + std::chrono::seconds(mining.interval_seconds);
      observations[mining.node] = observe_node(rpc);
    }
    all_ready = static_cast<int>(answering.size()) == network.spec.nodes;
  } catch (const Blocked&) {
  } catch (const std::exception& e) {
    if (!problem) problem = problem_from(e, "reconcile");
    failure = std::current_exception();
  }
  // The user's to fix, and until then nothing else the status could say matters as much.
  if (!refused.empty()) problem = ReconcileProblem{"ArgsRefused", describe(refused)};

  // 7. Status, written only when it changed.
  auto now_seconds =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
  auto status = compute_status(StatusInputs{&network, pods, observations, problem, rfc3339(now_seconds)});
  bool status_changed = !(status == network.status);
  if (status_changed) {
    if (!refused.empty() && !failure && events_) {
      events_->record(network_object, kube::EventKind::Warning, problem->reason, "Reconcile", problem->message);
    }
    try {
      client_.patch(
          kube::ResourceRef::of(std::string(api::kGroup), std::string(api::kVersion), std::string(api::kPlural))
              .in(ns)
              .named(name)
              .sub("status"),
          kube::PatchType::Merge, json::object{{"status", status}}, {.field_manager = std::string(api::kFieldManager)});
      count_write("BitcoinNetwork", "patch-status");
    } catch (const std::exception& e) {
      if (!kube::is_not_found(e) && !failure) failure = std::current_exception();
    }
  }
  if (failure) {
    if (problem && events_) {
      events_->record(network_object, kube::EventKind::Warning, problem->reason, "Reconcile", problem->message);
    }
    std::rethrow_exception(failure);
  }
  if (blocked) {
    if (status_changed && events_) {
      events_->record(network_object, kube::EventKind::Warning, problem->reason, "Reconcile", problem->message);
    }
    // Nothing the controller watches need change for this to clear (a foreign object, the
    // operator's image list): look again at the resync period, without back-off.
    return settings_.resync;
  }
  auto next = settings_.resync;
  // Refused arguments wait for a spec change (which triggers a reconcile), not for a poll.
  if (refused.empty() && (!all_ready || problem)) next = settings_.not_ready_poll;
  if (network.spec.mining.enabled) {
    auto until_block = std::chrono::duration_cast<std::chrono::milliseconds>(state->next_block - Clock::now());
    next = std::min(next, std::max(until_block, std::chrono::milliseconds(100)));
  }
  return next;
}

}  // namespace kb::controller
