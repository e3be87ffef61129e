#include "pkg/bitcoin/rpc_gateway.hpp"

#include <algorithm>
#include <cctype>

#include "pkg/base/ascii.hpp"
#include "pkg/bitcoin/worker_pool.hpp"
#include "pkg/observe/http_server.hpp"

namespace kb::bitcoin {

HttpReply RpcClientForwarder::forward(const NetworkNode& node, const std::string& path, const UserPassword& credentials,
                                      const std::string& body, std::string_view label) {
  RpcClient client(RpcEndpoint{node.host, node.rpc_port, credentials, path}, options_);
  return client.post(body, label);
}

namespace {

observe::HttpResponse to_http(GatewayHttpAnswer answer) {
  observe::HttpResponse response{answer.status, "application/json", std::move(answer.body), std::move(answer.headers)};
  if (answer.forwarded) response.headers.emplace_back(std::string(kGatewayHeader), std::string(kGatewayForwarded));
  return response;
}
}  // namespace

RpcGateway::RpcGateway(RpcGatewayOptions options, const NodeDirectory& directory, GatewayCallLog log,
                       NodeForwarder* forwarder)
    : options_(std::move(options)),
      own_forwarder_(options_.node),
      handler_(directory, forwarder ? *forwarder : own_forwarder_, options_.policy),
      log_(std::move(log)),
      admission_(options_.limits) {}

RpcGateway::~RpcGateway() { stop(); }

void RpcGateway::start() {
  if (server_) return;
  workers_ = std::make_unique<WorkerPool>(options_.limits.total, options_.limits.total, [this](const std::string& e) {
    GatewayCallRecord record;
    record.result = "InternalError: " + e;
    if (log_) log_(record);
  });
  observe::HttpServer::Options server;
  server.name = "rpc gateway";
  server.address = options_.bind_address;
  server.port = options_.port;
  server.max_connections = options_.max_connections;
  // One byte over the policy limit is enough to tell "too large" apart.
  server.max_body_bytes = options_.policy.max_request_bytes + 1;
  server.read_timeout = options_.read_timeout;
  server.idle_timeout = options_.idle_timeout;
  server.handler_timeout = options_.call_deadline.count() > 0
                               ? options_.call_deadline
                               : options_.node.connect_timeout + options_.node.call_timeout + std::chrono::seconds(5);
  server.too_large = [this](const observe::HttpRequest& request) {
    GatewayCallRecord record;
    record.peer = request.remote_address;
    record.result = std::string(to_string(GatewayErrorReason::request_too_large));
    auto answer = gateway_error_answer(
        GatewayErrorReason::request_too_large,
        "the request is larger than " + std::to_string(options_.policy.max_request_bytes) + " bytes");
    record.http_status = answer.status;
    try {
      if (log_) log_(record);
    } catch (...) {
    }
    return to_http(std::move(answer));
  };
  server.server_error = [](int status, const std::string& why) {
    auto reason = status == 504 ? GatewayErrorReason::deadline_exceeded : GatewayErrorReason::internal_error;
    return to_http(gateway_error_answer(reason, "the RPC gateway: " + why));
  };
  try {
    server_ = std::make_unique<observe::HttpServer>(
        server, observe::AsyncHttpHandler([this](observe::HttpRequest request, observe::HttpResponder respond) {
          on_request(std::move(request), std::move(respond));
        }));
  } catch (...) {
    workers_.reset();
    throw;
  }
}

void RpcGateway::stop() {
  // The server first (no new calls), then the workers (calls in flight finish within their node
  // timeouts; their answers are dropped).
  if (server_) server_->stop();
  if (workers_) workers_->stop();
  server_.reset();
  workers_.reset();
}

std::uint16_t RpcGateway::port() const { return server_ ? server_->port() : 0; }

void RpcGateway::answer(GatewayCallRecord& record, GatewayHttpAnswer answer,
                        std::chrono::steady_clock::time_point started, const observe::HttpResponder& respond) noexcept {
  record.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
  record.http_status = answer.status;
  try {
    if (log_) log_(record);
  } catch (...) {
    // A failing log must not lose the answer.
  }
  try {
    respond(to_http(std::move(answer)));
  } catch (...) {
    // Out of memory at worst; the server's deadline answers instead.
  }
}

// On the server's I/O thread: must not block.
void RpcGateway::on_request(observe::HttpRequest request, observe::HttpResponder respond) {
  const auto started = std::chrono::steady_clock::now();
  GatewayHttpRequest call;
  call.verb = request.method;
  call.target = request.target;
  call.caller_credentials = request.header(base::ascii_lower(kCallerCredentialsHeader));
  call.body = std::move(request.body);
  call.peer = request.remote_address;

  auto record = std::make_shared<GatewayCallRecord>();
  NodeRef node;
  if (auto refusal = handler_.screen(call, *record, node))
    return answer(*record, std::move(*refusal), started, respond);

  const std::string network = node.namespace_name + "/" + node.network;
  CallAdmission::Refusal why{};
  auto ticket = admission_.try_admit(network, &why);
  auto too_many = [&](const std::string& message) {
    GatewayErrorBody error{GatewayErrorReason::too_many_calls, message};
    error.retry_after_seconds = 1;
    record->result = std::string(to_string(error.reason));
    answer(*record, gateway_error_answer(std::move(error)), started, respond);
  };
  if (!ticket) {
    return too_many(why == CallAdmission::Refusal::per_network
                        ? "network " + network + " already has " + std::to_string(options_.limits.per_network) +
                              " calls in flight through the RPC gateway; try again shortly"
                        : "the RPC gateway already has " + std::to_string(options_.limits.total) +
                              " calls in flight; try again shortly");
  }
  bool queued = workers_->try_submit([this, call = std::move(call), node, record, ticket = *ticket, respond, started] {
    auto reply = handler_.serve(call, node, *record);
    answer(*record, std::move(reply), started, respond);
  });
  if (!queued) too_many("the RPC gateway is stopping or has no free worker; try again shortly");
}

}  // namespace kb::bitcoin
