#include "pkg/controller/reorg.hpp"

#include "pkg/base/json_path.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

std::optional<std::int64_t> fork_height_from_chain_tips(const json::value& chain_tips, const ChainTip& old_tip) {
  if (!chain_tips.is_array()) return std::nullopt;
  for (const auto& tip : chain_tips.as_array()) {
    if (base::string_at(tip, "hash") != old_tip.hash) continue;
    if (base::string_at(tip, "status") == "active") return std::nullopt;
    auto height = base::int_at(tip, "height");
    auto branch = base::int_at(tip, "branchlen");
    if (!height || !branch || *branch < 0 || *branch > *height) return std::nullopt;
    return *height - *branch;
  }
  return std::nullopt;
}

std::string reorg_message(int ordinal, const Reorg& reorg) {
  return "node " + std::to_string(ordinal) + ": reorg of depth " + (reorg.fork_exact ? "" : "more than ") +
         std::to_string(reorg.depth()) + " from " + std::to_string(reorg.from.height) + "/" +
         short_hash(reorg.from.hash) + " to " + std::to_string(reorg.to.height) + "/" + short_hash(reorg.to.hash) +
         " (fork " + (reorg.fork_exact ? "at " : "below ") + std::to_string(reorg.fork_point.height) + ")";
}

bool chain_holds(bitcoin::RpcCaller& rpc, const ChainTip& old_tip) {
  try {
    return rpc.call("getblockhash", json::array{old_tip.height}) == json::value(old_tip.hash);
  } catch (const bitcoin::RpcError& e) {
    if (e.code() == bitcoin::rpc_code::kInvalidParameter) return false;  // "Block height out of range"
    throw;
  }
}

namespace {

std::optional<json::value> block_header(bitcoin::RpcCaller& rpc, const std::string& hash) {
  try {
    return rpc.call("getblockheader", json::array{json::string(hash)});
  } catch (const bitcoin::RpcError& e) {
    if (e.code() == bitcoin::rpc_code::kInvalidAddressOrKey) return std::nullopt;  // "Block not found"
    throw;
  }
}

}  // namespace

std::optional<Reorg> find_reorg(bitcoin::RpcCaller& rpc, const ChainTip& old_tip, const ChainTip& new_tip,
                                int max_walk) {
  if (old_tip.hash == new_tip.hash) return std::nullopt;
  if (new_tip.height > old_tip.height && chain_holds(rpc, old_tip)) return std::nullopt;
  // The node must know the old tip: otherwise it is a new chain (a wiped node), not a reorg.
  auto header = block_header(rpc, old_tip.hash);
  if (!header) return std::nullopt;
  if (base::int_at(*header, "confirmations").value_or(-1) >= 0) return std::nullopt;  // back on the active chain
  Reorg reorg{old_tip, new_tip, {}, true};
  if (auto fork_height = fork_height_from_chain_tips(rpc.call("getchaintips"), old_tip)) {
    auto hash = rpc.call("getblockhash", json::array{*fork_height});
    reorg.fork_point = {*fork_height, hash.is_string() ? std::string(hash.as_string()) : ""};
    return reorg;
  }
  // Walk the old branch back to the active chain.
  ChainTip at{old_tip.height, old_tip.hash};
  for (int step = 0; step < max_walk; ++step) {
    auto previous = base::string_at(*header, "previousblockhash");
    if (!previous) break;  // genesis
    header = block_header(rpc, *previous);
    if (!header) break;
    at = {base::int_at(*header, "height").value_or(at.height - 1), *previous};
    if (base::int_at(*header, "confirmations").value_or(-1) >= 0) {
      reorg.fork_point = at;
      return reorg;
    }
  }
  reorg.fork_point = at;
  reorg.fork_exact = false;
  return reorg;
}

}  // namespace kb::controller
