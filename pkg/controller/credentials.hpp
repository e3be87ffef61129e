#pragma once
// RPC credentials of a network. bitcoind never sees the password: it gets Bitcoin Core's
// `-rpcauth=<user>:<salt>$<hmac-sha256(salt, password)>` line, so neither the pod spec, nor the
// process arguments, nor the node's logs contain it.
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

// A fresh password of `length` characters from [A-Za-z0-9].
std::string generate_password(const RandomBytes& random, std::size_t length = 32);

// The rpcauth line for these credentials with this salt (32 hex characters in bitcoind's own tool).
std::string rpcauth_line(const RpcCredentials& credentials, std::string_view salt_hex);
std::string new_rpcauth_line(const RpcCredentials& credentials, const RandomBytes& random);

// True when `line` is an rpcauth line for exactly these credentials (so it need not be rewritten).
bool rpcauth_matches(std::string_view line, const RpcCredentials& credentials);

// Credentials from a Secret object's data (base64 values of BC_RPC_USER and BC_RPC_PASSWORD);
// nullopt with `problem` set when a key is missing or empty.
std::optional<RpcCredentials> credentials_from_secret(const boost::json::value& secret, std::string& problem);

}  // namespace kb::controller
