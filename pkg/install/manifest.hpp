#pragma once
// One object of a rendered chart, and the order Helm installs objects in.
#include "pkg/kube/object_meta.hpp"

#include <boost/json/value.hpp>

#include <string>
#include <vector>

namespace kb::install {

struct Manifest {
  std::string source;         // "bitcoin-controller/templates/deployment.yaml"
  boost::json::value object;  // the parsed document
};

using kube::api_version_of;
using kube::kind_of;
using kube::name_of;
using kube::namespace_of;
// "Deployment bitcoin-controller/bitcoin-controller" (namespace/name) or "ClusterRole x".
std::string describe(const boost::json::value& object);
// A key that identifies the object across renderings: "apiGroup/Kind/namespace/name".
std::string identity(const boost::json::value& object);

// Helm's install order (kinds not in the list go last, in their original order); uninstall is the reverse.
int install_rank(const std::string& kind);
void sort_for_install(std::vector<Manifest>& manifests);

}  // namespace kb::install
