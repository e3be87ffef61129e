#pragma once
// A JSON-RPC client for one bitcoind: HTTP/1.1 keep-alive, basic auth (user/password or cookie
// file), a connect timeout and a per-call timeout. Safe to share between threads: calls on one
// client are serialized over its single connection (bitcoind's HTTP server handles one request
// per connection at a time anyway).
#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>

#include "pkg/bitcoin/rpc_caller.hpp"
#include "pkg/bitcoin/rpc_endpoint.hpp"

namespace kb::bitcoin {

// The most a client reads of one answer's body unless told otherwise: 1 MiB. The controller's
// calls (getblockchaininfo, getnetworkinfo, getaddednodeinfo for at most 100 peers, addnode,
// generatetoaddress) answer in a few KiB, so this is far above what a node sends and far below
// what could hurt the controller, which talks to every node of every network from one process:
// an image that answers 60 MB fails that call with RpcTransportError::Kind::response_too_large
// (its message names the limit) instead of growing the controller's memory.
inline constexpr std::size_t kDefaultMaxResponseBytes = std::size_t{1} << 20;

struct RpcClientOptions {
  std::chrono::milliseconds connect_timeout{5'000};
  // Covers writing the request and reading the whole answer.
  std::chrono::milliseconds call_timeout{30'000};
  // The body of one answer (a batch is one answer); headers are bounded by Beast's 8 KiB.
  std::size_t max_response_bytes = kDefaultMaxResponseBytes;
};

class RpcClient final : public RpcCaller {
 public:
  explicit RpcClient(RpcEndpoint endpoint, RpcClientOptions options = {});
  ~RpcClient() override;
  RpcClient(const RpcClient&) = delete;
  RpcClient& operator=(const RpcClient&) = delete;

  boost::json::value call(std::string_view method, boost::json::array params = {}) override;
  std::vector<BatchItem> call_batch(const std::vector<RpcRequest>& requests) override;

  // Posts a JSON-RPC body as it is and returns the node's HTTP answer uninterpreted: for
  // relays (the gateway), which pass bitcoind's answer on. `label` names the call in errors.
  // Throws RpcTransportError only.
  HttpReply post(const std::string& body, std::string_view label);

  const RpcEndpoint& endpoint() const { return endpoint_; }
  // How many TCP connections this client has opened so far (keep-alive makes it 1 for a
  // healthy node).
  std::size_t connections_opened() const;

 private:
  class Connection;
  HttpReply exchange(const std::string& body, std::string_view label);

  RpcEndpoint endpoint_;
  RpcClientOptions options_;
  mutable std::mutex mutex_;
  std::unique_ptr<Connection> connection_;
  std::uint64_t next_id_ = 1;
  std::size_t connections_opened_ = 0;
};

}  // namespace kb::bitcoin
