#pragma once
// RPC credentials of a network. bitcoind never sees the password: it gets Bitcoin Core's
// `-rpcauth=<user>:<salt>$<hmac-sha256(salt, password)>` line, so neither the pod spec, nor the
// process arguments, nor the node's logs contain it.
//
// Generated credentials are derived, not stored-and-read: password = HMAC-SHA256 over the
// network's namespace, name and UID, keyed with a secret key the controller keeps in its own
// namespace (credential_key.hpp). So the controller can compute any network's password without
// reading Secrets cluster-wide (its RBAC has no list/watch on Secrets), every replica computes the
// same one, and a network re-created under the same name (new UID) gets a new password.
#include "pkg/api/bitcoin_network.hpp"
#include "pkg/bitcoin/rpc_endpoint.hpp"

#include <boost/json/value.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace kb::controller {

// The same type the RPC client authenticates with.
using RpcCredentials = bitcoin::UserPassword;

// A source of random bytes; the controller passes OpenSSL's RAND_bytes, tests a fixed sequence.
using RandomBytes = std::function<std::string(std::size_t count)>;
RandomBytes system_random();

// The controller's derivation key (raw bytes; at least 32).
struct CredentialKey {
  std::string bytes;
};

// The user name of generated credentials.
inline constexpr std::string_view kGeneratedUser = "bitcoin";

// Generated credentials of a network: user "bitcoin", password 64 hex characters.
RpcCredentials derived_credentials(const CredentialKey& key, const api::BitcoinNetwork& network);

// The rpcauth salt (32 hex characters) of a network, derived like the password, so that the
// rpcauth line is the same on every reconcile and every replica without reading it back.
std::string derived_rpcauth_salt(const CredentialKey& key, const api::BitcoinNetwork& network);

// The rpcauth line for these credentials with this salt (32 hex characters in bitcoind's own tool).
std::string rpcauth_line(const RpcCredentials& credentials, std::string_view salt_hex);

// True when `line` is an rpcauth line for exactly these credentials (so it need not be rewritten).
bool rpcauth_matches(std::string_view line, const RpcCredentials& credentials);

// Credentials from a Secret object's data (base64 values of BC_RPC_USER and BC_RPC_PASSWORD);
// nullopt with `problem` set when a key is missing or empty.
std::optional<RpcCredentials> credentials_from_secret(const boost::json::value& secret, std::string& problem);

}  // namespace kb::controller
