#pragma once
// The RPC gateway's view of networks, served from the controller's informer caches: which pods a
// network has (ordinal, IP, readiness) and its RPC credentials (NetworkCredentials::lookup:
// derived, or an opted-in user Secret remembered for a bounded time; never one GET per request).
// Reads only; thread-safe because the stores and NetworkCredentials are.
//
// The gateway gets a network only when the controller may use its credentials, and only the pods
// the network really owns: credentials are never sent to a pod that merely carries the network
// label or belongs to a same-named StatefulSet the network does not control.
#include "pkg/bitcoin/node_directory.hpp"
#include "pkg/controller/controller.hpp"

#include <boost/json/value.hpp>

#include <vector>

namespace kb::controller {

// Pure: the network's nodes, sorted by ordinal: pods controlled by `statefulset`, which must be
// controlled by the network (by UID); nothing when it is absent or foreign.
std::vector<bitcoin::NetworkNode> owned_nodes(const api::BitcoinNetwork& network, const boost::json::value* statefulset,
                                              const std::vector<kube::ObjectPtr>& pods);

class CachedNodeDirectory final : public bitcoin::NodeDirectory {
 public:
  explicit CachedNodeDirectory(Controller& controller) : controller_(controller) {}
  std::optional<bitcoin::NetworkRoute> find_network(std::string_view namespace_name,
                                                    std::string_view network) const override;

 private:
  Controller& controller_;
};

}  // namespace kb::controller
