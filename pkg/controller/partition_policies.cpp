#include "pkg/controller/partition_policies.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/controller/desired_objects.hpp"
#include "pkg/controller/ownership.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace kb::controller {
namespace json = boost::json;

namespace {

// Set by the StatefulSet controller on every pod it makes; the value is the pod's name.
constexpr std::string_view kPodNameLabel = "statefulset.kubernetes.io/pod-name";

json::object group_pods(const api::BitcoinNetwork& network, const api::PartitionGroup& group) {
  json::array names;
  for (int ordinal : group.nodes) names.emplace_back(api::pod_name(network.name, ordinal));
  // The network label too: a pod of another StatefulSet cannot have one of these names, but the
  // selector then says plainly whose pods it means.
  return {
      {"matchLabels", api::selector_labels(network.name)},
      {"matchExpressions", json::array{{{"key", kPodNameLabel}, {"operator", "In"}, {"values", std::move(names)}}}}};
}

}  // namespace

std::string partition_policy_name(std::string_view network, std::string_view group) {
  return api::network_policy_name(network) + "-" + std::string(group);
}

std::vector<NamedPolicy> desired_partition_policies(const api::BitcoinNetwork& network,
                                                    const std::vector<api::PartitionGroup>& groups) {
  std::vector<NamedPolicy> out;
  for (const auto& group : groups) {
    if (group.nodes.empty()) continue;  // `In` needs a value; a group without nodes has no pods to admit
    auto name = partition_policy_name(network.name, group.name);
    auto metadata = object_meta(network, name);
    metadata["labels"].as_object()[kPartitionGroupLabel] = group.name;
    auto pods = group_pods(network, group);
    json::object policy{{"apiVersion", "networking.k8s.io/v1"},
                        {"kind", "NetworkPolicy"},
                        {"metadata", std::move(metadata)},
                        {"spec",
                         {{"podSelector", pods},
                          {"policyTypes", json::array{"Ingress"}},
                          {"ingress", json::array{p2p_ingress_rule({{"podSelector", pods}})}}}}};
    out.push_back({std::move(name), std::move(policy)});
  }
  return out;
}

std::vector<std::string> stale_partition_policies(const api::BitcoinNetwork& network,
                                                  const std::vector<const json::value*>& live,
                                                  const std::vector<NamedPolicy>& desired) {
  std::vector<std::string> out;
  for (const auto* policy : live) {
    if (!policy) continue;
    if (base::string_at(*policy, "metadata", "namespace").value_or("") != network.namespace_name) continue;
    if (!base::json_at(*policy, "metadata", "labels", kPartitionGroupLabel)) continue;
    if (!is_controlled_by(*policy, network.uid)) continue;  // a user's policy, or another network's
    auto name = base::string_at(*policy, "metadata", "name").value_or("");
    if (std::ranges::none_of(desired, [&](const NamedPolicy& d) { return d.name == name; })) out.push_back(name);
  }
  std::ranges::sort(out);
  return out;
}

}  // namespace kb::controller
