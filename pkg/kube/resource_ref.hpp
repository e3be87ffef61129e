#pragma once
// Generic addressing of API resources: group, version, plural resource, namespace, name, subresource.
//
//   ResourceRef::core("pods").in("ns").named("p")            /api/v1/namespaces/ns/pods/p
//   ResourceRef::of("apps", "v1", "statefulsets").in("ns")   /apis/apps/v1/namespaces/ns/statefulsets
//   refs::leases("ns", "x").sub("status")                     .../leases/x/status
//   ResourceRef::for_object(obj, "pods")                     namespace and name taken from obj.metadata
//
// An empty namespace on a namespaced resource means "all namespaces" for list/watch.
#include <boost/json/value.hpp>

#include <string>
#include <string_view>

namespace kb::kube {

struct ResourceRef {
  std::string group;           // "" for the core group
  std::string version;         // "v1"
  std::string resource;        // plural, lower case: "pods", "statefulsets", "bitcoinnetworks"
  std::string namespace_name;  // empty: cluster-scoped, or all namespaces for collections
  std::string name;            // empty: the collection
  std::string subresource;     // "status", "scale", "log", "proxy", ...

  static ResourceRef core(std::string resource);
  static ResourceRef of(std::string group, std::string version, std::string resource);
  // Group/version parsed from an apiVersion ("v1", "apps/v1").
  static ResourceRef of_api_version(std::string_view api_version, std::string resource);
  // Namespace and name from object.metadata, group/version from object.apiVersion.
  static ResourceRef for_object(const boost::json::value& object, std::string resource);

  ResourceRef in(std::string ns) const;
  ResourceRef named(std::string n) const;
  ResourceRef sub(std::string s) const;
  ResourceRef collection() const;  // the same without name and subresource

  std::string api_version() const;         // "v1" or "apps/v1"
  std::string group_version_path() const;  // "/api/v1" or "/apis/apps/v1"
  std::string path() const;                // URL path, segments percent-encoded
  std::string describe() const;            // "statefulsets.apps \"x\" in namespace \"ns\"" for messages

  friend bool operator==(const ResourceRef&, const ResourceRef&) = default;
};

// Shorthands for the resources this project touches.
namespace refs {
ResourceRef namespaces(std::string name = "");
ResourceRef pods(std::string ns = "", std::string name = "");
ResourceRef services(std::string ns = "", std::string name = "");
ResourceRef secrets(std::string ns = "", std::string name = "");
ResourceRef config_maps(std::string ns = "", std::string name = "");
ResourceRef service_accounts(std::string ns = "", std::string name = "");
ResourceRef core_events(std::string ns = "", std::string name = "");
ResourceRef events(std::string ns = "", std::string name = "");  // events.k8s.io/v1
ResourceRef stateful_sets(std::string ns = "", std::string name = "");
ResourceRef deployments(std::string ns = "", std::string name = "");
ResourceRef network_policies(std::string ns = "", std::string name = "");
ResourceRef leases(std::string ns = "", std::string name = "");
ResourceRef custom_resource_definitions(std::string name = "");
ResourceRef cluster_roles(std::string name = "");
ResourceRef cluster_role_bindings(std::string name = "");
ResourceRef roles(std::string ns = "", std::string name = "");
ResourceRef role_bindings(std::string ns = "", std::string name = "");
}  // namespace refs

// "ns/name" for namespaced objects, "name" for cluster-scoped ones (client-go's MetaNamespaceKey).
std::string object_key(const boost::json::value& object);
std::string object_key(std::string_view ns, std::string_view name);

// Percent-encodes a query parameter value or path segment.
std::string url_encode(std::string_view text);

}  // namespace kb::kube
