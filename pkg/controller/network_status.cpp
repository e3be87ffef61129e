#include "pkg/controller/network_status.hpp"

#include "pkg/api/conditions.hpp"
#include "pkg/api/naming.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <ctime>
#include <set>

namespace kb::controller {
namespace json = boost::json;

namespace {

std::string string_at(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* cur = &v;
  for (auto key : path) {
    if (!cur->is_object()) return {};
    cur = cur->as_object().if_contains(key);
    if (!cur) return {};
  }
  return cur->is_string() ? std::string(cur->as_string()) : std::string();
}

const json::array* conditions_of(const json::value& status) {
  if (!status.is_object()) return nullptr;
  const auto* c = status.as_object().if_contains("conditions");
  return c && c->is_array() ? &c->as_array() : nullptr;
}

json::object condition(const json::value& previous_status, std::string_view type, bool status, std::string_view reason,
                       std::string_view message, std::int64_t generation, const std::string& now) {
  std::string status_text = status ? "True" : "False";
  std::string transition = now;
  if (const auto* previous = conditions_of(previous_status)) {
    for (const auto& c : *previous) {
      if (string_at(c, {"type"}) == type && string_at(c, {"status"}) == status_text) {
        transition = string_at(c, {"lastTransitionTime"});
        if (transition.empty()) transition = now;
      }
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

bool pod_is_ready(const json::value& pod) {
  const auto* status = pod.is_object() ? pod.as_object().if_contains("status") : nullptr;
  const auto* conditions = status && status->is_object() ? status->as_object().if_contains("conditions") : nullptr;
  if (!conditions || !conditions->is_array()) return false;
  for (const auto& c : conditions->as_array()) {
    if (string_at(c, {"type"}) == api::kConditionReady) return string_at(c, {"status"}) == "True";
  }
  return false;
}

bool pod_is_terminating(const json::value& pod) {
  const auto* meta = pod.is_object() ? pod.as_object().if_contains("metadata") : nullptr;
  return meta && meta->is_object() && meta->as_object().contains("deletionTimestamp") &&
         !meta->as_object().at("deletionTimestamp").is_null();
}

std::string pod_ip(const json::value& pod) { return string_at(pod, {"status", "podIP"}); }

std::string rfc3339(std::int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buffer[32];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buffer;
}

json::value compute_status(const StatusInputs& inputs) {
  const auto& network = *inputs.network;
  const int desired = network.spec.nodes;

  // Pods by ordinal; only ordinals below the desired count are members (others are going away).
  std::map<int, const json::value*> pods;
  int existing = 0;
  for (const auto& pod : inputs.pods) {
    int ordinal = api::ordinal_of_pod(network.name, string_at(pod, {"metadata", "name"}));
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
