#pragma once
// NetworkCredentials: the one place that decides a network's RPC credentials and whether the
// controller may use them, for the reconciler (the nodes' rpcauth, its own RPC calls) and the RPC
// gateway (CachedNodeDirectory: the caller check and the calls it forwards) alike.
//
//   spec.secret empty → derived from the controller's key (credentials.hpp): no API request at all.
//   spec.secret set   → that Secret, read with one GET by name (the controller may not list or
//                       watch Secrets), used only when it opts in to the network (secret_opt_in.hpp).
//
// User Secrets cannot be watched, so answers are remembered: refresh() (each reconcile) always
// reads; lookup() (each gateway request) reads only when the remembered answer is older than the
// TTL (the controller passes its resync period), so gateway traffic costs at most one GET per
// Secret per TTL, whatever the request rate, including for Secrets that are missing or refused.
// A Secret's change (or its opt-in being withdrawn) therefore reaches the nodes at the next
// reconcile and the gateway within the TTL.
#include "pkg/api/bitcoin_network.hpp"
#include "pkg/controller/credentials.hpp"

#include <boost/json/value.hpp>

#include <chrono>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace kb::controller {

struct CredentialsResult {
  std::optional<RpcCredentials> credentials;
  std::string reason;   // when there are none: SecretNotFound, SecretNotAllowed, SecretInvalid, SecretUnreadable
  std::string message;  // names the Secret and the next step; never a credential
};

// Pure: the decision for a network from its user Secret as read (nullptr: it does not exist).
CredentialsResult credentials_from_user_secret(const api::BitcoinNetwork& network, const boost::json::value* secret);

class NetworkCredentials {
 public:
  // GET a Secret by name; nullopt on 404; throws on other failures.
  using SecretReader =
      std::function<std::optional<boost::json::value>(const std::string& namespace_name, const std::string& name)>;
  using Now = std::function<std::chrono::steady_clock::time_point()>;

  NetworkCredentials(
      CredentialKey key, SecretReader reader, std::chrono::milliseconds ttl,
      Now now = [] { return std::chrono::steady_clock::now(); });

  // For the gateway. Never throws: a failed read is an answer (SecretUnreadable), remembered for
  // a shorter time so that an API server hiccup does not lock a network out for a whole TTL.
  CredentialsResult lookup(const api::BitcoinNetwork& network) const;
  // For the reconciler: reads the user Secret now. Throws what the reader throws.
  CredentialsResult refresh(const api::BitcoinNetwork& network) const;

  const CredentialKey& key() const { return key_; }

 private:
  struct Entry {
    std::optional<boost::json::value> secret;  // only what the decision needs; nullopt: not found
    std::string read_error;                    // non-empty: the read failed
    std::chrono::steady_clock::time_point read_at;
  };
  Entry read(const api::BitcoinNetwork& network) const;
  CredentialsResult decide(const api::BitcoinNetwork& network, const Entry& entry) const;
  void remember(const std::string& key, Entry entry) const;

  CredentialKey key_;
  SecretReader reader_;
  std::chrono::milliseconds ttl_;
  Now now_;
  mutable std::mutex mutex_;
  mutable std::map<std::string, Entry> entries_;  // "namespace/secret"
};

}  // namespace kb::controller
