#pragma once
// A deterministic regtest P2PKH address for a network's mining rewards, derived from the network's
// UID. Nobody holds its key: regtest coins are play money, and a fixed address means the controller
// needs no wallet (many regtest nodes are built without one). Base58Check with version byte 0x6f
// is understood by Bitcoin Core and by the nodes derived from it.
#include <string>
#include <string_view>

namespace kb::controller {

std::string base58check_encode(std::string_view payload);
std::string derived_regtest_address(std::string_view seed);

}  // namespace kb::controller
