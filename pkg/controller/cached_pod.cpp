#include "pkg/controller/cached_pod.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace kb::controller {
namespace json = boost::json;

namespace {

template <std::size_t N>
void keep_only(json::object& object, const std::array<std::string_view, N>& keep) {
  for (auto it = object.begin(); it != object.end();) {
    if (std::find(keep.begin(), keep.end(), std::string_view(it->key())) == keep.end()) {
      it = object.erase(it);
    } else {
      ++it;
    }
  }
}

// Every field below has a reader: owned_nodes and index_by_network (labels, ownerReferences),
// the informer (resourceVersion), find_node_pods and compute_status (deletionTimestamp, podIP,
// conditions, containerStatuses). podIPs and phase stay for whoever reads a pod as kubectl shows it.
constexpr std::array<std::string_view, 7> kMetadataRead{
    "name", "namespace", "uid", "resourceVersion", "labels", "ownerReferences", "deletionTimestamp"};
constexpr std::array<std::string_view, 5> kStatusRead{"phase", "podIP", "podIPs", "conditions", "containerStatuses"};

}  // namespace

void keep_pod_fields_read(json::value& pod) {
  auto* object = pod.if_object();
  if (!object) return;
  keep_only(*object, std::array<std::string_view, 4>{"apiVersion", "kind", "metadata", "status"});
  if (auto* metadata = object->if_contains("metadata"); metadata && metadata->is_object()) {
    keep_only(metadata->as_object(), kMetadataRead);
  }
  if (auto* status = object->if_contains("status"); status && status->is_object()) {
    keep_only(status->as_object(), kStatusRead);
  }
}

}  // namespace kb::controller
