#include "pkg/kube/object_meta.hpp"

#include "pkg/base/json_path.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

namespace kb::kube {
namespace json = boost::json;

std::string kind_of(const json::value& object) { return base::string_at(object, "kind").value_or(""); }
std::string api_version_of(const json::value& object) { return base::string_at(object, "apiVersion").value_or(""); }
std::string name_of(const json::value& object) { return base::string_at(object, "metadata", "name").value_or(""); }
std::string namespace_of(const json::value& object) {
  return base::string_at(object, "metadata", "namespace").value_or("");
}
std::string uid_of(const json::value& object) { return base::string_at(object, "metadata", "uid").value_or(""); }
std::string resource_version_of(const json::value& object) {
  return base::string_at(object, "metadata", "resourceVersion").value_or("");
}

const json::object* metadata_of(const json::value& object) {
  const auto* meta = base::json_at(object, "metadata");
  return meta ? meta->if_object() : nullptr;
}

const json::object* labels_of(const json::value& object) {
  const auto* labels = base::json_at(object, "metadata", "labels");
  return labels ? labels->if_object() : nullptr;
}

const json::object* annotations_of(const json::value& object) {
  const auto* annotations = base::json_at(object, "metadata", "annotations");
  return annotations ? annotations->if_object() : nullptr;
}

std::optional<std::string> label_of(const json::value& object, std::string_view key) {
  return base::string_at(object, "metadata", "labels", key);
}

std::optional<std::string> annotation_of(const json::value& object, std::string_view key) {
  return base::string_at(object, "metadata", "annotations", key);
}

std::vector<OwnerReference> owner_references_of(const json::value& object) {
  std::vector<OwnerReference> owners;
  const auto* list = base::json_at(object, "metadata", "ownerReferences");
  if (!list || !list->is_array()) return owners;
  for (const auto& entry : list->get_array()) {
    OwnerReference owner{.api_version = base::string_at(entry, "apiVersion").value_or(""),
                         .kind = base::string_at(entry, "kind").value_or(""),
                         .name = base::string_at(entry, "name").value_or(""),
                         .uid = base::string_at(entry, "uid").value_or(""),
                         .controller = base::bool_at(entry, "controller").value_or(false)};
    if (!owner.uid.empty()) owners.push_back(std::move(owner));
  }
  return owners;
}

std::optional<OwnerReference> controller_of(const json::value& object) {
  for (auto& owner : owner_references_of(object)) {
    if (owner.controller) return std::move(owner);
  }
  return std::nullopt;
}

bool is_terminating(const json::value& object) {
  const auto* stamp = base::json_at(object, "metadata", "deletionTimestamp");
  return stamp && !stamp->is_null();
}

std::int64_t generation_of(const json::value& object) {
  const auto* generation = base::json_at(object, "metadata", "generation");
  return generation && generation->is_int64() ? generation->get_int64() : 0;
}

bool spec_or_lifecycle_changed(const json::value& before, const json::value& after) {
  // The API server bumps metadata.generation on every change outside status (for custom
  // resources with a status subresource) and never on status writes.
  return generation_of(before) != generation_of(after) || is_terminating(before) != is_terminating(after);
}

}  // namespace kb::kube
