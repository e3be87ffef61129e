#pragma once
// Where the controller keeps the key it derives generated credentials from (credentials.hpp): a
// Secret in the controller's own namespace, data.key = 32 random bytes. The first replica that
// finds none creates it; a replica that loses that race reads the winner's. The chart does not
// render it because a key in a template would change on every render (and be visible in the
// release history).
//
// Rotation: delete the Secret and restart the controller. Every generated password changes, the
// controller re-applies each <network>-rpc and <network>-rpcauth, and the pods roll.
#include "pkg/controller/credentials.hpp"
#include "pkg/kube/client.hpp"

#include <boost/json/value.hpp>

#include <stdexcept>
#include <string>
#include <string_view>

namespace kb::controller {

inline constexpr std::string_view kCredentialKeyField = "key";
inline constexpr std::size_t kCredentialKeyBytes = 32;

// The Secret holds no usable key (missing field, not base64, too short). The message names the
// Secret and what to do, never the value.
class CredentialKeyError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Pure: the key in a Secret object. Throws CredentialKeyError.
CredentialKey credential_key_from_secret(const boost::json::value& secret);

// Pure: a new key Secret (the controller's labels, no owner: it outlives any release).
boost::json::value desired_credential_key_secret(std::string_view namespace_name, std::string_view name,
                                                 const CredentialKey& key);

// GET the Secret by name; create it with a fresh key when there is none (AlreadyExists: read the
// one another replica created). Throws kube errors and CredentialKeyError.
CredentialKey load_or_create_credential_key(const kube::Client& client, const std::string& namespace_name,
                                            const std::string& name, const RandomBytes& random);

}  // namespace kb::controller
