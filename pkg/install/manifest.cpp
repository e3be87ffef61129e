#include "pkg/install/manifest.hpp"

#include "pkg/chart/renderer.hpp"

#include <boost/json.hpp>

#include <algorithm>
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
  // Helm's install order, the same list the renderer sorts `template` output by.
  const auto& order = chart::install_order();
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
