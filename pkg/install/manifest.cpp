#include "pkg/install/manifest.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <array>
#include <string_view>

namespace kb::install {
namespace json = boost::json;

namespace {
std::string meta_field(const json::value& object, std::string_view key) {
  if (!object.is_object()) return {};
  const auto* meta = object.as_object().if_contains("metadata");
  const auto* v = meta && meta->is_object() ? meta->as_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
std::string top_field(const json::value& object, std::string_view key) {
  const auto* v = object.is_object() ? object.as_object().if_contains(key) : nullptr;
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}
}  // namespace

std::string kind_of(const json::value& object) { return top_field(object, "kind"); }
std::string api_version_of(const json::value& object) { return top_field(object, "apiVersion"); }
std::string name_of(const json::value& object) { return meta_field(object, "name"); }
std::string namespace_of(const json::value& object) { return meta_field(object, "namespace"); }

std::string describe(const json::value& object) {
  auto ns = namespace_of(object);
  return kind_of(object) + " " + (ns.empty() ? "" : ns + "/") + name_of(object);
}

std::string identity(const json::value& object) {
  auto api_version = api_version_of(object);
  auto slash = api_version.find('/');
  std::string group = slash == std::string::npos ? "" : api_version.substr(0, slash);
  return group + "/" + kind_of(object) + "/" + namespace_of(object) + "/" + name_of(object);
}

int install_rank(const std::string& kind) {
  // Helm 3's InstallOrder (pkg/releaseutil/kind_sorter.go), the kinds a chart commonly has.
  static constexpr std::array<std::string_view, 36> order = {"PriorityClass",
                                                             "Namespace",
                                                             "NetworkPolicy",
                                                             "ResourceQuota",
                                                             "LimitRange",
                                                             "PodSecurityPolicy",
                                                             "PodDisruptionBudget",
                                                             "ServiceAccount",
                                                             "Secret",
                                                             "SecretList",
                                                             "ConfigMap",
                                                             "StorageClass",
                                                             "PersistentVolume",
                                                             "PersistentVolumeClaim",
                                                             "CustomResourceDefinition",
                                                             "ClusterRole",
                                                             "ClusterRoleList",
                                                             "ClusterRoleBinding",
                                                             "ClusterRoleBindingList",
                                                             "Role",
                                                             "RoleList",
                                                             "RoleBinding",
                                                             "RoleBindingList",
                                                             "Service",
                                                             "DaemonSet",
                                                             "Pod",
                                                             "ReplicationController",
                                                             "ReplicaSet",
                                                             "Deployment",
                                                             "HorizontalPodAutoscaler",
                                                             "StatefulSet",
                                                             "Job",
                                                             "CronJob",
                                                             "IngressClass",
                                                             "Ingress",
                                                             "APIService"};
  for (std::size_t i = 0; i < order.size(); ++i) {
    if (order[i] == kind) return static_cast<int>(i);
  }
  return static_cast<int>(order.size());
}

void sort_for_install(std::vector<Manifest>& manifests) {
  std::stable_sort(manifests.begin(), manifests.end(), [](const Manifest& a, const Manifest& b) {
    return install_rank(kind_of(a.object)) < install_rank(kind_of(b.object));
  });
}

}  // namespace kb::install
