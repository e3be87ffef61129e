#pragma once
// A network's RPC credentials as its Kubernetes Secret holds them (the original controller's
// layout, kept for its users): data.BC_RPC_USER and data.BC_RPC_PASSWORD, base64. Read by the
// controller (for its node calls and the gateway's NodeDirectory) and by the CLI (for the
// gateway's caller proof) from the same function, so both always agree.
#include <boost/json/value.hpp>
#include <string_view>

#include "pkg/bitcoin/rpc_endpoint.hpp"

namespace kb::bitcoin {

inline constexpr std::string_view kSecretUserKey = "BC_RPC_USER";
inline constexpr std::string_view kSecretPasswordKey = "BC_RPC_PASSWORD";

// Throws RpcCredentialsError naming the Secret and the missing or undecodable key (never a value).
UserPassword credentials_from_secret(const boost::json::value& secret);

}  // namespace kb::bitcoin
