#pragma once
// Does a live object already hold what the controller's server-side apply would write? Like
// base::is_subset (every field we set has our value), with one difference that matters once other
// managers touch the object: lists whose entries have names (containers, env, volumes, ports) are
// what server-side apply merges by key, so an entry another manager added (a user's env variable,
// a sidecar) is theirs and not a difference; nor is the order the merge left them in. An extra
// entry that our own field manager owns (one we set once and no longer want) still is, so the
// apply that removes it is sent. Lists without names (args) are compared whole, as server-side
// apply replaces them whole.
#include <boost/json/value.hpp>

#include <functional>
#include <string>
#include <string_view>

namespace kb::controller {

bool holds_applied(const boost::json::value& desired, const boost::json::value& live, std::string_view field_manager);
// Where they first differ, e.g. ".spec.template.spec.containers[bitcoind].image"; "" when held.
std::string applied_difference(const boost::json::value& desired, const boost::json::value& live,
                               std::string_view field_manager);

// An informer transform for the objects the controller applies: drops what kube's default
// transform drops, but keeps `field_manager`'s own Apply entry of managedFields, which
// holds_applied reads (the other managers' entries are the bulk).
std::function<void(boost::json::value&)> keep_own_applied_fields(std::string field_manager);

}  // namespace kb::controller
