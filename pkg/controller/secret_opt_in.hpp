#pragma once
// Which networks may use a Secret that the controller did not create. A BitcoinNetwork names its
// Secret in spec.secret; without this check anyone allowed to create a network could point it at
// any Secret of the namespace that happens to have BC_RPC_USER / BC_RPC_PASSWORD keys and have the
// controller hand that password to pods and gateway callers. The Secret's owner opts in with an
// annotation on the Secret, which the network's author cannot set unless they may edit the Secret:
//
//   metadata.annotations["bitcoin.kubectl-bitcoin.dev/allowed-networks"]: "net-a, net-b"   or "*"
//
// Names are BitcoinNetwork names in the Secret's own namespace (spec.secret never crosses
// namespaces); "*" allows every network of the namespace.
#include <boost/json/value.hpp>

#include <string_view>

namespace kb::controller {

inline constexpr std::string_view kAllowedNetworksAnnotation = "bitcoin.kubectl-bitcoin.dev/allowed-networks";

// True when the Secret's annotation lists `network` (or "*"). Entries are separated by commas and
// surrounding blanks are ignored; an absent or empty annotation allows no network.
bool secret_allows_network(const boost::json::value& secret, std::string_view network);

}  // namespace kb::controller
