#pragma once
// A fake node for the chain tests: a block tree (hash -> height, parent) with one active tip,
// answering getblockhash, getblockheader, getchaintips, getpeerinfo and getmempoolinfo the way
// bitcoind does (confirmations -1 off the active chain, -5 for an unknown block, -8 for a height
// out of range). `list_stale_tips` false answers getchaintips as a node that lists only the active
// tip. Every call is recorded in `calls`.
#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

#include <boost/json.hpp>

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace kb::testing {

class FakeChain : public bitcoin::RpcCaller {
 public:
  struct Block {
    std::int64_t height;
    std::string parent;
  };
  std::map<std::string, Block> blocks{{"g", {0, ""}}};
  std::string active = "g";
  bool list_stale_tips = true;
  std::vector<std::string> calls;

  // Appends `count` blocks named "<prefix><height>" on top of `from`; returns the new tip.
  std::string extend(const std::string& from, int count, const std::string& prefix) {
    auto tip = from;
    for (int i = 0; i < count; ++i) {
      auto height = blocks.at(tip).height + 1;
      auto hash = prefix + std::to_string(height);
      blocks[hash] = {height, tip};
      tip = hash;
    }
    return tip;
  }
  std::int64_t height() const { return blocks.at(active).height; }

  boost::json::value call(std::string_view method, boost::json::array params = {}) override {
    calls.emplace_back(method);
    if (method == "getblockhash") {
      auto height = params.at(0).to_number<std::int64_t>();
      if (height < 0 || height > this->height())
        throw bitcoin::RpcError(bitcoin::rpc_code::kInvalidParameter, "Block height out of range", std::string(method));
      return boost::json::string(ancestor(active, height));
    }
    if (method == "getblockheader") {
      std::string hash(params.at(0).as_string());
      auto it = blocks.find(hash);
      if (it == blocks.end())
        throw bitcoin::RpcError(bitcoin::rpc_code::kInvalidAddressOrKey, "Block not found", std::string(method));
      boost::json::object header{{"hash", hash}, {"height", it->second.height}};
      header["confirmations"] = on_active(hash) ? height() - it->second.height + 1 : -1;
      if (!it->second.parent.empty()) header["previousblockhash"] = it->second.parent;
      return header;
    }
    if (method == "getchaintips") {
      boost::json::array tips;
      std::set<std::string> parents;
      for (const auto& [hash, block] : blocks) parents.insert(block.parent);
      for (const auto& [hash, block] : blocks) {
        if (parents.contains(hash)) continue;
        if (hash == active) {
          tips.push_back({{"height", block.height}, {"hash", hash}, {"branchlen", 0}, {"status", "active"}});
        } else if (list_stale_tips) {
          auto branch = hash;
          std::int64_t length = 0;
          while (!on_active(branch)) {
            branch = blocks.at(branch).parent;
            ++length;
          }
          tips.push_back({{"height", block.height}, {"hash", hash}, {"branchlen", length}, {"status", "valid-fork"}});
        }
      }
      return tips;
    }
    if (method == "getpeerinfo")
      return boost::json::array{{{"inbound", true}}, {{"inbound", false}}, {{"inbound", false}}};
    if (method == "getmempoolinfo") return boost::json::object{{"size", 3}, {"bytes", 750}};
    throw bitcoin::RpcError(bitcoin::rpc_code::kMethodNotFound, "Method not found", std::string(method));
  }
  std::vector<bitcoin::BatchItem> call_batch(const std::vector<bitcoin::RpcRequest>&) override { return {}; }

 private:
  std::string ancestor(std::string hash, std::int64_t height) const {
    while (blocks.at(hash).height > height) hash = blocks.at(hash).parent;
    return hash;
  }
  bool on_active(const std::string& hash) const {
    auto h = blocks.at(hash).height;
    return h <= height() && ancestor(active, h) == hash;
  }
};

}  // namespace kb::testing
