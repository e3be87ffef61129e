#pragma once
// API discovery: which group/versions and resources the server serves, kind -> plural resource.
// Results are cached per group/version; invalidate() forgets them (e.g. after installing a CRD).
//
//   Discovery d(client);
//   d.has_resource("bitcoin.example.io", "v1alpha1", "bitcoinnetworks")
//   d.resource_for_kind("apps/v1", "StatefulSet") -> ApiResource{resource = "statefulsets", namespaced = true}
#include "pkg/kube/client.hpp"

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace kb::kube {

struct ApiResource {
  std::string group;
  std::string version;
  std::string resource;  // plural
  std::string kind;
  bool namespaced = false;
  std::vector<std::string> verbs;
  std::vector<std::string> subresources;  // sorted: "scale", "status", ...

  ResourceRef ref() const { return ResourceRef::of(group, version, resource); }
};

class Discovery {
 public:
  explicit Discovery(Client client);

  // All resources of a group/version; nullopt when the server does not serve it (404).
  std::optional<std::vector<ApiResource>> resources(const std::string& api_version);
  bool has_group_version(const std::string& api_version);
  bool has_resource(const std::string& group, const std::string& version, const std::string& resource);
  std::optional<ApiResource> resource_for_kind(const std::string& api_version, const std::string& kind);
  // The preferred version of a group ("" when the group is not served). "" group: "v1".
  std::string preferred_version(const std::string& group);
  void invalidate();

 private:
  Client client_;
  std::mutex mutex_;
  std::map<std::string, std::optional<std::vector<ApiResource>>> cache_;
};

// Parses an APIResourceList document (exposed for tests).
std::vector<ApiResource> parse_api_resource_list(const boost::json::value& list);

}  // namespace kb::kube
