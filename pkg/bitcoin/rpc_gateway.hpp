#pragma once
// The RPC gateway server run by `kubectl bitcoin serve`: plain HTTP/1.1 on its own port,
// reached through the API server's services/proxy, forwarding each call to one node of one
// network (see gateway_protocol.hpp for the contract and docs/rpc-gateway.md for the why).
// A fixed pool of threads serves all connections; a forwarded call holds its thread for at
// most the call timeout, so at most `threads` calls run at once and the rest wait.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "pkg/bitcoin/gateway_handler.hpp"
#include "pkg/bitcoin/rpc_client.hpp"

namespace kb::bitcoin {

struct RpcGatewayOptions {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8334;  // 0 picks a free port (tests)
  int threads = 4;
  // Time for a client to send a whole request (header and body); slow senders are cut off.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connections without a request
  // Relayed answers may be larger than the controller's own (a user's getblock with verbosity 2,
  // getrawmempool), so the gateway allows 16 MiB per answer: still bounded, so a node cannot make
  // the controller's process, which also runs the gateway, grow without limit.
  RpcClientOptions node{.connect_timeout = std::chrono::milliseconds{5'000},
                        .call_timeout = std::chrono::milliseconds{30'000},
                        .max_response_bytes = 16 * 1024 * 1024};
  GatewayPolicy policy;
};

// Forwards with a fresh RpcClient per call: gateway calls are occasional and human-driven, and
// a connection per call keeps nodes' connection slots free.
class RpcClientForwarder : public NodeForwarder {
 public:
  explicit RpcClientForwarder(RpcClientOptions options) : options_(options) {}
  HttpReply forward(const NetworkNode& node, const UserPassword& credentials, const std::string& body,
                    std::string_view label) override;

 private:
  RpcClientOptions options_;
};

class RpcGateway {
 public:
  // `directory` must outlive the gateway. `log` may be empty; like the directory, it is called
  // from the gateway's threads concurrently, so it must be thread-safe (observe::Logger is).
  RpcGateway(RpcGatewayOptions options, const NodeDirectory& directory, GatewayCallLog log);
  ~RpcGateway();
  RpcGateway(const RpcGateway&) = delete;
  RpcGateway& operator=(const RpcGateway&) = delete;

  // Binds and starts serving; throws std::runtime_error when the address cannot be bound.
  void start();
  // Stops accepting, closes connections, joins the threads (waits for calls in flight).
  void stop();
  // The bound port (useful with port 0).
  std::uint16_t port() const;

 private:
  class Server;
  RpcGatewayOptions options_;
  RpcClientForwarder forwarder_;
  GatewayHandler handler_;
  GatewayCallLog log_;
  std::unique_ptr<Server> server_;
};

}  // namespace kb::bitcoin
