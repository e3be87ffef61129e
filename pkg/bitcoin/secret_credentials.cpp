#include "pkg/bitcoin/secret_credentials.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

namespace kb::bitcoin {
namespace json = boost::json;

namespace {
std::string secret_name(const json::value& secret) {
  // pkg/bitcoin sits beside pkg/kube, not on it: metadata is read with the base path helper.
  std::string name = base::string_at(secret, "metadata", "name").value_or("");
  std::string ns = base::string_at(secret, "metadata", "namespace").value_or("");
  return ns.empty() ? name : ns + "/" + name;
}

std::string decoded_key(const json::value& secret, std::string_view key) {
  const auto* value = base::json_at(secret, "data", key);
  if (value == nullptr || !value->is_string()) {
    throw RpcCredentialsError("Secret " + secret_name(secret) + " has no key " + std::string(key));
  }
  auto decoded = base::base64_decode(value->get_string());
  if (!decoded)
    throw RpcCredentialsError("Secret " + secret_name(secret) + ": key " + std::string(key) + " is not base64");
  return *decoded;
}
}  // namespace

UserPassword credentials_from_secret(const json::value& secret) {
  UserPassword credentials{decoded_key(secret, kSecretUserKey), decoded_key(secret, kSecretPasswordKey)};
  if (credentials.user.empty() || credentials.password.empty()) {
    throw RpcCredentialsError("Secret " + secret_name(secret) + " has an empty " + std::string(kSecretUserKey) +
                              " or " + std::string(kSecretPasswordKey));
  }
  return credentials;
}

}  // namespace kb::bitcoin
