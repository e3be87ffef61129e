#include "pkg/bitcoin/secret_credentials.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

namespace kb::bitcoin {
namespace json = boost::json;

namespace {
std::string secret_name(const json::value& secret) {
  const auto* object = secret.if_object();
  const auto* metadata = object ? object->if_contains("metadata") : nullptr;
  const auto* meta = metadata ? metadata->if_object() : nullptr;
  auto text = [&](std::string_view key) {
    const json::value* field = meta ? meta->if_contains(key) : nullptr;
    return field && field->is_string() ? std::string(field->get_string()) : std::string();
  };
  std::string ns = text("namespace");
  return ns.empty() ? text("name") : ns + "/" + text("name");
}

std::string decoded_key(const json::value& secret, std::string_view key) {
  const auto* object = secret.if_object();
  const auto* data = object ? object->if_contains("data") : nullptr;
  const auto* value = data && data->is_object() ? data->get_object().if_contains(key) : nullptr;
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
