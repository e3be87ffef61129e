#pragma once
// Typed calls for what this project asks bitcoind, returning small structs. They read only the
// fields they need and tolerate the differences between Bitcoin Core versions and the
// Bitcoin SV-derived regtest node the tests run (see docs/rpc-gateway.md, "Node compatibility").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/bitcoin/rpc_caller.hpp"

namespace kb::bitcoin {

struct NetworkInfo {
  std::int64_t version = 0;  // e.g. 270000 (Core 27.0), 101001300 (SV 1.0.13)
  std::string subversion;    // e.g. "/Satoshi:27.0.0/"
  std::int64_t protocol_version = 0;
  std::int64_t connections = 0;  // total; Core 0.21+ also splits it into in/out
  std::optional<std::int64_t> connections_in;
  std::optional<std::int64_t> connections_out;
};

struct BlockchainInfo {
  std::string chain;  // "main", "test", "regtest", "signet"
  std::int64_t blocks = 0;
  std::int64_t headers = 0;
  std::string bestblockhash;
};

struct PeerInfo {
  std::int64_t id = 0;
  std::string addr;  // "ip:port" as the node sees it
  bool inbound = false;
  std::string subver;
};

struct AddedNode {
  std::string addednode;  // as given to addnode
  bool connected = false;
};

enum class AddNodeCommand { add, remove, onetry };
std::string_view to_string(AddNodeCommand command);

// A result whose shape the helper cannot read (a missing or mistyped field).
class RpcResultError : public RpcFailure {
 public:
  RpcResultError(std::string method, std::string what_is_wrong);
  const std::string& method() const { return method_; }

 private:
  std::string method_;
};

// Pure readers of each result, exposed for tests (and for callers that batch the calls).
NetworkInfo read_network_info(const boost::json::value& result);
BlockchainInfo read_blockchain_info(const boost::json::value& result);
std::vector<PeerInfo> read_peer_info(const boost::json::value& result);
std::vector<AddedNode> read_added_node_info(const boost::json::value& result);
std::vector<std::string> read_block_hashes(const boost::json::value& result, std::string_view method);

NetworkInfo getnetworkinfo(RpcCaller& node);
BlockchainInfo getblockchaininfo(RpcCaller& node);
std::vector<PeerInfo> getpeerinfo(RpcCaller& node);
// Nodes added with `addnode add` (onetry ones are not listed by bitcoind).
std::vector<AddedNode> getaddednodeinfo(RpcCaller& node);
// Throws RpcError -23 (add: already added) or -24 (remove: not added) like bitcoind.
void addnode(RpcCaller& node, std::string_view address, AddNodeCommand command);
// addnode add/remove that treat -23/-24 as "already so": true when the call changed the list.
bool ensure_added(RpcCaller& node, std::string_view address);
bool ensure_removed(RpcCaller& node, std::string_view address);
std::int64_t getconnectioncount(RpcCaller& node);
std::string getbestblockhash(RpcCaller& node);
std::int64_t getblockcount(RpcCaller& node);
// Mines `blocks` blocks paying to `address`; returns their hashes. Falls back to the older
// `generate` (which pays the node's wallet) on nodes that answer -32601 for generatetoaddress.
std::vector<std::string> generatetoaddress(RpcCaller& node, int blocks, std::string_view address);

}  // namespace kb::bitcoin
