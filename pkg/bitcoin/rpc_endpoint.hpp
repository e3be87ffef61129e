#pragma once
// Where a bitcoind's JSON-RPC interface listens and how to authenticate to it.
#include <cstdint>
#include <string>
#include <variant>

namespace kb::bitcoin {

// rpcuser/rpcpassword, as a network's Secret holds them (BC_RPC_USER, BC_RPC_PASSWORD).
struct UserPassword {
  std::string user;
  std::string password;
};

// bitcoind's `.cookie` file ("__cookie__:<hex>"), rewritten each time the node starts; it is
// read at every call so that a restarted node's new cookie is picked up without a new client.
struct CookieFile {
  std::string path;
};

using RpcCredentials = std::variant<UserPassword, CookieFile>;

struct RpcEndpoint {
  std::string host;
  std::uint16_t port = 0;
  RpcCredentials credentials;
  // Bitcoin Core serves wallet-scoped calls under /wallet/<name>; everything else uses "/".
  std::string path = "/";
};

// "host:port" (IPv6 literals in brackets): what errors and logs name. Never contains credentials.
std::string describe(const RpcEndpoint& endpoint);
std::string describe(const std::string& host, std::uint16_t port);

// "Basic <base64(user:password)>". Reads the cookie file; throws RpcCredentialsError when it
// cannot be read or does not look like a cookie (the error names the path, never the content).
std::string basic_authorization(const RpcCredentials& credentials);
std::string basic_authorization(const UserPassword& credentials);

}  // namespace kb::bitcoin
