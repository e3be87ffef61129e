#pragma once
// The BitcoinNetwork resource as the controller reads it: a typed view over the JSON object,
// with the API server's defaults re-applied so that objects written before a default existed
// behave the same.
#include <boost/json/value.hpp>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

inline constexpr std::string_view kGroup = "bitcoin.kubectl-bitcoin.dev";
inline constexpr std::string_view kVersion = "v1";
inline constexpr std::string_view kApiVersion = "bitcoin.kubectl-bitcoin.dev/v1";
inline constexpr std::string_view kKind = "BitcoinNetwork";
inline constexpr std::string_view kPlural = "bitcoinnetworks";
// The default bitcoind image; the CRD's default for spec.image says the same (checked by
// test/unit/controller/crd_test.cpp).
inline constexpr std::string_view kDefaultImage = "bitcoin/bitcoin:29.3";
// The largest network (the CRD's maximum for spec.nodes).
inline constexpr int kMaxNodes = 100;

enum class Topology { mesh, ring, star, custom };
std::string_view to_string(Topology topology);

struct Edge {
  int from = 0;
  int to = 0;
  friend bool operator==(const Edge&, const Edge&) = default;
};

struct MiningSpec {
  bool enabled = false;
  int interval_seconds = 10;
  int node = 0;
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
  std::string image_pull_policy = "IfNotPresent";
  Topology topology = Topology::mesh;
  int hub = 0;
  std::vector<Edge> custom_edges;
  MiningSpec mining;
  std::vector<std::string> args;
  boost::json::value resources;  // a ResourceRequirements object, or null
  StorageSpec storage;
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

}  // namespace kb::controller
