#include "pkg/controller/random_topology.hpp"

#include <algorithm>
#include <set>
#include <utility>

namespace kb::controller {
namespace {

// SplitMix64 (Steele, Lea and Flood): small, fast, well mixed, and fully specified, so the graph
// for a seed is the same wherever the controller runs.
class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t state) : state_(state) {}
  std::uint64_t next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30U)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27U)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31U);
  }
  // A number in [0, bound). The modulo bias is below 2^-50 for the bounds used here (< 100).
  std::size_t below(std::size_t bound) { return static_cast<std::size_t>(next() % bound); }

 private:
  std::uint64_t state_;
};

// The generator node `ordinal` draws its peers with: depends on the seed and the ordinal only.
SplitMix64 generator_for(std::uint64_t seed, int ordinal) {
  SplitMix64 mix(seed);
  return SplitMix64(mix.next() ^ (static_cast<std::uint64_t>(ordinal) * 0xD1B54A32D192ED03ULL));
}

}  // namespace

std::vector<api::Edge> random_topology_edges(int nodes, int degree, std::uint64_t seed) {
  std::vector<api::Edge> edges;
  if (nodes < 2 || degree < 1) return edges;
  const int joins = std::max(1, degree / 2);
  std::vector<int> peers(static_cast<std::size_t>(nodes), 0);
  std::set<std::pair<int, int>> sorted;
  for (int node = 1; node < nodes; ++node) {
    std::vector<int> candidates;
    for (int earlier = 0; earlier < node; ++earlier) {
      if (peers[static_cast<std::size_t>(earlier)] < degree) candidates.push_back(earlier);
    }
    auto generator = generator_for(seed, node);
    const auto picks = std::min(static_cast<std::size_t>(joins), candidates.size());
    // A partial Fisher-Yates shuffle: the first `picks` candidates become a uniform sample.
    for (std::size_t k = 0; k < picks; ++k) {
      std::swap(candidates[k], candidates[k + generator.below(candidates.size() - k)]);
      const int peer = candidates[k];
      ++peers[static_cast<std::size_t>(peer)];
      ++peers[static_cast<std::size_t>(node)];
      sorted.insert({peer, node});
    }
  }
  for (auto [a, b] : sorted) edges.push_back(api::Edge{a, b});
  return edges;
}

}  // namespace kb::controller
