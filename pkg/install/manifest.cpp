#include "pkg/install/manifest.hpp"

#include "pkg/chart/renderer.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <string_view>

namespace kb::install {
namespace json = boost::json;

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
