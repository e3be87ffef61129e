#include "pkg/api/topology.hpp"

namespace kb::api {

std::string_view to_string(Topology topology) {
  switch (topology) {
    case Topology::mesh:
      return "mesh";
    case Topology::ring:
      return "ring";
    case Topology::star:
      return "star";
    case Topology::random:
      return "random";
    case Topology::custom:
      return "custom";
  }
  return "mesh";
}

std::optional<Topology> parse_topology(std::string_view text) {
  for (auto topology : kTopologies) {
    if (to_string(topology) == text) return topology;
  }
  return std::nullopt;
}

std::vector<std::string> topology_names() {
  std::vector<std::string> names;
  for (auto topology : kTopologies) names.emplace_back(to_string(topology));
  return names;
}

}  // namespace kb::api
