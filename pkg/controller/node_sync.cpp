#include "pkg/controller/node_sync.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

NodeObservation observe_node(bitcoin::RpcCaller& rpc) {
  NodeObservation out;
  auto chain = rpc.call("getblockchaininfo");
  out.blocks = base::int_at(chain, "blocks").value_or(0);
  out.best_block_hash = base::string_at(chain, "bestblockhash").value_or("");
  out.headers = base::int_at(chain, "headers").value_or(out.blocks);
  if (const auto* progress = base::json_at(chain, "verificationprogress"); progress && progress->is_number()) {
    out.verification_progress = progress->to_number<double>();
  }
  auto network = rpc.call("getnetworkinfo");
  out.peers = static_cast<int>(base::int_at(network, "connections").value_or(0));
  out.version = base::string_at(network, "subversion").value_or("");
  out.answered = true;
  return out;
}

std::vector<AddedNode> added_nodes(bitcoin::RpcCaller& rpc) {
  std::vector<AddedNode> out;
  auto list = rpc.call("getaddednodeinfo");
  if (!list.is_array()) return out;
  for (const auto& entry : list.as_array()) {
    AddedNode node;
    node.address = base::string_at(entry, "addednode").value_or("");
    node.connected = base::bool_at(entry, "connected").value_or(false);
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
  for (const auto& address : changes.redial) {
    try {
      rpc.call("addnode", json::array{json::string(address), "onetry"});
      done.redial.push_back(address);
    } catch (const bitcoin::RpcError&) {
      // Refused by the node (e.g. already connecting): the next pass looks again.
    }
  }
  return done;
}

std::vector<std::string> listed_bans(bitcoin::RpcCaller& rpc) {
  std::vector<std::string> out;
  json::value list;
  try {
    list = rpc.call("listbanned");
  } catch (const bitcoin::RpcError& e) {
    // A node without a ban list (a minimal implementation) holds no ban of ours to lift; a
    // partition on it fails at setban instead, naming the node.
    if (e.code() != bitcoin::rpc_code::kMethodNotFound) throw;
    return out;
  }
  if (!list.is_array()) return out;
  for (const auto& entry : list.as_array()) {
    if (auto address = base::string_at(entry, "address"); address && !address->empty()) out.push_back(*address);
  }
  return out;
}

BanChanges apply_ban_changes(bitcoin::RpcCaller& rpc, const BanChanges& changes) {
  BanChanges done;
  for (const auto& host : changes.remove) {
    try {
      rpc.call("setban", json::array{json::string(host), "remove"});
      done.remove.push_back(host);
    } catch (const bitcoin::RpcError& e) {
      if (e.code() != bitcoin::rpc_code::kInvalidIpOrSubnet) throw;
    }
  }
  for (const auto& host : changes.add) {
    try {
      rpc.call("setban", json::array{json::string(host), "add"});
      done.add.push_back(host);
    } catch (const bitcoin::RpcError& e) {
      if (e.code() != bitcoin::rpc_code::kNodeAlreadyAdded) throw;
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
    case bitcoin::RpcTransportError::Kind::call_timeout:
      // Connected (the kernel accepts for a listening socket), but no answer within the call's
      // deadline: the process is stopped, hung or starved. A starting node answers -28 at once.
      return std::string(kNodeNotResponding);
    default:
      return std::nullopt;
  }
}

NodeFailure node_failure(const bitcoin::RpcFailure& failure) {
  if (auto reason = persistent_failure_reason(failure)) return {std::move(*reason), failure.what(), true};
  const auto* error = dynamic_cast<const bitcoin::RpcError*>(&failure);
  if (error && error->code() == bitcoin::rpc_code::kInWarmup) return {std::string(kWarmingUp), failure.what(), false};
  const auto* transport = dynamic_cast<const bitcoin::RpcTransportError*>(&failure);
  if (transport && transport->kind() == bitcoin::RpcTransportError::Kind::connect_timeout) {
    return {"NodeUnreachable", failure.what(), false};
  }
  return {"RpcNotAnswering", failure.what(), false};
}

std::optional<ReconcileProblem> persistent_node_problem(int ordinal, const bitcoin::RpcFailure& failure) {
  auto reason = persistent_failure_reason(failure);
  if (!reason) return std::nullopt;
  return ReconcileProblem{std::move(*reason), "node " + std::to_string(ordinal) + ": " + failure.what()};
}

}  // namespace kb::controller
