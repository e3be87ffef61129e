#pragma once
// Type and object metadata of any Kubernetes object held as JSON (metav1.TypeMeta/ObjectMeta).
// Every accessor tolerates a malformed object: a missing or mistyped field reads as empty/absent.
//
//   kind_of(o)  api_version_of(o)  name_of(o)  namespace_of(o)  uid_of(o)  resource_version_of(o)
//   label_of(o, "app")  annotation_of(o, "x")      optional<string>
//   labels_of(o)  annotations_of(o)                 const json::object* (nullptr when absent)
//   owner_references_of(o)  controller_of(o)        the owners; the one with controller: true
//   is_terminating(o)                               metadata.deletionTimestamp is set
//   generation_of(o)                                metadata.generation (0 when absent)
//   spec_or_lifecycle_changed(before, after)        generation or deletionTimestamp differ: a change
//                                                   someone made to the object, not a status write
#include <boost/json/fwd.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::kube {

std::string kind_of(const boost::json::value& object);
std::string api_version_of(const boost::json::value& object);
std::string name_of(const boost::json::value& object);
std::string namespace_of(const boost::json::value& object);
std::string uid_of(const boost::json::value& object);
std::string resource_version_of(const boost::json::value& object);

const boost::json::object* metadata_of(const boost::json::value& object);
const boost::json::object* labels_of(const boost::json::value& object);
const boost::json::object* annotations_of(const boost::json::value& object);
std::optional<std::string> label_of(const boost::json::value& object, std::string_view key);
std::optional<std::string> annotation_of(const boost::json::value& object, std::string_view key);

struct OwnerReference {
  std::string api_version;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
};
// Entries without a uid are skipped: the garbage collector ignores them too.
std::vector<OwnerReference> owner_references_of(const boost::json::value& object);
std::optional<OwnerReference> controller_of(const boost::json::value& object);

bool is_terminating(const boost::json::value& object);
std::int64_t generation_of(const boost::json::value& object);
bool spec_or_lifecycle_changed(const boost::json::value& before, const boost::json::value& after);

}  // namespace kb::kube
