#include "pkg/controller/credential_key.hpp"

#include "pkg/base/base64.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

CredentialKey credential_key_from_secret(const json::value& secret) {
  const auto* object = secret.if_object();
  const auto* metadata = object ? object->if_contains("metadata") : nullptr;
  const auto* name = metadata && metadata->is_object() ? metadata->get_object().if_contains("name") : nullptr;
  std::string what = "Secret " + (name && name->is_string() ? std::string(name->get_string()) : std::string("?"));
  const auto* data = object ? object->if_contains("data") : nullptr;
  const auto* value = data && data->is_object() ? data->get_object().if_contains(kCredentialKeyField) : nullptr;
  if (!value || !value->is_string()) {
    throw CredentialKeyError(what + " has no data." + std::string(kCredentialKeyField) +
                             "; delete it and restart the controller to create a new key");
  }
  auto bytes = base::base64_decode(value->get_string());
  if (!bytes || bytes->size() < kCredentialKeyBytes) {
    throw CredentialKeyError(what + ": data." + std::string(kCredentialKeyField) + " is not " +
                             std::to_string(kCredentialKeyBytes) +
                             " or more base64 bytes; delete it and restart the controller to create a new key");
  }
  return CredentialKey{std::move(*bytes)};
}

json::value desired_credential_key_secret(std::string_view namespace_name, std::string_view name,
                                          const CredentialKey& key) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata",
                       {{"name", name},
                        {"namespace", namespace_name},
                        {"labels",
                         {{"app.kubernetes.io/name", "bitcoin-controller"},
                          {"app.kubernetes.io/component", "credential-key"},
                          {"app.kubernetes.io/part-of", "kubectl-bitcoin"}}}}},
                      {"type", "Opaque"},
                      {"data", {{kCredentialKeyField, base::base64_encode(key.bytes)}}}};
}

CredentialKey load_or_create_credential_key(const kube::Client& client, const std::string& namespace_name,
                                            const std::string& name, const RandomBytes& random) {
  auto ref = kube::refs::secrets(namespace_name, name);
  if (auto existing = client.get_if_exists(ref)) return credential_key_from_secret(*existing);
  CredentialKey fresh{random(kCredentialKeyBytes)};
  try {
    return credential_key_from_secret(
        client.create(ref.collection(), desired_credential_key_secret(namespace_name, name, fresh)));
  } catch (const kube::ApiError& e) {
    if (!kube::is_already_exists(e)) throw;
  }
  return credential_key_from_secret(client.get(ref));
}

}  // namespace kb::controller
