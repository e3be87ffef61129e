#include "pkg/controller/network_credentials.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/controller/secret_opt_in.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

CredentialsResult credentials_from_user_secret(const api::BitcoinNetwork& network, const json::value* secret) {
  const std::string what = "Secret " + network.namespace_name + "/" + network.spec.secret;
  if (!secret) {
    return {std::nullopt, "SecretNotFound",
            what + " not found; create it with keys BC_RPC_USER and BC_RPC_PASSWORD and the annotation " +
                std::string(kAllowedNetworksAnnotation) + ": " + network.name};
  }
  // Checked before the keys are even decoded: a Secret that did not opt in is never used.
  if (!secret_allows_network(*secret, network.name)) {
    return {std::nullopt, "SecretNotAllowed",
            what + " does not allow this network: its annotation " + std::string(kAllowedNetworksAnnotation) +
                " must list " + network.name + " (or be \"*\")"};
  }
  std::string problem;
  auto credentials = credentials_from_secret(*secret, problem);
  if (!credentials) return {std::nullopt, "SecretInvalid", what + ": " + problem};
  return {std::move(credentials), {}, {}};
}

namespace {
// The parts of a Secret the decision reads; the rest (other keys of a user's Secret) is not kept.
json::value trimmed(const json::value& secret) {
  json::object out;
  const auto& object = secret.as_object();
  if (const auto* metadata = object.if_contains("metadata"); metadata && metadata->is_object()) {
    json::object meta;
    for (const char* key : {"name", "namespace"}) {
      if (const auto* v = metadata->get_object().if_contains(key)) meta[key] = *v;
    }
    if (const auto* annotations = metadata->get_object().if_contains("annotations");
        annotations && annotations->is_object()) {
      if (const auto* v = annotations->get_object().if_contains(kAllowedNetworksAnnotation)) {
        meta["annotations"] = json::object{{kAllowedNetworksAnnotation, *v}};
      }
    }
    out["metadata"] = std::move(meta);
  }
  if (const auto* data = object.if_contains("data"); data && data->is_object()) {
    json::object kept;
    for (auto key : {api::kRpcUserKey, api::kRpcPasswordKey}) {
      if (const auto* v = data->get_object().if_contains(key)) kept[key] = *v;
    }
    out["data"] = std::move(kept);
  }
  return out;
}

std::string entry_key(const api::BitcoinNetwork& network) { return network.namespace_name + "/" + network.spec.secret; }
}  // namespace

NetworkCredentials::NetworkCredentials(CredentialKey key, SecretReader reader, std::chrono::milliseconds ttl, Now now)
    : key_(std::move(key)), reader_(std::move(reader)), ttl_(ttl), now_(std::move(now)) {}

NetworkCredentials::Entry NetworkCredentials::read(const api::BitcoinNetwork& network) const {
  Entry entry;
  auto secret = reader_(network.namespace_name, network.spec.secret);
  if (secret && secret->is_object()) entry.secret = trimmed(*secret);
  entry.read_at = now_();
  return entry;
}

CredentialsResult NetworkCredentials::decide(const api::BitcoinNetwork& network, const Entry& entry) const {
  if (!entry.read_error.empty()) {
    return {std::nullopt, "SecretUnreadable",
            "Secret " + network.namespace_name + "/" + network.spec.secret + " could not be read: " + entry.read_error};
  }
  return credentials_from_user_secret(network, entry.secret ? &*entry.secret : nullptr);
}

void NetworkCredentials::remember(const std::string& key, Entry entry) const {
  std::lock_guard lock(mutex_);
  // Bounded by the Secrets that networks name: forget what nobody asked for in two TTLs.
  std::erase_if(entries_, [&](const auto& e) { return entry.read_at - e.second.read_at > 2 * ttl_; });
  entries_[key] = std::move(entry);
}

CredentialsResult NetworkCredentials::lookup(const api::BitcoinNetwork& network) const {
  if (network.spec.secret.empty()) return {derived_credentials(key_, network), {}, {}};
  auto key = entry_key(network);
  {
    std::lock_guard lock(mutex_);
    if (auto it = entries_.find(key); it != entries_.end()) {
      auto age = now_() - it->second.read_at;
      auto limit =
          it->second.read_error.empty() ? ttl_ : std::min<std::chrono::milliseconds>(ttl_, std::chrono::seconds(5));
      if (age < limit) return decide(network, it->second);
    }
  }
  // Read outside the lock: a slow API server must not stall every other network's lookups.
  // Concurrent misses of one Secret may read it more than once (at most once per gateway thread).
  Entry entry;
  try {
    entry = read(network);
  } catch (const std::exception& e) {
    entry.read_error = e.what();
    entry.read_at = now_();
  }
  auto result = decide(network, entry);
  remember(key, std::move(entry));
  return result;
}

CredentialsResult NetworkCredentials::refresh(const api::BitcoinNetwork& network) const {
  if (network.spec.secret.empty()) return {derived_credentials(key_, network), {}, {}};
  auto entry = read(network);
  auto result = decide(network, entry);
  remember(entry_key(network), std::move(entry));
  return result;
}

}  // namespace kb::controller
