#pragma once
// How the nodes of a network connect to each other: the values spec.topology may take.
#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::api {

// mesh: every node to every other; ring: i to i+1 and the last to the first; star: every node to
// the hub; custom: exactly spec.customEdges.
enum class Topology { mesh, ring, star, random, custom };

// Every topology, in the order the CRD's enum and the CLI's help list them.
inline constexpr std::array<Topology, 5> kTopologies{Topology::mesh, Topology::ring, Topology::star, Topology::random,
                                                     Topology::custom};

std::string_view to_string(Topology topology);
std::optional<Topology> parse_topology(std::string_view text);
// The names of kTopologies, for option checks and completion.
std::vector<std::string> topology_names();

}  // namespace kb::api
