#pragma once
// Ownership: the controller changes an object only when it is controlled (ownerReference with
// controller: true) by the network being reconciled, identified by UID. Server-side apply with
// force would otherwise silently take over a Service, StatefulSet or Secret that merely has the
// name the controller would have chosen, e.g. one a user or another tool made, or one left by an
// earlier network of the same name that is being deleted.
#include <boost/json/value.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

// The uid of the object's controlling ownerReference; empty when it has none.
std::string controller_uid(const boost::json::value& object);

// True when the object's controlling ownerReference has this UID.
bool is_controlled_by(const boost::json::value& object, std::string_view uid);

// One object a network would write, as the controller found it (nullptr/absent: does not exist).
struct ObservedObject {
  std::string kind;  // "Service", "StatefulSet", "Secret", "NetworkPolicy"
  std::string name;
  const boost::json::value* live = nullptr;
};

struct OwnershipConflict {
  std::string kind;
  std::string name;
  std::string message;  // one sentence naming the object and what controls it
};

// The first object that exists and is not controlled by the network with this UID, in the order
// given; nullopt when the network may write them all.
std::optional<OwnershipConflict> find_ownership_conflict(std::string_view namespace_name, std::string_view network_uid,
                                                         const std::vector<ObservedObject>& objects);

}  // namespace kb::controller
