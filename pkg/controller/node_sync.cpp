#include "pkg/controller/node_sync.hpp"

#include "pkg/bitcoin/rpc_error.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

namespace {
std::int64_t int_of(const json::value& v, std::string_view key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  if (!f) return 0;
  if (f->is_int64()) return f->as_int64();
  if (f->is_uint64()) return static_cast<std::int64_t>(f->as_uint64());
  if (f->is_double()) return static_cast<std::int64_t>(f->as_double());
  return 0;
}
std::string string_of(const json::value& v, std::string_view key) {
  const auto* f = v.is_object() ? v.as_object().if_contains(key) : nullptr;
  return f && f->is_string() ? std::string(f->as_string()) : std::string();
}
}  // namespace

NodeObservation observe_node(bitcoin::RpcCaller& rpc) {
  NodeObservation out;
  auto chain = rpc.call("getblockchaininfo");
  out.blocks = int_of(chain, "blocks");
  out.best_block_hash = string_of(chain, "bestblockhash");
  auto network = rpc.call("getnetworkinfo");
  out.peers = static_cast<int>(int_of(network, "connections"));
  out.version = string_of(network, "subversion");
  out.answered = true;
  return out;
}

std::vector<AddedNode> added_nodes(bitcoin::RpcCaller& rpc) {
  std::vector<AddedNode> out;
  auto list = rpc.call("getaddednodeinfo");
  if (!list.is_array()) return out;
  for (const auto& entry : list.as_array()) {
    AddedNode node;
    node.address = string_of(entry, "addednode");
    const auto* connected = entry.is_object() ? entry.as_object().if_contains("connected") : nullptr;
    node.connected = connected && connected->is_bool() && connected->as_bool();
    if (!node.address.empty()) out.push_back(std::move(node));
  }
  return out;
}

PeerChanges apply_peer_changes(bitcoin::RpcCaller& rpc, const PeerChanges& changes) {
  PeerChanges done;
  for (const auto& address : changes.remove) {
    try {
      rpc.call("addnode", json::array{json::string(address), "remove"});
      done.remove.push_back(address);
    } catch (const bitcoin::RpcError& e) {
      if (e.code() != bitcoin::rpc_code::kNodeNotAdded) throw;
    }
  }
  for (const auto& address : changes.disconnect) {
    try {
      rpc.call("disconnectnode", json::array{json::string(address)});
      done.disconnect.push_back(address);
    } catch (const bitcoin::RpcError& e) {
      // Not connected any more (-29), or an older node that names the argument differently: harmless.
      if (e.code() != bitcoin::rpc_code::kNodeNotConnected && e.code() != bitcoin::rpc_code::kInvalidParameter &&
          e.code() != bitcoin::rpc_code::kMiscError) {
        throw;
      }
    }
  }
  for (const auto& address : changes.add) {
    try {
      rpc.call("addnode", json::array{json::string(address), "add"});
      done.add.push_back(address);
    } catch (const bitcoin::RpcError& e) {
      if (e.code() != bitcoin::rpc_code::kNodeAlreadyAdded) throw;
    }
    // `add` only schedules the connection; `onetry` dials now, so peers appear within a second.
    try {
      rpc.call("addnode", json::array{json::string(address), "onetry"});
    } catch (const bitcoin::RpcFailure&) {
      // The scheduled connection will follow anyway.
    }
  }
  return done;
}

std::optional<std::string> persistent_failure_reason(const bitcoin::RpcFailure& failure) {
  const auto* transport = dynamic_cast<const bitcoin::RpcTransportError*>(&failure);
  if (!transport) return std::nullopt;
  switch (transport->kind()) {
    case bitcoin::RpcTransportError::Kind::response_too_large:
      return "NodeAnswerTooLarge";
    case bitcoin::RpcTransportError::Kind::malformed_response:
      return "NodeBadAnswer";
    default:
      return std::nullopt;
  }
}

std::optional<ReconcileProblem> persistent_node_problem(int ordinal, const bitcoin::RpcFailure& failure) {
  auto reason = persistent_failure_reason(failure);
  if (!reason) return std::nullopt;
  return ReconcileProblem{std::move(*reason), "node " + std::to_string(ordinal) + ": " + failure.what()};
}

}  // namespace kb::controller
