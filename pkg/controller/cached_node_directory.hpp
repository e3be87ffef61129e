#pragma once
// The RPC gateway's view of networks, served from the controller's informer caches: which pods a
// network has (ordinal, IP, readiness) and its RPC credentials. Reads only; thread-safe because
// the stores are.
#include "pkg/bitcoin/node_directory.hpp"
#include "pkg/controller/controller.hpp"

namespace kb::controller {

class CachedNodeDirectory final : public bitcoin::NodeDirectory {
 public:
  explicit CachedNodeDirectory(Controller& controller) : controller_(controller) {}
  std::optional<bitcoin::NetworkRoute> find_network(std::string_view namespace_name,
                                                    std::string_view network) const override;

 private:
  Controller& controller_;
};

}  // namespace kb::controller
