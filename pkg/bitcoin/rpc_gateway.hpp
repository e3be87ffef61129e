#pragma once
// The RPC gateway server run by `kubectl bitcoin serve`: plain HTTP/1.1 on its own port,
// reached through the API server's services/proxy, forwarding each call to one node of one
// network (see gateway_protocol.hpp for the contract and docs/rpc-gateway.md for the why).
//
// The HTTP side is observe::HttpServer (one I/O thread, deadlines, connection cap). Cheap checks
// run on its I/O thread; a call that passes them is admitted against a total and a per-network
// cap (over a cap: 429 at once) and runs on a worker pool of `limits.total` threads, so the pool
// never queues and one network cannot take every worker. Each call has a deadline.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "pkg/bitcoin/call_admission.hpp"
#include "pkg/bitcoin/gateway_handler.hpp"
#include "pkg/bitcoin/rpc_client.hpp"

namespace kb::observe {
class HttpServer;
struct HttpRequest;
class HttpResponder;
}  // namespace kb::observe

namespace kb::bitcoin {

class WorkerPool;

struct RpcGatewayOptions {
  std::string bind_address = "0.0.0.0";
  std::uint16_t port = 8334;  // 0 picks a free port (tests)
  std::size_t max_connections = 256;
  // Time for a client to send a whole request (header and body); slow senders are cut off.
  std::chrono::milliseconds read_timeout{10'000};
  std::chrono::milliseconds idle_timeout{60'000};  // keep-alive connections without a request
  CallAdmission::Limits limits{.total = 16, .per_network = 4};
  // Relayed answers may be larger than the controller's own (a user's getblock with verbosity 2,
  // getrawmempool), so the gateway allows 16 MiB per answer: still bounded, so a node cannot make
  // the controller's process, which also runs the gateway, grow without limit.
  RpcClientOptions node{.connect_timeout = std::chrono::milliseconds{5'000},
                        .call_timeout = std::chrono::milliseconds{30'000},
                        .max_response_bytes = 16 * 1024 * 1024};
  // The whole call, lookup included; 0: the node's connect and call timeouts plus 5 s.
  std::chrono::milliseconds call_deadline{0};
  GatewayPolicy policy;
};

// Forwards with a fresh RpcClient per call: gateway calls are occasional and human-driven, and
// a connection per call keeps nodes' connection slots free.
class RpcClientForwarder : public NodeForwarder {
 public:
  explicit RpcClientForwarder(RpcClientOptions options) : options_(options) {}
  HttpReply forward(const NetworkNode& node, const std::string& path, const UserPassword& credentials,
                    const std::string& body, std::string_view label) override;

 private:
  RpcClientOptions options_;
};

class RpcGateway {
 public:
  // `directory` must outlive the gateway. `log` may be empty; like the directory, it is called
  // from the gateway's threads concurrently, so it must be thread-safe (observe::Logger is).
  // `forwarder` replaces the RpcClient one (tests); it must outlive the gateway.
  RpcGateway(RpcGatewayOptions options, const NodeDirectory& directory, GatewayCallLog log,
             NodeForwarder* forwarder = nullptr);
  ~RpcGateway();
  RpcGateway(const RpcGateway&) = delete;
  RpcGateway& operator=(const RpcGateway&) = delete;

  // Binds and starts serving; throws std::runtime_error when the address cannot be bound.
  void start();
  // Stops accepting, closes connections, waits for the calls in flight, joins every thread.
  void stop();
  // The bound port (useful with port 0).
  std::uint16_t port() const;

 private:
  void on_request(observe::HttpRequest request, observe::HttpResponder respond);
  void answer(GatewayCallRecord& record, GatewayHttpAnswer answer, std::chrono::steady_clock::time_point started,
              const observe::HttpResponder& respond) noexcept;

  RpcGatewayOptions options_;
  RpcClientForwarder own_forwarder_;
  GatewayHandler handler_;
  GatewayCallLog log_;
  CallAdmission admission_;
  std::unique_ptr<WorkerPool> workers_;
  std::unique_ptr<observe::HttpServer> server_;  // last: stopped first
};

}  // namespace kb::bitcoin
