#include "pkg/controller/ownership.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

namespace {
const json::object* controlling_reference(const json::value& object) {
  const auto* root = object.if_object();
  const auto* metadata = root ? root->if_contains("metadata") : nullptr;
  const auto* refs =
      metadata && metadata->is_object() ? metadata->get_object().if_contains("ownerReferences") : nullptr;
  if (!refs || !refs->is_array()) return nullptr;
  for (const auto& ref : refs->get_array()) {
    const auto* r = ref.if_object();
    const auto* controller = r ? r->if_contains("controller") : nullptr;
    if (controller && controller->is_bool() && controller->get_bool()) return r;
  }
  return nullptr;
}

std::string text(const json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  return value && value->is_string() ? std::string(value->get_string()) : std::string();
}
}  // namespace

std::string controller_uid(const json::value& object) {
  const auto* ref = controlling_reference(object);
  return ref ? text(*ref, "uid") : std::string();
}

bool is_controlled_by(const json::value& object, std::string_view uid) {
  return !uid.empty() && controller_uid(object) == uid;
}

std::optional<OwnershipConflict> find_ownership_conflict(std::string_view namespace_name, std::string_view network_uid,
                                                         const std::vector<ObservedObject>& objects) {
  for (const auto& observed : objects) {
    if (!observed.live || is_controlled_by(*observed.live, network_uid)) continue;
    const auto* ref = controlling_reference(*observed.live);
    std::string holder =
        ref ? "is controlled by " + text(*ref, "kind") + " " + text(*ref, "name") + " (uid " + text(*ref, "uid") + ")"
            : "has no controlling owner";
    return OwnershipConflict{
        observed.kind, observed.name,
        observed.kind + " " + std::string(namespace_name) + "/" + observed.name + " already exists and " + holder +
            ", not this BitcoinNetwork; the controller changes nothing until it is deleted or renamed"};
  }
  return std::nullopt;
}

}  // namespace kb::controller
