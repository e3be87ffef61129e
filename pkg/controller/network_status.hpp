#pragma once
// The status of a network, computed from what the controller observed: the pods in its cache and
// the answers of each node's RPC. Pure: equal inputs give an equal status, and conditions keep
// their lastTransitionTime while their status stays the same, so an unchanged network is never
// rewritten.
#include "pkg/api/bitcoin_network.hpp"

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
};

// Why the last reconcile could not do everything (drives the Degraded condition).
struct ReconcileProblem {
  std::string reason;   // CamelCase, e.g. "SecretNotFound"
  std::string message;  // one sentence for humans; never a credential
};

struct StatusInputs {
  const api::BitcoinNetwork* network = nullptr;
  std::vector<boost::json::value> pods;         // the network's pods from the cache
  std::map<int, NodeObservation> observations;  // by ordinal
  std::optional<ReconcileProblem> problem;
  std::string now;  // RFC 3339, used only for conditions that change
};

boost::json::value compute_status(const StatusInputs& inputs);

// Pod helpers shared with the reconciler.
bool pod_is_ready(const boost::json::value& pod);
bool pod_is_terminating(const boost::json::value& pod);
std::string pod_ip(const boost::json::value& pod);

}  // namespace kb::controller
