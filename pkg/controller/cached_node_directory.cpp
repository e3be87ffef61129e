#include "pkg/controller/cached_node_directory.hpp"

#include "pkg/controller/naming.hpp"
#include "pkg/controller/network_status.hpp"
#include "pkg/kube/resource_ref.hpp"

#include <boost/json.hpp>

#include <algorithm>

namespace kb::controller {

std::optional<bitcoin::NetworkRoute> CachedNodeDirectory::find_network(std::string_view namespace_name,
                                                                       std::string_view network_name) const {
  auto key = kube::object_key(namespace_name, network_name);
  auto object = controller_.networks().get(key);
  if (!object) return std::nullopt;
  BitcoinNetwork network;
  try {
    network = parse_network(*object);
  } catch (const NetworkSpecError&) {
    return std::nullopt;
  }
  auto credentials = controller_.reconciler().credentials(network);
  if (!credentials) return std::nullopt;
  bitcoin::NetworkRoute route;
  route.credentials = bitcoin::UserPassword{credentials->user, credentials->password};
  for (const auto& pod : controller_.pods().by_index(kPodsByNetworkIndex, key)) {
    const auto& meta = pod->at("metadata");
    int ordinal = ordinal_of_pod(network.name, meta.at("name").as_string());
    if (ordinal < 0 || ordinal >= network.spec.nodes) continue;
    route.nodes.push_back(bitcoin::NetworkNode{ordinal, pod_ip(*pod), static_cast<std::uint16_t>(kRpcPort),
                                               pod_is_ready(*pod) && !pod_is_terminating(*pod)});
  }
  std::sort(route.nodes.begin(), route.nodes.end(), [](const auto& a, const auto& b) { return a.ordinal < b.ordinal; });
  return route;
}

}  // namespace kb::controller
