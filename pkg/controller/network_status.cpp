#include "pkg/controller/network_status.hpp"

#include "pkg/api/conditions.hpp"
#include "pkg/api/naming.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/kube/conditions.hpp"
#include "pkg/kube/object_meta.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <set>

namespace kb::controller {
namespace json = boost::json;

namespace {

// Conditions keep their lastTransitionTime while their status stays the same.
json::object condition(const json::value& previous_status, std::string_view type, bool status, std::string_view reason,
                       std::string_view message, std::int64_t generation, const std::string& now) {
  std::string status_text = status ? "True" : "False";
  std::string transition = now;
  const auto* previous_conditions = base::json_at(previous_status, "conditions");
  if (const auto* previous = previous_conditions ? kube::find_condition(*previous_conditions, type) : nullptr) {
    if (base::string_at(*previous, "status") == status_text) {
      transition = base::string_at(*previous, "lastTransitionTime").value_or("");
      if (transition.empty()) transition = now;
    }
  }
  return {{"type", type},
          {"status", status_text},
          {"observedGeneration", generation},
          {"lastTransitionTime", transition},
          {"reason", reason},
          {"message", message}};
}

}  // namespace

bool pod_is_ready(const json::value& pod) { return kube::condition_is_true(pod, api::kConditionReady); }

bool pod_is_terminating(const json::value& pod) { return kube::is_terminating(pod); }

std::string pod_ip(const json::value& pod) { return base::string_at(pod, "status", "podIP").value_or(""); }

json::value compute_status(const StatusInputs& inputs) {
  const auto& network = *inputs.network;
  const int desired = network.spec.nodes;

  // Pods by ordinal; only ordinals below the desired count are members (others are going away).
  std::map<int, const json::value*> pods;
  int existing = 0;
  for (const auto& pod : inputs.pods) {
    int ordinal = api::ordinal_of_pod(network.name, kube::name_of(pod));
    if (ordinal < 0) continue;
    ++existing;
    if (ordinal < desired) pods[ordinal] = &pod;
  }

  json::array nodes;
  int ready_nodes = 0;
  std::int64_t height = 0;
  std::set<std::string> tips;
  for (int ordinal = 0; ordinal < desired; ++ordinal) {
    json::object node{{"ordinal", ordinal},
                      {"nodeName", api::pod_name(network.name, ordinal)},
                      {"dnsName", api::dns_name(network.name, ordinal)}};
    bool ready = false;
    if (auto it = pods.find(ordinal); it != pods.end()) {
      const auto& pod = *it->second;
      if (auto ip = pod_ip(pod); !ip.empty()) node["ip"] = ip;
      auto obs = inputs.observations.find(ordinal);
      ready = pod_is_ready(pod) && !pod_is_terminating(pod) && obs != inputs.observations.end() && obs->second.answered;
      if (obs != inputs.observations.end() && obs->second.answered) {
        node["blocks"] = obs->second.blocks;
        node["bestBlockHash"] = obs->second.best_block_hash;
        node["peers"] = obs->second.peers;
        node["version"] = obs->second.version;
        height = std::max(height, obs->second.blocks);
        tips.insert(obs->second.best_block_hash);
      }
    }
    node["ready"] = ready;
    if (ready) ++ready_nodes;
    nodes.push_back(std::move(node));
  }

  const auto& previous = network.status;
  const auto generation = network.generation;
  json::array conditions;
  bool all_ready = ready_nodes == desired;
  std::string ready_message = std::to_string(ready_nodes) + "/" + std::to_string(desired) + " nodes ready";
  if (all_ready && tips.size() > 1) ready_message += "; nodes disagree on the best block (syncing)";
  conditions.push_back(condition(previous, api::kConditionReady, all_ready,
                                 all_ready ? "AllNodesReady" : "NodesNotReady", ready_message, generation, inputs.now));
  bool progressing = existing != desired || !all_ready;
  std::string progress_reason = existing < desired   ? "ScalingUp"
                                : existing > desired ? "ScalingDown"
                                : !all_ready         ? "WaitingForNodes"
                                                     : "Stable";
  conditions.push_back(condition(previous, api::kConditionProgressing, progressing, progress_reason,
                                 std::to_string(existing) + " pods exist, " + std::to_string(desired) + " desired",
                                 generation, inputs.now));
  if (inputs.problem) {
    conditions.push_back(condition(previous, api::kConditionDegraded, true, inputs.problem->reason,
                                   inputs.problem->message, generation, inputs.now));
  } else {
    conditions.push_back(condition(previous, api::kConditionDegraded, false, "AsExpected",
                                   "the last reconcile succeeded", generation, inputs.now));
  }

  return json::object{{"observedGeneration", generation},
                      {"replicas", existing},
                      {"readyNodes", ready_nodes},
                      {"blockHeight", height},
                      {"selector", api::label_selector(network.name)},
                      {"nodes", std::move(nodes)},
                      {"conditions", std::move(conditions)}};
}

}  // namespace kb::controller
