#pragma once
// How the nodes of a network connect to each other: the values spec.topology may take.
#include <array>
#include <optional>
#include <string_view>

namespace kb::api {

// mesh: every node to every other; ring: i to i+1 and the last to the first; star: every node to
// the hub; custom: exactly spec.customEdges.
enum class Topology { mesh, ring, star, custom };

// Every topology, in the order the CRD's enum and the CLI's help list them.
inline constexpr std::array<Topology, 4> kTopologies{Topology::mesh, Topology::ring, Topology::star, Topology::custom};

std::string_view to_string(Topology topology);
std::optional<Topology> parse_topology(std::string_view text);

}  // namespace kb::api
