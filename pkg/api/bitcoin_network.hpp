#pragma once
// The BitcoinNetwork resource as the controller, the CLI and the tests read it: a typed view over
// the JSON object, with the API server's defaults re-applied so that objects written before a
// default existed behave the same.
#include "pkg/api/group_version.hpp"
#include "pkg/api/partitions.hpp"
#include "pkg/api/topology.hpp"

#include <boost/json/value.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kb::api {

// The defaults of the spec: the CRD's schema states each of them too (test/unit/api/crd_test.cpp
// holds every `default:` in manifests/crd.yaml against these).
inline constexpr std::string_view kDefaultImage = "bitcoin/bitcoin:29.3";
inline constexpr std::string_view kDefaultImagePullPolicy = "IfNotPresent";
inline constexpr Topology kDefaultTopology = Topology::mesh;
inline constexpr int kDefaultHub = 0;
// A random topology: every node has at most `degree` peers (the CRD's bounds: at least 2 so the
// graph can be more than a tree's leaves, at most 8 so no node needs more than bitcoind's 8
// outbound addnode connections), and the same seed always gives the same graph.
inline constexpr int kDefaultDegree = 4;
inline constexpr int kMinDegree = 2;
inline constexpr int kMaxDegree = 8;
inline constexpr std::int64_t kDefaultSeed = 0;
inline constexpr bool kDefaultMiningEnabled = false;
inline constexpr int kDefaultMiningIntervalSeconds = 10;
inline constexpr int kDefaultMiningNode = 0;
// The largest network (the CRD's maximum for spec.nodes).
inline constexpr int kMaxNodes = 100;

struct Edge {
  int from = 0;
  int to = 0;
  friend bool operator==(const Edge&, const Edge&) = default;
};

struct MiningSpec {
  bool enabled = kDefaultMiningEnabled;
  int interval_seconds = kDefaultMiningIntervalSeconds;
  int node = kDefaultMiningNode;
  std::string address;  // empty: derived from the network's UID
};

struct StorageSpec {
  std::string size;  // a resource.Quantity; empty means an emptyDir
  std::string storage_class_name;
};

struct NetworkSpec {
  int nodes = 0;
  std::string secret;  // empty: the controller generates <name>-rpc
  std::string image{kDefaultImage};
  std::string image_pull_policy{kDefaultImagePullPolicy};
  Topology topology = kDefaultTopology;
  int hub = kDefaultHub;
  int degree = kDefaultDegree;       // topology random
  std::int64_t seed = kDefaultSeed;  // topology random
  std::vector<Edge> custom_edges;
  MiningSpec mining;
  std::vector<std::string> args;
  boost::json::value resources;  // a ResourceRequirements object, or null
  StorageSpec storage;
  // Shape only (lists of named groups of integers); check_partitions() holds the rules.
  std::vector<PartitionGroup> partitions;
  int partition_duration_seconds = 0;  // 0: the partition lasts until spec.partitions is cleared
};

struct BitcoinNetwork {
  std::string name;
  std::string namespace_name;
  std::string uid;
  std::int64_t generation = 0;
  NetworkSpec spec;
  boost::json::value status;  // as last written, or null
};

// The object does not have the shape the CRD promises (the API server validates, so this
// means a stale or foreign object); the message names the field.
class NetworkSpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

BitcoinNetwork parse_network(const boost::json::value& object);
// The spec alone (the object's "spec"), with the defaults applied.
NetworkSpec parse_spec(const boost::json::value& spec);

}  // namespace kb::api
