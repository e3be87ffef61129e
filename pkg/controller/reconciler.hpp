#pragma once
// Reconciler: brings one BitcoinNetwork (by "namespace/name" key) to its desired state, in named
// steps over the informer caches:
//
//   check_trust          refuse (Degraded, no writes) an image off the allow-list or a name taken by
//                        an object this network does not control (Secrets by GET: the controller
//                        may not list or watch them)
//   resolve_credentials  derived, or the user's Secret if it opts in → <name>-rpc, <name>-rpcauth
//   apply_objects        server-side apply Service, StatefulSet, NetworkPolicy only where the cache differs
//   observe_nodes        ask each ready node how it is
//   sync_peers           move each answering node's added-node list to the topology's plan (only
//                        the edges inside each group while spec.partitions is in force) and its ban
//                        list to the partition (the other groups' pod IPs banned; none when healed)
//   mine                 a block when due
//   look_at_chains       the fork picture, reorgs and node metrics (chain_watch.hpp)
//   write_status         only if it changed (then the Reorg events)
//   next_requeue         when to look again
//
// Errors are thrown after the status (Degraded) has been written, so the caller's work queue backs off.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/controller/chain_watch.hpp"
#include "pkg/controller/credentials.hpp"
#include "pkg/controller/image_policy.hpp"
#include "pkg/controller/network_credentials.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/requeue.hpp"
#include "pkg/kube/client.hpp"
#include "pkg/kube/event_recorder.hpp"
#include "pkg/kube/store.hpp"
#include "pkg/observe/logger.hpp"
#include "pkg/observe/metrics.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace kb::controller {

// Opens an RPC connection to a node whose every call ends within `call_timeout`; the real one
// builds a bitcoin::RpcClient, tests pass a fake.
using RpcFactory = std::function<std::unique_ptr<bitcoin::RpcCaller>(
    const std::string& host, int port, const RpcCredentials& credentials, std::chrono::milliseconds call_timeout)>;

struct ReconcilerCaches {
  const kube::Store* networks = nullptr;
  const kube::Store* statefulsets = nullptr;
  const kube::Store* services = nullptr;
  const kube::Store* pods = nullptr;  // with the index kPodsByNetworkIndex
  const kube::Store* network_policies = nullptr;
};

inline constexpr const char* kPodsByNetworkIndex = "network";
// "namespace/network" of a pod (or any object) carrying the network label.
kube::IndexFunc index_by_network();

// The note of the one Created event of a pass: "Created Secret a-rpc, Service a-svc, ...".
std::string created_event_note(const std::vector<std::string>& created);

struct ReconcilerSettings {
  std::chrono::milliseconds resync{std::chrono::seconds(30)};
  // A network whose nodes are not all ready and answering is looked at again after
  // not_ready_poll, doubling with every poll that finds it still so, up to resync: quick while
  // nodes warm up, calm when they never answer. A spec change, a ready network, progress (more
  // nodes answer than at the last poll) or a node that says it is warming up starts over.
  std::chrono::milliseconds not_ready_poll{std::chrono::seconds(2)};
  // Every call to a node ends within this deadline: a worker never waits longer for one node.
  std::chrono::milliseconds node_call_timeout{std::chrono::seconds(15)};
  // A node that let a call run into the deadline (stopped, hung) is asked with this shorter one
  // until it answers again, so a network with a hung node costs its worker seconds per pass, not
  // a whole deadline. A node that resumes answers in milliseconds. A node not yet heard from (a new
  // pod, a new IP) is asked with it too, until its first answer: pods that never answer (a hung
  // image, simulated nodes) would otherwise hold a worker for the full deadline each.
  std::chrono::milliseconds probe_call_timeout{std::chrono::seconds(2)};
  bool network_policy = true;
  // The namespace the controller runs in: the only one whose pods the per-network NetworkPolicy
  // admits to the RPC port. Empty (running outside the cluster): any namespace.
  std::string controller_namespace;
  ImagePolicy images;
  // With leader election, the elector's fence (the controller's Client writes through it too): the
  // node RPCs that change a node (addnode/disconnect, mining) are made only while it is open, so a
  // replica whose term ended does not act on the nodes either. Null: always allowed.
  std::shared_ptr<const kube::WriteFence> write_fence;
  ChainWatchSettings chains;
};

class Reconciler {
 public:
  Reconciler(kube::Client client, ReconcilerCaches caches, RpcFactory rpc_factory, kube::EventRecorder* events,
             observe::Logger& log, observe::MetricsRegistry& metrics, ReconcilerSettings settings,
             const NetworkCredentials& credentials);

  // Returns when to look again. Throws on failure (after writing a Degraded status where possible).
  Requeue reconcile(const std::string& key);

 private:
  struct NodeConnection {
    std::string ip;
    std::unique_ptr<bitcoin::RpcCaller> rpc;
  };
  struct NetworkState {
    std::map<int, NodeConnection> nodes;  // by ordinal; bounded by spec.nodes
    // Nodes whose last call ran into the deadline, by ordinal: their pod's IP then, and the failure
    // the status keeps showing while short probes time out too.
    std::map<int, std::pair<std::string, NodeFailure>> not_responding;
    std::string credentials_fingerprint;
    std::chrono::steady_clock::time_point next_block{};
    int redial_polls = 0;                 // consecutive passes that redialled an unconnected edge
    int unready_polls = 0;                // consecutive not-ready requeues (see not_ready_poll)
    std::int64_t unready_generation = 0;  // the generation they were counted for
    std::size_t answering = 0;            // nodes that answered RPC in the last pass
    // Hosts the controller banned on some node of this network (for a partition), so their bans
    // are lifted on heal even after the pod behind one got a new IP.
    std::set<std::string> banned_hosts;
    // No node holds a ban of the controller's: set after a healed pass in which every node answered
    // and had none, so the ban lists are not asked for again until the next partition. False at
    // start: a controller that restarted does not know what its predecessor banned.
    bool bans_settled = false;
    ChainState chains;  // tips seen, fork points (chain_watch.hpp)
  };

  struct Pass;
  struct Outcome;
  struct TrustCheck;
  struct ResolvedCredentials;
  struct NodePods;

  std::shared_ptr<NetworkState> state_for(const std::string& key);
  std::optional<api::BitcoinNetwork> read_network(const std::string& key, const boost::json::value& object);
  void run_steps(Pass& pass, Outcome& outcome);
  TrustCheck check_trust(const Pass& pass);
  ResolvedCredentials resolve_credentials(Pass& pass, const TrustCheck& trust, Outcome& outcome);
  void apply_objects(const Pass& pass, const std::string& fingerprint, Outcome& outcome);
  void apply_network_policies(const Pass& pass, Outcome& outcome);
  NodePods find_node_pods(Pass& pass, Outcome& outcome) const;
  std::optional<ReconcileProblem> observe_nodes(Pass& pass, const RpcCredentials& creds, const NodePods& pods,
                                                Outcome& outcome);
  std::optional<ReconcileProblem> sync_peers(Pass& pass, const RpcCredentials& creds, const NodePods& pods,
                                             Outcome& outcome);
  // Returns the number of setban calls that changed something on the node.
  int sync_bans(Pass& pass, int ordinal, bitcoin::RpcCaller& rpc, const NodePods& pods);
  void record_partition_events(const Pass& pass);
  void mine(Pass& pass, const RpcCredentials& creds, const NodePods& pods, Outcome& outcome);
  void look_at_chains(Pass& pass, const RpcCredentials& creds, const NodePods& pods, Outcome& outcome);
  void record_reorgs(const Pass& pass, const Outcome& outcome);
  void forget(const std::string& key);
  bool write_status(const Pass& pass, Outcome& outcome);
  void report(const Pass& pass, const Outcome& outcome, bool status_changed);
  Requeue next_requeue(const Pass& pass, const Outcome& outcome) const;

  bitcoin::RpcCaller& node_rpc(NetworkState& state, int ordinal, const std::string& ip, const RpcCredentials& creds);
  // Both return whether the object was created (it was not there before).
  bool apply_if_changed(const kube::ResourceRef& ref, const kube::Store* cache, const boost::json::value& desired,
                        std::string_view what);
  bool apply_secret_if_changed(const kube::ResourceRef& ref, const std::optional<boost::json::value>& live,
                               const boost::json::value& desired);
  // From the cache, or by GET when the cache has no such object (it may exist without our labels).
  kube::ObjectPtr observe_object(const kube::ResourceRef& ref, const kube::Store* cache) const;
  void record_warning(const boost::json::value& network_object, const ReconcileProblem& problem);
  void count_write(std::string_view kind, std::string_view verb);
  // Throws kube::FenceClosedError naming `what` when the write fence is closed.
  void require_term(const std::string& what) const;

  kube::Client client_;
  ReconcilerCaches caches_;
  const NetworkCredentials& credentials_;
  RpcFactory rpc_factory_;
  kube::EventRecorder* events_;
  observe::Logger& log_;
  observe::MetricsRegistry& metrics_;
  ReconcilerSettings settings_;
  ChainWatch chain_watch_;

  std::mutex states_mutex_;  // guards the map; each key is reconciled by one worker at a time
  std::map<std::string, std::shared_ptr<NetworkState>> states_;
};

}  // namespace kb::controller
