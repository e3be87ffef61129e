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

const json::value* bitcoind_container_status(const json::value& pod) {
  const auto* statuses = base::json_at(pod, "status", "containerStatuses");
  if (!statuses || !statuses->is_array()) return nullptr;
  for (const auto& status : statuses->as_array()) {
    if (base::string_at(status, "name") == "bitcoind") return &status;
  }
  return nullptr;
}

// The line of `text` that holds `needle` (case-insensitive), from the needle to the line's end;
// empty when absent.
std::string line_from(std::string_view text, std::string_view needle) {
  auto lower = [](char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c); };
  auto it = std::search(text.begin(), text.end(), needle.begin(), needle.end(),
                        [&](char a, char b) { return lower(a) == lower(b); });
  if (it == text.end()) return "";
  auto start = static_cast<std::size_t>(it - text.begin());
  auto end = text.find('\n', start);
  return std::string(text.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
}

// The last non-empty line of a log tail, at most 300 characters.
std::string last_line(std::string_view text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r' || text.back() == ' ')) text.remove_suffix(1);
  auto start = text.rfind('\n');
  auto line = text.substr(start == std::string_view::npos ? 0 : start + 1);
  return std::string(line.substr(0, 300));
}

NodeFailure terminated_failure(const json::value& terminated) {
  auto code = base::int_at(terminated, "exitCode").value_or(0);
  auto how = "exit code " + std::to_string(code);
  auto message = base::string_at(terminated, "message").value_or("");
  // Bitcoin Core and SV: "Disk space is too low!" (while running) and "Disk space is low!" (at
  // start); a write that fails outright: "No space left on device".
  for (std::string_view marker : {"disk space is", "no space left on device"}) {
    if (auto said = line_from(message, marker); !said.empty()) {
      return {"DiskFull",
              "bitcoind stopped because its data volume is full (it said \"" + said + "\", " + how +
                  "); free space on the volume or give the network more spec.storage",
              true};
    }
  }
  if (base::string_at(terminated, "reason") == "OOMKilled") {
    return {"OutOfMemory", "bitcoind was killed by the out-of-memory killer (" + how + "); raise spec.resources", true};
  }
  auto said = last_line(message);
  return {"NodeCrashing", "bitcoind exited with " + how + (said.empty() ? "" : ": " + said), true};
}

// status.forks and the Forked condition; a pass that did not look keeps what the last status said.
void add_fork_picture(json::object& status, json::array& conditions, const std::optional<ForkReport>& report,
                      const json::value& previous, std::int64_t generation, const std::string& now) {
  if (report) {
    status["forks"] = report->forks;
    conditions.push_back(
        condition(previous, api::kConditionForked, report->forked, report->reason, report->message, generation, now));
    return;
  }
  if (const auto* forks = base::json_at(previous, "forks")) status["forks"] = *forks;
  const auto* previous_conditions = base::json_at(previous, "conditions");
  if (const auto* forked =
          previous_conditions ? kube::find_condition(*previous_conditions, api::kConditionForked) : nullptr) {
    conditions.push_back(*forked);
  }
}

}  // namespace

std::optional<NodeFailure> pod_failure(const json::value& pod) {
  const auto* status = bitcoind_container_status(pod);
  if (!status) return std::nullopt;
  if (const auto* terminated = base::json_at(*status, "state", "terminated")) return terminated_failure(*terminated);
  const auto* waiting = base::json_at(*status, "state", "waiting");
  if (!waiting) return std::nullopt;
  auto reason = base::string_at(*waiting, "reason").value_or("");
  if (reason.empty() || reason == "ContainerCreating" || reason == "PodInitializing") return std::nullopt;
  if (reason == "CrashLoopBackOff") {
    if (const auto* last = base::json_at(*status, "lastState", "terminated")) return terminated_failure(*last);
  }
  return NodeFailure{reason, base::string_at(*waiting, "message").value_or("the container is waiting: " + reason),
                     true};
}

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
  std::optional<ReconcileProblem> node_problem;  // the first node failure that degrades the network
  int ready_nodes = 0;
  std::int64_t height = 0;
  std::set<std::string> tips;
  for (int ordinal = 0; ordinal < desired; ++ordinal) {
    json::object node{{"ordinal", ordinal},
                      {"nodeName", api::pod_name(network.name, ordinal)},
                      {"dnsName", api::dns_name(network.name, ordinal)}};
    bool ready = false;
    std::optional<NodeFailure> failure;
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
      if (!ready) {
        failure = pod_failure(pod);
        if (auto rpc = inputs.node_failures.find(ordinal); !failure && rpc != inputs.node_failures.end()) {
          failure = rpc->second;
        }
      }
    }
    node["ready"] = ready;
    if (failure) {
      node["reason"] = failure->reason;
      node["message"] = failure->message;
      if (failure->degrades && !node_problem) {
        node_problem = ReconcileProblem{failure->reason, "node " + std::to_string(ordinal) + ": " + failure->message};
      }
    }
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
  if (const auto& problem = inputs.problem ? inputs.problem : node_problem) {
    conditions.push_back(
        condition(previous, api::kConditionDegraded, true, problem->reason, problem->message, generation, inputs.now));
  } else {
    conditions.push_back(condition(previous, api::kConditionDegraded, false, "AsExpected",
                                   "the last reconcile succeeded", generation, inputs.now));
  }

  if (const auto* partition = inputs.partition) {
    conditions.push_back(condition(previous, api::kConditionPartitioned, partition->in_force(), partition->reason,
                                   partition->message, generation, inputs.now));
  }

  json::object status{{"observedGeneration", generation},
                      {"replicas", existing},
                      {"readyNodes", ready_nodes},
                      {"blockHeight", height},
                      {"selector", api::label_selector(network.name)},
                      {"nodes", std::move(nodes)}};
  add_fork_picture(status, conditions, inputs.forks, previous, generation, inputs.now);
  status["conditions"] = std::move(conditions);
  if (inputs.partition && inputs.partition->in_force()) status["partition"] = partition_status(*inputs.partition);
  return status;
}

}  // namespace kb::controller
