// The only place of the client that touches Beast/Asio (they are heavy to compile).
#include "pkg/bitcoin/rpc_client.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <optional>

namespace kb::bitcoin {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Kind = RpcTransportError::Kind;

namespace {
// bitcoind's answers carry a handful of short headers.
constexpr std::uint32_t kMaxHeaderBytes = 8 * 1024;

struct ExchangeOutcome {
  std::optional<HttpReply> reply;
  bool keep_alive = false;
  Kind failure = Kind::io_error;
  std::string detail;
};
}  // namespace

// One TCP connection with its own io_context: the client is synchronous to its callers, but
// runs each step as an async operation so that beast::tcp_stream's deadlines apply.
class RpcClient::Connection {
 public:
  explicit Connection(const RpcEndpoint& endpoint) : endpoint_(endpoint), stream_(context_) {}

  // Throws RpcTransportError (resolve_failed, connect_refused, connect_timeout, io_error).
  void connect(std::chrono::milliseconds timeout, std::string_view label) {
    tcp::resolver resolver(context_);
    beast::error_code ec;
    auto results = resolver.resolve(endpoint_.host, std::to_string(endpoint_.port), ec);
    if (ec) throw RpcTransportError(Kind::resolve_failed, describe(endpoint_), std::string(label), ec.message());
    stream_.expires_after(timeout);
    stream_.async_connect(results, [&ec](beast::error_code result, const tcp::endpoint&) { ec = result; });
    run();
    if (ec == beast::error::timeout) {
      throw RpcTransportError(Kind::connect_timeout, describe(endpoint_), std::string(label),
                              "no answer within " + std::to_string(timeout.count()) + " ms");
    }
    if (ec == asio::error::connection_refused) {
      throw RpcTransportError(Kind::connect_refused, describe(endpoint_), std::string(label), "");
    }
    if (ec) throw RpcTransportError(Kind::io_error, describe(endpoint_), std::string(label), ec.message());
    stream_.socket().set_option(tcp::no_delay(true), ec);  // small requests, latency matters
  }

  ExchangeOutcome exchange(const std::string& body, const std::string& authorization, const RpcClientOptions& options) {
    http::request<http::string_body> request{http::verb::post, endpoint_.path.empty() ? "/" : endpoint_.path, 11};
    request.set(http::field::host, describe(endpoint_));
    request.set(http::field::authorization, authorization);
    request.set(http::field::content_type, "application/json");
    request.set(http::field::user_agent, "kubectl-bitcoin");
    request.keep_alive(true);
    request.body() = body;
    request.prepare_payload();

    http::response_parser<http::string_body> parser;
    parser.body_limit(options.max_response_bytes);
    parser.header_limit(kMaxHeaderBytes);
    beast::error_code write_error;
    beast::error_code read_error;
    stream_.expires_after(options.call_timeout);
    http::async_write(stream_, request, [&](beast::error_code ec, std::size_t) {
      write_error = ec;
      if (!ec) http::async_read(stream_, buffer_, parser, [&](beast::error_code r, std::size_t) { read_error = r; });
    });
    run();
    ++exchanges_;

    ExchangeOutcome outcome;
    if (write_error || read_error) {
      classify(write_error ? write_error : read_error, parser.got_some(), options, outcome);
      return outcome;
    }
    outcome.keep_alive = parser.get().keep_alive();
    outcome.reply = HttpReply{int(parser.get().result_int()), std::move(parser.get().body())};
    return outcome;
  }

  // Whether this connection already carried a request: a failure on a reused connection
  // before any byte came back is the classic keep-alive race (the server closed it while idle).
  bool reused() const { return exchanges_ > 1; }

 private:
  void run() {
    context_.restart();
    context_.run();
  }

  static void classify(beast::error_code ec, bool got_some, const RpcClientOptions& options, ExchangeOutcome& outcome) {
    if (ec == beast::error::timeout) {
      outcome.failure = Kind::call_timeout;
      outcome.detail = "no complete answer within " + std::to_string(options.call_timeout.count()) + " ms";
    } else if (ec == http::error::body_limit) {
      outcome.failure = Kind::response_too_large;
      outcome.detail = "the body is over this client's limit of " + std::to_string(options.max_response_bytes) +
                       " bytes (max_response_bytes)";
    } else if (ec == http::error::header_limit) {
      outcome.failure = Kind::response_too_large;
      outcome.detail = "the header is over the limit of " + std::to_string(kMaxHeaderBytes) + " bytes";
    } else if (ec == http::error::partial_message ||
               (got_some &&
                (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset))) {
      outcome.failure = Kind::truncated_response;
      outcome.detail = "the connection closed in the middle of the answer";
    } else if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == asio::error::connection_reset ||
               ec == asio::error::broken_pipe || ec == asio::error::connection_aborted) {
      outcome.failure = Kind::connection_closed;
      outcome.detail = ec.message();
    } else if (ec.category() == http::make_error_code(http::error::bad_version).category()) {
      outcome.failure = Kind::malformed_response;
      outcome.detail = "not an HTTP answer (" + ec.message() + ")";
    } else {
      outcome.failure = Kind::io_error;
      outcome.detail = ec.message();
    }
  }

  const RpcEndpoint& endpoint_;
  asio::io_context context_{1};
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::size_t exchanges_ = 0;
};

RpcClient::RpcClient(RpcEndpoint endpoint, RpcClientOptions options)
    : endpoint_(std::move(endpoint)), options_(options) {}

RpcClient::~RpcClient() = default;

std::size_t RpcClient::connections_opened() const {
  std::lock_guard lock(mutex_);
  return connections_opened_;
}

HttpReply RpcClient::exchange(const std::string& body, std::string_view label) {
  // Read per call: a cookie file changes whenever the node restarts.
  const std::string authorization = basic_authorization(endpoint_.credentials);
  for (int attempt = 0;; ++attempt) {
    if (!connection_) {
      auto fresh = std::make_unique<Connection>(endpoint_);
      ++connections_opened_;
      fresh->connect(options_.connect_timeout, label);
      connection_ = std::move(fresh);
    }
    ExchangeOutcome outcome = connection_->exchange(body, authorization, options_);
    if (outcome.reply) {
      if (!outcome.keep_alive) connection_.reset();
      return std::move(*outcome.reply);
    }
    bool stale = connection_->reused() && outcome.failure == Kind::connection_closed;
    connection_.reset();
    // Only a failure that proves the node never saw the request is retried, and only once:
    // calls such as addnode or generatetoaddress must not run twice.
    if (stale && attempt == 0) continue;
    throw RpcTransportError(outcome.failure, describe(endpoint_), std::string(label), outcome.detail);
  }
}

HttpReply RpcClient::post(const std::string& body, std::string_view label) {
  std::lock_guard lock(mutex_);
  return exchange(body, label);
}

boost::json::value RpcClient::call(std::string_view method, boost::json::array params) {
  std::lock_guard lock(mutex_);
  RpcRequest request{std::string(method), std::move(params)};
  HttpReply reply = exchange(encode_request(request, next_id_++), method);
  return decode_reply(reply, method, describe(endpoint_));
}

std::vector<BatchItem> RpcClient::call_batch(const std::vector<RpcRequest>& requests) {
  if (requests.empty()) return {};
  std::lock_guard lock(mutex_);
  std::uint64_t first_id = next_id_;
  next_id_ += requests.size();
  HttpReply reply = exchange(encode_batch(requests, first_id), "batch of " + std::to_string(requests.size()));
  return decode_batch_reply(reply, requests, first_id, describe(endpoint_));
}

}  // namespace kb::bitcoin
