#include "pkg/controller/cached_node_directory.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/controller/ownership.hpp"
#include "pkg/kube/object_meta.hpp"
#include "pkg/kube/resource_ref.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace kb::controller {

std::vector<bitcoin::NetworkNode> owned_nodes(const api::BitcoinNetwork& network, const boost::json::value* statefulset,
                                              const std::vector<kube::ObjectPtr>& pods) {
  std::vector<bitcoin::NetworkNode> nodes;
  if (!statefulset || !is_controlled_by(*statefulset, network.uid)) return nodes;
  auto sts_uid = kube::uid_of(*statefulset);
  for (const auto& pod : pods) {
    if (!is_controlled_by(*pod, sts_uid)) continue;
    int ordinal = api::ordinal_of_pod(network.name, kube::name_of(*pod));
    if (ordinal < 0 || ordinal >= network.spec.nodes) continue;
    nodes.push_back(bitcoin::NetworkNode{ordinal, pod_ip(*pod), static_cast<std::uint16_t>(api::kRpcPort),
                                         pod_is_ready(*pod) && !pod_is_terminating(*pod)});
  }
  std::sort(nodes.begin(), nodes.end(), [](const auto& a, const auto& b) { return a.ordinal < b.ordinal; });
  return nodes;
}

std::optional<bitcoin::NetworkRoute> CachedNodeDirectory::find_network(std::string_view namespace_name,
                                                                       std::string_view network_name) const {
  auto key = kube::object_key(namespace_name, network_name);
  auto object = controller_.networks().get(key);
  if (!object) return std::nullopt;
  api::BitcoinNetwork network;
  try {
    network = api::parse_network(*object);
  } catch (const api::NetworkSpecError&) {
    return std::nullopt;
  }
  auto resolved = controller_.credentials().lookup(network);
  if (!resolved.credentials) return std::nullopt;
  bitcoin::NetworkRoute route;
  route.credentials = *resolved.credentials;
  auto statefulset = controller_.statefulsets().get(namespace_name, api::statefulset_name(network.name));
  route.nodes = owned_nodes(network, statefulset.get(), controller_.pods().by_index(kPodsByNetworkIndex, key));
  return route;
}

}  // namespace kb::controller
