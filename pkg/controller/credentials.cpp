#include "pkg/controller/credentials.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/bitcoin/secret_credentials.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <boost/json.hpp>

#include <stdexcept>

namespace kb::controller {

RandomBytes system_random() {
  return [](std::size_t count) {
    std::string bytes(count, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(bytes.data()), static_cast<int>(count)) != 1) {
      throw std::runtime_error("OpenSSL RAND_bytes failed");
    }
    return bytes;
  };
}

namespace {
std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out.push_back(digits[data[i] >> 4]);
    out.push_back(digits[data[i] & 15]);
  }
  return out;
}
}  // namespace

std::string rpcauth_line(const RpcCredentials& credentials, std::string_view salt_hex) {
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), salt_hex.data(), static_cast<int>(salt_hex.size()),
       reinterpret_cast<const unsigned char*>(credentials.password.data()), credentials.password.size(), mac,
       &mac_size);
  return credentials.user + ":" + std::string(salt_hex) + "$" + to_hex(mac, mac_size);
}

namespace {
// HMAC-SHA256(key, purpose NUL namespace NUL name NUL uid) in hex. The NULs keep the fields apart
// ("a-b"/"c" and "a"/"b-c" never collide: names cannot contain NUL); the purpose keeps the
// password and the salt independent.
std::string derive_hex(const CredentialKey& key, std::string_view purpose, const api::BitcoinNetwork& network) {
  std::string message(purpose);
  for (const auto* part : {&network.namespace_name, &network.name, &network.uid}) {
    message.push_back('\0');
    message += *part;
  }
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_size = 0;
  HMAC(EVP_sha256(), key.bytes.data(), static_cast<int>(key.bytes.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), mac, &mac_size);
  return to_hex(mac, mac_size);
}
}  // namespace

RpcCredentials derived_credentials(const CredentialKey& key, const api::BitcoinNetwork& network) {
  return RpcCredentials{std::string(kGeneratedUser), derive_hex(key, "kubectl-bitcoin rpc password v1", network)};
}

std::string derived_rpcauth_salt(const CredentialKey& key, const api::BitcoinNetwork& network) {
  return derive_hex(key, "kubectl-bitcoin rpcauth salt v1", network).substr(0, 32);
}

bool rpcauth_matches(std::string_view line, const RpcCredentials& credentials) {
  // Split as bitcoind does (httprpc.cpp): the user ends at the first ':', and the rest is
  // <salt>$<hash>. Searching the whole line for '$' would cut a user name such as "a$b" and
  // give a new salt, a new fingerprint and a rolling restart on every reconcile.
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return false;
  auto rest = line.substr(colon + 1);
  auto dollar = rest.find('$');
  if (dollar == std::string_view::npos) return false;
  if (line.substr(0, colon) != credentials.user) return false;
  auto expected = rpcauth_line(credentials, rest.substr(0, dollar));
  return expected.size() == line.size() && CRYPTO_memcmp(expected.data(), line.data(), line.size()) == 0;
}

std::optional<RpcCredentials> credentials_from_secret(const boost::json::value& secret, std::string& problem) {
  try {
    auto credentials = bitcoin::credentials_from_secret(secret);
    if (credentials.user.find(':') != std::string::npos) {
      problem = "has a " + std::string(api::kRpcUserKey) + " containing ':'";
      return std::nullopt;
    }
    return credentials;
  } catch (const bitcoin::RpcCredentialsError& e) {
    problem = e.what();
    return std::nullopt;
  }
}

}  // namespace kb::controller
