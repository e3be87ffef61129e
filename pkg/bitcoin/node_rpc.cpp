#include "pkg/bitcoin/node_rpc.hpp"

#include <limits>

#include <boost/json/serialize.hpp>
#include <cmath>

namespace kb::bitcoin {
namespace json = boost::json;

std::string_view to_string(AddNodeCommand command) {
  switch (command) {
    case AddNodeCommand::add:
      return "add";
    case AddNodeCommand::remove:
      return "remove";
    case AddNodeCommand::onetry:
      return "onetry";
  }
  return "add";
}

RpcResultError::RpcResultError(std::string method, std::string what_is_wrong)
    : RpcFailure(method + ": unexpected result: " + what_is_wrong), method_(std::move(method)) {}

namespace {
const json::object& object_of(const json::value& value, std::string_view method) {
  if (const auto* object = value.if_object()) return *object;
  throw RpcResultError(std::string(method), "expected an object, got " + json::serialize(value).substr(0, 80));
}

const json::array& array_of(const json::value& value, std::string_view method) {
  if (const auto* array = value.if_array()) return *array;
  throw RpcResultError(std::string(method), "expected an array, got " + json::serialize(value).substr(0, 80));
}

std::optional<std::int64_t> optional_integer(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->get_int64();
  // Outside int64 is no integer this code can use (a double's conversion would be undefined).
  constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
  if (value->is_uint64()) {
    if (value->get_uint64() > static_cast<std::uint64_t>(kMax)) return std::nullopt;
    return static_cast<std::int64_t>(value->get_uint64());
  }
  if (value->is_double()) {
    double d = value->get_double();
    // -2^63 <= d < 2^63: both bounds are exact doubles.
    if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) return std::int64_t(d);
  }
  return std::nullopt;
}

std::int64_t integer(const json::object& object, std::string_view key, std::string_view method) {
  if (auto value = optional_integer(object, key)) return *value;
  throw RpcResultError(std::string(method), "no integer \"" + std::string(key) + "\"");
}

std::string string_field(const json::object& object, std::string_view key, std::string_view method) {
  const json::value* value = object.if_contains(key);
  if (value != nullptr && value->is_string()) return std::string(value->get_string());
  throw RpcResultError(std::string(method), "no string \"" + std::string(key) + "\"");
}

std::string optional_string(const json::object& object, std::string_view key) {
  const json::value* value = object.if_contains(key);
  return value != nullptr && value->is_string() ? std::string(value->get_string()) : std::string();
}

bool boolean(const json::object& object, std::string_view key, std::string_view method) {
  const json::value* value = object.if_contains(key);
  if (value != nullptr && value->is_bool()) return value->get_bool();
  throw RpcResultError(std::string(method), "no boolean \"" + std::string(key) + "\"");
}
}  // namespace

NetworkInfo read_network_info(const json::value& result) {
  constexpr std::string_view method = "getnetworkinfo";
  const auto& object = object_of(result, method);
  NetworkInfo info;
  info.version = integer(object, "version", method);
  info.subversion = optional_string(object, "subversion");
  info.protocol_version = optional_integer(object, "protocolversion").value_or(0);
  info.connections_in = optional_integer(object, "connections_in");
  info.connections_out = optional_integer(object, "connections_out");
  if (auto total = optional_integer(object, "connections")) {
    info.connections = *total;
  } else if (info.connections_in && info.connections_out) {
    if (*info.connections_in < 0 || *info.connections_out < 0 ||
        __builtin_add_overflow(*info.connections_in, *info.connections_out, &info.connections))
      throw RpcResultError(std::string(method), "\"connections_in\" and \"connections_out\" are not connection counts");
  } else {
    throw RpcResultError(std::string(method), "no \"connections\"");
  }
  return info;
}

BlockchainInfo read_blockchain_info(const json::value& result) {
  constexpr std::string_view method = "getblockchaininfo";
  const auto& object = object_of(result, method);
  BlockchainInfo info;
  info.chain = string_field(object, "chain", method);
  info.blocks = integer(object, "blocks", method);
  info.headers = optional_integer(object, "headers").value_or(info.blocks);
  info.bestblockhash = string_field(object, "bestblockhash", method);
  return info;
}

std::vector<PeerInfo> read_peer_info(const json::value& result) {
  constexpr std::string_view method = "getpeerinfo";
  std::vector<PeerInfo> peers;
  for (const auto& element : array_of(result, method)) {
    const auto& object = object_of(element, method);
    peers.push_back(PeerInfo{integer(object, "id", method), string_field(object, "addr", method),
                             boolean(object, "inbound", method), optional_string(object, "subver")});
  }
  return peers;
}

std::vector<AddedNode> read_added_node_info(const json::value& result) {
  constexpr std::string_view method = "getaddednodeinfo";
  std::vector<AddedNode> nodes;
  for (const auto& element : array_of(result, method)) {
    const auto& object = object_of(element, method);
    // Core before 0.14 could answer "connected": "inbound"/"outbound" strings per address;
    // the per-node field has always been a boolean, but accept a string as "connected".
    bool connected = false;
    if (const auto* value = object.if_contains("connected")) {
      connected = value->is_bool() ? value->get_bool() : value->is_string() && value->get_string() != "false";
    }
    nodes.push_back(AddedNode{string_field(object, "addednode", method), connected});
  }
  return nodes;
}

std::vector<std::string> read_block_hashes(const json::value& result, std::string_view method) {
  std::vector<std::string> hashes;
  for (const auto& element : array_of(result, method)) {
    if (!element.is_string()) throw RpcResultError(std::string(method), "a block hash that is not a string");
    hashes.emplace_back(element.get_string());
  }
  return hashes;
}

NetworkInfo getnetworkinfo(RpcCaller& node) { return read_network_info(node.call("getnetworkinfo")); }

BlockchainInfo getblockchaininfo(RpcCaller& node) { return read_blockchain_info(node.call("getblockchaininfo")); }

std::vector<PeerInfo> getpeerinfo(RpcCaller& node) { return read_peer_info(node.call("getpeerinfo")); }

std::vector<AddedNode> getaddednodeinfo(RpcCaller& node) {
  try {
    return read_added_node_info(node.call("getaddednodeinfo"));
  } catch (const RpcError& error) {
    // Core before 0.14 required a leading "dns" boolean and answered its help text as -1.
    if (error.code() != rpc_code::kMiscError) throw;
    return read_added_node_info(node.call("getaddednodeinfo", json::array{true}));
  }
}

void addnode(RpcCaller& node, std::string_view address, AddNodeCommand command) {
  node.call("addnode", json::array{json::string(address), json::string(to_string(command))});
}

bool ensure_added(RpcCaller& node, std::string_view address) {
  try {
    addnode(node, address, AddNodeCommand::add);
    return true;
  } catch (const RpcError& error) {
    if (error.code() == rpc_code::kNodeAlreadyAdded) return false;
    throw;
  }
}

bool ensure_removed(RpcCaller& node, std::string_view address) {
  try {
    addnode(node, address, AddNodeCommand::remove);
    return true;
  } catch (const RpcError& error) {
    if (error.code() == rpc_code::kNodeNotAdded) return false;
    throw;
  }
}

std::int64_t getconnectioncount(RpcCaller& node) {
  json::value result = node.call("getconnectioncount");
  if (result.is_int64()) return result.get_int64();
  if (result.is_uint64()) return std::int64_t(result.get_uint64());
  throw RpcResultError("getconnectioncount", "not an integer: " + json::serialize(result));
}

std::string getbestblockhash(RpcCaller& node) {
  json::value result = node.call("getbestblockhash");
  if (result.is_string()) return std::string(result.get_string());
  throw RpcResultError("getbestblockhash", "not a string: " + json::serialize(result));
}

std::int64_t getblockcount(RpcCaller& node) {
  json::value result = node.call("getblockcount");
  if (result.is_int64()) return result.get_int64();
  if (result.is_uint64()) return std::int64_t(result.get_uint64());
  throw RpcResultError("getblockcount", "not an integer: " + json::serialize(result));
}

std::vector<std::string> generatetoaddress(RpcCaller& node, int blocks, std::string_view address) {
  try {
    return read_block_hashes(node.call("generatetoaddress", json::array{blocks, json::string(address)}),
                             "generatetoaddress");
  } catch (const RpcError& error) {
    if (error.code() != rpc_code::kMethodNotFound) throw;
  }
  return read_block_hashes(node.call("generate", json::array{blocks}), "generate");
}

}  // namespace kb::bitcoin
