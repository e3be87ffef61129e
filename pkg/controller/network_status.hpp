#pragma once
// The status of a network, computed from what the controller observed: the pods in its cache and
// the answers of each node's RPC. Pure: equal inputs give an equal status, and conditions keep
// their lastTransitionTime while their status stays the same, so an unchanged network is never
// rewritten.
#include "pkg/api/bitcoin_network.hpp"
#include "pkg/controller/partition_status.hpp"

#include <boost/json/array.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace kb::controller {

// What the node's RPC said during this reconcile.
struct NodeObservation {
  bool answered = false;
  std::int64_t blocks = 0;
  std::string best_block_hash;
  int peers = 0;
  std::string version;  // subversion, e.g. "/Satoshi:28.1.0/"
  std::int64_t headers = 0;
  double verification_progress = 0;
};

// The fork picture of the pass (fork_picture.hpp computes it): status.forks and the Forked condition.
struct ForkReport {
  boost::json::array forks;
  bool forked = false;
  std::string reason;
  std::string message;
};

// Why the last reconcile could not do everything (drives the Degraded condition).
struct ReconcileProblem {
  std::string reason;   // CamelCase, e.g. "SecretNotFound"
  std::string message;  // one sentence for humans; never a credential
};

// Why one node is not ready, as its entry in status.nodes[] says (reason, message). A failure
// that `degrades` the network is not part of a node's ordinary life (starting, warming up,
// being replaced): the network's Degraded condition names the first such node.
struct NodeFailure {
  std::string reason;   // CamelCase, e.g. "NodeNotResponding", "DiskFull"
  std::string message;  // one sentence; never a credential
  bool degrades = false;
};

struct StatusInputs {
  const api::BitcoinNetwork* network = nullptr;
  std::vector<boost::json::value> pods;         // the network's pods from the cache
  std::map<int, NodeObservation> observations;  // by ordinal
  std::optional<ReconcileProblem> problem;
  std::string now;                           // RFC 3339, used only for conditions that change
  std::map<int, NodeFailure> node_failures;  // ready pods whose RPC failed in this pass, by ordinal
  std::optional<ForkReport> forks;           // nullopt: the pass did not look (the last status's stays)
  // status.partition and the Partitioned condition; null: neither is written.
  const PartitionState* partition = nullptr;
};

// Status from the inputs. A node that is not ready gets a reason and message: its RPC failure
// (node_failures) or what its pod says (pod_failure). The Degraded condition is the pass's
// problem if there is one, else the first node failure that degrades.
boost::json::value compute_status(const StatusInputs& inputs);

// What the kubelet reports about the pod's bitcoind container when it is not running as it
// should: crash-looping or terminated (DiskFull when bitcoind's last words, which the kubelet keeps
// in the termination message thanks to terminationMessagePolicy FallbackToLogsOnError, say its
// disk is full; OutOfMemory for the OOM killer; NodeCrashing otherwise), or waiting for a reason
// that is not a normal start (ImagePullBackOff, CreateContainerConfigError, ...). nullopt for a
// running container and for one that is being created.
std::optional<NodeFailure> pod_failure(const boost::json::value& pod);

// Pod helpers shared with the reconciler.
bool pod_is_ready(const boost::json::value& pod);
bool pod_is_terminating(const boost::json::value& pod);
std::string pod_ip(const boost::json::value& pod);

}  // namespace kb::controller
