// The gateway's HTTP server: the second (and last) Beast translation unit of pkg/bitcoin.
#include "pkg/bitcoin/rpc_gateway.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

namespace kb::bitcoin {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpReply RpcClientForwarder::forward(const NetworkNode& node, const UserPassword& credentials, const std::string& body,
                                      std::string_view label) {
  RpcClient client(RpcEndpoint{node.host, node.rpc_port, credentials}, options_);
  return client.post(body, label);
}

namespace {
constexpr std::size_t kMaxHeaderBytes = 16 * 1024;

struct SessionSettings {
  const RpcGatewayOptions& options;
  const GatewayHandler& handler;
  const GatewayCallLog& log;
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket socket, const SessionSettings& settings) : stream_(std::move(socket)), settings_(settings) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) peer_ = remote.address().to_string() + ":" + std::to_string(remote.port());
  }

  void start() { read_request(settings_.options.read_timeout); }

 private:
  void read_request(std::chrono::milliseconds timeout) {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    // One byte over the policy limit is enough to tell "too large" apart.
    parser_->body_limit(settings_.handler.policy().max_request_bytes + 1);
    stream_.expires_after(timeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      GatewayCallRecord record;
      record.peer = peer_;
      record.result = "RequestTooLarge";
      auto answer = gateway_error_answer(
          GatewayErrorReason::request_too_large,
          "the request is larger than " + std::to_string(settings_.handler.policy().max_request_bytes) + " bytes");
      record.http_status = answer.status;
      if (settings_.log) settings_.log(record);
      return write(std::move(answer), false, 11);
    }
    if (ec) return close();  // timeout, peer closed, or not HTTP: nothing to answer
    auto request = parser_->release();
    GatewayHttpRequest call;
    call.verb = std::string(request.method_string());
    call.target = std::string(request.target());
    if (auto it = request.find(kCallerCredentialsHeader); it != request.end()) {
      call.caller_credentials = std::string(it->value());
    }
    call.body = std::move(request.body());
    call.peer = peer_;
    GatewayCallRecord record;
    // Runs on this pool thread, forwarding included: bounded by the node call timeout.
    GatewayHttpAnswer answer = settings_.handler.handle(call, record);
    if (settings_.log) settings_.log(record);
    write(std::move(answer), request.keep_alive(), request.version());
  }

  void write(GatewayHttpAnswer answer, bool keep_alive, unsigned version) {
    auto response = std::make_shared<http::response<http::string_body>>(http::status(answer.status), version);
    response->set(http::field::content_type, "application/json");
    response->set(http::field::server, "kubectl-bitcoin rpc-gateway");
    if (answer.forwarded) response->set(kGatewayHeader, kGatewayForwarded);
    response->keep_alive(keep_alive);
    response->body() = std::move(answer.body);
    response->prepare_payload();
    stream_.expires_after(settings_.options.read_timeout);
    http::async_write(stream_, *response,
                      [self = shared_from_this(), response, keep_alive](beast::error_code ec, std::size_t) {
                        if (ec || !keep_alive) return self->close();
                        self->read_request(self->settings_.options.idle_timeout);
                      });
  }

  void close() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  const SessionSettings& settings_;
  std::string peer_;
};
}  // namespace

class RpcGateway::Server {
 public:
  Server(const RpcGatewayOptions& options, const GatewayHandler& handler, const GatewayCallLog& log)
      : settings_{options, handler, log}, context_(options.threads), acceptor_(context_) {
    beast::error_code ec;
    auto address = asio::ip::make_address(options.bind_address, ec);
    if (ec) throw std::runtime_error("rpc gateway: bad bind address \"" + options.bind_address + "\"");
    tcp::endpoint endpoint(address, options.port);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("rpc gateway: cannot listen on " + describe(options.bind_address, options.port) + ": " +
                               ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
    accept();
    for (int i = 0; i < std::max(1, options.threads); ++i) threads_.emplace_back([this] { context_.run(); });
  }

  ~Server() { stop(); }

  void stop() {
    context_.stop();
    for (auto& thread : threads_) {
      if (thread.joinable()) thread.join();
    }
    // No thread runs the context any more, so touching the acceptor is safe; the sessions go
    // with the context's pending handlers.
    beast::error_code ignored;
    acceptor_.close(ignored);
  }

  std::uint16_t port() const { return port_; }

 private:
  void accept() {
    acceptor_.async_accept(asio::make_strand(context_), [this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
      if (!ec) std::make_shared<Session>(std::move(socket), settings_)->start();
      accept();
    });
  }

  SessionSettings settings_;
  asio::io_context context_;  // before the acceptor: sockets die before their context
  tcp::acceptor acceptor_;
  std::uint16_t port_ = 0;
  std::vector<std::thread> threads_;
};

RpcGateway::RpcGateway(RpcGatewayOptions options, const NodeDirectory& directory, GatewayCallLog log)
    : options_(std::move(options)),
      forwarder_(options_.node),
      handler_(directory, forwarder_, options_.policy),
      log_(std::move(log)) {}

RpcGateway::~RpcGateway() { stop(); }

void RpcGateway::start() {
  if (!server_) server_ = std::make_unique<Server>(options_, handler_, log_);
}

void RpcGateway::stop() {
  if (server_) {
    server_->stop();
    server_.reset();
  }
}

std::uint16_t RpcGateway::port() const { return server_ ? server_->port() : 0; }

}  // namespace kb::bitcoin
