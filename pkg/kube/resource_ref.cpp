#include "pkg/kube/resource_ref.hpp"

#include "pkg/kube/object_meta.hpp"

#include <boost/json/object.hpp>

namespace kb::kube {
namespace json = boost::json;

ResourceRef ResourceRef::core(std::string resource) { return ResourceRef{"", "v1", std::move(resource)}; }

ResourceRef ResourceRef::of(std::string group, std::string version, std::string resource) {
  return ResourceRef{std::move(group), std::move(version), std::move(resource)};
}

ResourceRef ResourceRef::of_api_version(std::string_view api_version, std::string resource) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return ResourceRef{"", std::string(api_version), std::move(resource)};
  return ResourceRef{std::string(api_version.substr(0, slash)), std::string(api_version.substr(slash + 1)),
                     std::move(resource)};
}

ResourceRef ResourceRef::for_object(const json::value& object, std::string resource) {
  ResourceRef ref = of_api_version(api_version_of(object), std::move(resource));
  ref.namespace_name = namespace_of(object);
  ref.name = name_of(object);
  return ref;
}

ResourceRef ResourceRef::in(std::string ns) const {
  ResourceRef r = *this;
  r.namespace_name = std::move(ns);
  return r;
}
ResourceRef ResourceRef::named(std::string n) const {
  ResourceRef r = *this;
  r.name = std::move(n);
  return r;
}
ResourceRef ResourceRef::sub(std::string s) const {
  ResourceRef r = *this;
  r.subresource = std::move(s);
  return r;
}
ResourceRef ResourceRef::collection() const {
  ResourceRef r = *this;
  r.name.clear();
  r.subresource.clear();
  return r;
}

std::string ResourceRef::api_version() const { return group.empty() ? version : group + "/" + version; }

std::string ResourceRef::group_version_path() const {
  return group.empty() ? "/api/" + version : "/apis/" + group + "/" + version;
}

std::string ResourceRef::path() const {
  std::string p = group_version_path();
  if (!namespace_name.empty()) p += "/namespaces/" + url_encode(namespace_name);
  p += "/" + resource;
  if (!name.empty()) p += "/" + url_encode(name);
  if (!subresource.empty()) p += "/" + subresource;
  return p;
}

std::string ResourceRef::describe() const {
  std::string text = group.empty() ? resource : resource + "." + group;
  if (!name.empty()) text += " \"" + name + "\"";
  if (!namespace_name.empty()) text += " in namespace \"" + namespace_name + "\"";
  return text;
}

namespace refs {
namespace {
ResourceRef make(std::string group, std::string version, std::string resource, std::string ns, std::string name) {
  ResourceRef r{std::move(group), std::move(version), std::move(resource)};
  r.namespace_name = std::move(ns);
  r.name = std::move(name);
  return r;
}
}  // namespace
ResourceRef namespaces(std::string name) { return make("", "v1", "namespaces", "", std::move(name)); }
ResourceRef pods(std::string ns, std::string name) { return make("", "v1", "pods", std::move(ns), std::move(name)); }
ResourceRef services(std::string ns, std::string name) {
  return make("", "v1", "services", std::move(ns), std::move(name));
}
ResourceRef secrets(std::string ns, std::string name) {
  return make("", "v1", "secrets", std::move(ns), std::move(name));
}
ResourceRef config_maps(std::string ns, std::string name) {
  return make("", "v1", "configmaps", std::move(ns), std::move(name));
}
ResourceRef service_accounts(std::string ns, std::string name) {
  return make("", "v1", "serviceaccounts", std::move(ns), std::move(name));
}
ResourceRef core_events(std::string ns, std::string name) {
  return make("", "v1", "events", std::move(ns), std::move(name));
}
ResourceRef events(std::string ns, std::string name) {
  return make("events.k8s.io", "v1", "events", std::move(ns), std::move(name));
}
ResourceRef stateful_sets(std::string ns, std::string name) {
  return make("apps", "v1", "statefulsets", std::move(ns), std::move(name));
}
ResourceRef deployments(std::string ns, std::string name) {
  return make("apps", "v1", "deployments", std::move(ns), std::move(name));
}
ResourceRef network_policies(std::string ns, std::string name) {
  return make("networking.k8s.io", "v1", "networkpolicies", std::move(ns), std::move(name));
}
ResourceRef leases(std::string ns, std::string name) {
  return make("coordination.k8s.io", "v1", "leases", std::move(ns), std::move(name));
}
ResourceRef custom_resource_definitions(std::string name) {
  return make("apiextensions.k8s.io", "v1", "customresourcedefinitions", "", std::move(name));
}
ResourceRef cluster_roles(std::string name) {
  return make("rbac.authorization.k8s.io", "v1", "clusterroles", "", std::move(name));
}
ResourceRef cluster_role_bindings(std::string name) {
  return make("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "", std::move(name));
}
ResourceRef roles(std::string ns, std::string name) {
  return make("rbac.authorization.k8s.io", "v1", "roles", std::move(ns), std::move(name));
}
ResourceRef role_bindings(std::string ns, std::string name) {
  return make("rbac.authorization.k8s.io", "v1", "rolebindings", std::move(ns), std::move(name));
}
}  // namespace refs

std::string object_key(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string key(ns);
  key += '/';
  key += name;
  return key;
}

std::string object_key(const json::value& object) { return object_key(namespace_of(object), name_of(object)); }

std::string url_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out.push_back(char(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

}  // namespace kb::kube
