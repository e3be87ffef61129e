#include "pkg/api/bitcoin_network.hpp"

#include <boost/json.hpp>

namespace kb::api {
namespace json = boost::json;

namespace {

const json::value* field(const json::object& object, std::string_view key) {
  auto it = object.find(key);
  if (it == object.end() || it->value().is_null()) return nullptr;
  return &it->value();
}

std::string string_field(const json::object& object, std::string_view key, std::string_view path,
                         std::string fallback = {}) {
  const auto* v = field(object, key);
  if (!v) return fallback;
  if (!v->is_string()) throw NetworkSpecError(std::string(path) + " must be a string");
  return std::string(v->as_string());
}

std::int64_t int_value(const json::value& v, std::string_view path) {
  if (v.is_int64()) return v.as_int64();
  if (v.is_uint64()) return static_cast<std::int64_t>(v.as_uint64());
  if (v.is_double() && v.as_double() == static_cast<double>(static_cast<std::int64_t>(v.as_double()))) {
    return static_cast<std::int64_t>(v.as_double());
  }
  throw NetworkSpecError(std::string(path) + " must be an integer");
}

std::int64_t int_field(const json::object& object, std::string_view key, std::string_view path, std::int64_t fallback) {
  const auto* v = field(object, key);
  return v ? int_value(*v, path) : fallback;
}

Topology topology_field(std::string_view text) {
  if (text.empty()) return kDefaultTopology;
  if (auto topology = parse_topology(text)) return *topology;
  std::string names;
  for (const auto& topology : topology_names()) names += (names.empty() ? "" : ", ") + topology;
  throw NetworkSpecError("spec.topology must be one of " + names + " (got \"" + std::string(text) + "\")");
}

}  // namespace

BitcoinNetwork parse_network(const json::value& object) {
  if (!object.is_object()) throw NetworkSpecError("a BitcoinNetwork must be a JSON object");
  const auto& root = object.as_object();
  BitcoinNetwork network;
  const auto* metadata = field(root, "metadata");
  if (!metadata || !metadata->is_object()) throw NetworkSpecError("metadata is missing");
  const auto& meta = metadata->as_object();
  network.name = string_field(meta, "name", "metadata.name");
  network.namespace_name = string_field(meta, "namespace", "metadata.namespace");
  network.uid = string_field(meta, "uid", "metadata.uid");
  network.generation = int_field(meta, "generation", "metadata.generation", 0);
  if (const auto* status = field(root, "status")) network.status = *status;

  const auto* spec_value = field(root, "spec");
  if (!spec_value) throw NetworkSpecError("spec is missing");
  network.spec = parse_spec(*spec_value);
  return network;
}

NetworkSpec parse_spec(const json::value& value) {
  if (!value.is_object()) throw NetworkSpecError("spec must be an object");
  const auto& spec = value.as_object();
  NetworkSpec out;
  out.nodes = static_cast<int>(int_field(spec, "nodes", "spec.nodes", 0));
  if (out.nodes < 0 || out.nodes > kMaxNodes) {
    throw NetworkSpecError("spec.nodes must be between 0 and " + std::to_string(kMaxNodes));
  }
  out.secret = string_field(spec, "secret", "spec.secret");
  out.image = string_field(spec, "image", "spec.image", std::string(kDefaultImage));
  if (out.image.empty()) out.image = std::string(kDefaultImage);
  out.image_pull_policy =
      string_field(spec, "imagePullPolicy", "spec.imagePullPolicy", std::string(kDefaultImagePullPolicy));
  out.topology = topology_field(string_field(spec, "topology", "spec.topology"));
  out.hub = static_cast<int>(int_field(spec, "hub", "spec.hub", kDefaultHub));
  out.degree = static_cast<int>(int_field(spec, "degree", "spec.degree", kDefaultDegree));
  if (out.degree < kMinDegree || out.degree > kMaxDegree) {
    throw NetworkSpecError("spec.degree must be between " + std::to_string(kMinDegree) + " and " +
                           std::to_string(kMaxDegree));
  }
  out.seed = int_field(spec, "seed", "spec.seed", kDefaultSeed);
  if (out.seed < 0) throw NetworkSpecError("spec.seed must not be negative");
  if (const auto* edges = field(spec, "customEdges")) {
    if (!edges->is_array()) throw NetworkSpecError("spec.customEdges must be a list");
    for (std::size_t i = 0; i < edges->as_array().size(); ++i) {
      const auto& e = edges->as_array()[i];
      std::string path = "spec.customEdges[" + std::to_string(i) + "]";
      if (!e.is_object()) throw NetworkSpecError(path + " must be an object with from and to");
      out.custom_edges.push_back(Edge{static_cast<int>(int_field(e.as_object(), "from", path + ".from", -1)),
                                      static_cast<int>(int_field(e.as_object(), "to", path + ".to", -1))});
      const auto& edge = out.custom_edges.back();
      if (edge.from < 0 || edge.to < 0) throw NetworkSpecError(path + " must have from and to");
    }
  }
  if (const auto* mining = field(spec, "mining")) {
    if (!mining->is_object()) throw NetworkSpecError("spec.mining must be an object");
    const auto& m = mining->as_object();
    if (const auto* enabled = field(m, "enabled")) {
      if (!enabled->is_bool()) throw NetworkSpecError("spec.mining.enabled must be a boolean");
      out.mining.enabled = enabled->as_bool();
    }
    out.mining.interval_seconds =
        static_cast<int>(int_field(m, "intervalSeconds", "spec.mining.intervalSeconds", kDefaultMiningIntervalSeconds));
    if (out.mining.interval_seconds < 1) throw NetworkSpecError("spec.mining.intervalSeconds must be at least 1");
    out.mining.node = static_cast<int>(int_field(m, "node", "spec.mining.node", kDefaultMiningNode));
    out.mining.address = string_field(m, "address", "spec.mining.address");
  }
  if (const auto* args = field(spec, "args")) {
    if (!args->is_array()) throw NetworkSpecError("spec.args must be a list of strings");
    for (const auto& a : args->as_array()) {
      if (!a.is_string()) throw NetworkSpecError("spec.args must be a list of strings");
      out.args.emplace_back(a.as_string());
    }
  }
  if (const auto* resources = field(spec, "resources")) out.resources = *resources;
  if (const auto* partitions = field(spec, "partitions")) {
    if (!partitions->is_array()) throw NetworkSpecError("spec.partitions must be a list of groups");
    for (std::size_t i = 0; i < partitions->as_array().size(); ++i) {
      const auto& g = partitions->as_array()[i];
      const std::string path = "spec.partitions[" + std::to_string(i) + "]";
      if (!g.is_object()) throw NetworkSpecError(path + " must be an object with name and nodes");
      PartitionGroup group{string_field(g.as_object(), "name", path + ".name"), {}};
      if (const auto* nodes = field(g.as_object(), "nodes")) {
        if (!nodes->is_array()) throw NetworkSpecError(path + ".nodes must be a list of node ordinals");
        for (std::size_t k = 0; k < nodes->as_array().size(); ++k) {
          group.nodes.push_back(
              static_cast<int>(int_value(nodes->as_array()[k], path + ".nodes[" + std::to_string(k) + "]")));
        }
      }
      out.partitions.push_back(std::move(group));
    }
  }
  out.partition_duration_seconds =
      static_cast<int>(int_field(spec, "partitionDurationSeconds", "spec.partitionDurationSeconds", 0));
  if (out.partition_duration_seconds < 0) throw NetworkSpecError("spec.partitionDurationSeconds must not be negative");
  if (const auto* storage = field(spec, "storage")) {
    if (!storage->is_object()) throw NetworkSpecError("spec.storage must be an object");
    const auto& s = storage->as_object();
    if (const auto* size = field(s, "size")) {
      out.storage.size = size->is_string() ? std::string(size->as_string()) : json::serialize(*size);
    }
    out.storage.storage_class_name = string_field(s, "storageClassName", "spec.storage.storageClassName");
  }
  return out;
}

}  // namespace kb::api
