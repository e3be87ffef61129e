// The HTTP server's Beast side: the one heavy translation unit of pkg/observe.
#include "pkg/observe/http_server.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cctype>
#include <map>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

namespace kb::observe {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

std::string HttpRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::pair<std::string, std::uint16_t> parse_listen_address(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos) throw std::invalid_argument("address \"" + text + "\" must be host:port or :port");
  std::string host = text.substr(0, colon);
  int port = -1;
  try {
    port = std::stoi(text.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port < 0 || port > 65535) throw std::invalid_argument("address \"" + text + "\" has an invalid port");
  return {host.empty() ? "0.0.0.0" : host, static_cast<std::uint16_t>(port)};
}

namespace http_server_detail {

// Where answers prepared on other threads are posted. Cut off at stop, so that no thread posts
// to a context that is about to go away.
class Mailbox {
 public:
  explicit Mailbox(asio::io_context& io) : io_(&io) {}
  template <class Function>
  void post(Function function) {
    std::lock_guard lock(mutex_);
    if (io_ != nullptr) asio::post(*io_, std::move(function));
  }
  void close() {
    std::lock_guard lock(mutex_);
    io_ = nullptr;
  }

 private:
  std::mutex mutex_;
  asio::io_context* io_;
};

class Session;

}  // namespace http_server_detail

struct HttpResponder::State {
  std::weak_ptr<http_server_detail::Session> session;
  std::shared_ptr<http_server_detail::Mailbox> mailbox;
  std::uint64_t request = 0;
  std::atomic<bool> answered{false};
  void answer(HttpResponse response);
  ~State();
};

namespace http_server_detail {

// Everything the sessions share. Touched only on the I/O thread, except `mailbox`.
struct ServerCore {
  HttpServer::Options options;
  AsyncHttpHandler handler;
  asio::io_context io{1};  // first: sockets and timers go before their context
  tcp::acceptor acceptor{io};
  asio::steady_timer accept_retry{io};
  std::chrono::milliseconds accept_backoff{0};
  std::map<std::uint64_t, std::shared_ptr<Session>> sessions;
  std::uint64_t next_session = 1;
  std::shared_ptr<Mailbox> mailbox = std::make_shared<Mailbox>(io);
  std::uint16_t port = 0;
  std::atomic<bool> stopped{false};
  std::thread thread;

  HttpResponse server_error(int status, const std::string& why) const {
    if (options.server_error) return options.server_error(status, why);
    return HttpResponse{status, "text/plain; charset=utf-8", why + "\n", {}};
  }
  void accept();
  void admit(tcp::socket socket);
  void forget(std::uint64_t id) { sessions.erase(id); }
  void run();
  void stop();
};

class Session : public std::enable_shared_from_this<Session> {
 public:
  enum class Phase { waiting, reading, handling, writing, closed };

  Session(tcp::socket socket, ServerCore& core, std::uint64_t id)
      : core_(core), stream_(std::move(socket)), handler_deadline_(core.io), id_(id), since_(Clock::now()) {
    beast::error_code ec;
    auto remote = stream_.socket().remote_endpoint(ec);
    if (!ec) remote_ = remote.address().to_string();
  }

  // A new connection must send its first request within the read timeout.
  void start() {
    enter(Phase::reading);
    read_request();
  }

  // The connection that has waited longest for a request goes first when the server is full.
  bool evictable() const { return phase_ == Phase::waiting || phase_ == Phase::reading; }
  Clock::time_point since() const { return since_; }
  const ServerCore& core() const { return core_; }

  void deliver(std::uint64_t request, HttpResponse response) {
    if (phase_ != Phase::handling || request != request_) return;  // late, or already answered
    handler_deadline_.cancel();
    guarded([&] { write(std::move(response)); });
  }

  void close() noexcept {
    if (phase_ == Phase::closed) return;
    auto self = shared_from_this();  // forget() may drop the table's reference
    phase_ = Phase::closed;
    handler_deadline_.cancel();
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.socket().close(ignored);
    core_.forget(id_);
  }

 private:
  void enter(Phase phase) {
    phase_ = phase;
    since_ = Clock::now();
  }

  template <class Function>
  void guarded(Function&& function) noexcept {
    try {
      function();
    } catch (...) {
      close();  // a broken connection ends only itself
    }
  }

  void wait_for_next_request() {
    if (buffer_.size() > 0) {  // pipelined: the next request is already here
      enter(Phase::reading);
      return read_request();
    }
    enter(Phase::waiting);
    stream_.expires_after(core_.options.idle_timeout);
    stream_.async_read_some(buffer_.prepare(4096), [self = shared_from_this()](beast::error_code ec, std::size_t n) {
      self->guarded([&] {
        if (self->phase_ == Phase::closed) return;
        self->buffer_.commit(n);
        if (ec) return self->close();
        self->enter(Phase::reading);
        self->read_request();
      });
    });
  }

  void read_request() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(core_.options.max_header_bytes));
    parser_->body_limit(core_.options.max_body_bytes);
    // One deadline for the whole request, not one per read: a client trickling a byte at a time
    // cannot keep the connection.
    stream_.expires_after(core_.options.read_timeout);
    http::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      self->guarded([&] { self->on_read(ec); });
    });
  }

  HttpRequest request_of(const http::request<http::string_body>& message) const {
    HttpRequest request;
    request.method = std::string(message.method_string());
    request.target = std::string(message.target());
    for (const auto& field : message) {
      std::string name(field.name_string());
      for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      request.headers[name] = std::string(field.value());
    }
    request.remote_address = remote_;
    return request;
  }

  void on_read(beast::error_code ec) {
    if (phase_ == Phase::closed) return;
    if (ec == http::error::body_limit) {
      keep_alive_ = false;  // the body is still on the wire
      version_ = parser_->get().version();
      HttpRequest header_only = request_of(parser_->get());
      enter(Phase::handling);
      return write(core_.options.too_large
                       ? core_.options.too_large(header_only)
                       : HttpResponse{413, "text/plain; charset=utf-8", "request body too large\n", {}});
    }
    if (ec == http::error::header_limit) {
      keep_alive_ = false;
      enter(Phase::handling);
      return write(HttpResponse{431, "text/plain; charset=utf-8", "request header too large\n", {}});
    }
    if (ec) return close();  // deadline, peer gone, or not HTTP: nothing to answer
    auto& message = parser_->get();
    keep_alive_ = message.keep_alive();
    version_ = message.version();
    HttpRequest request = request_of(message);
    request.body = std::move(message.body());

    enter(Phase::handling);
    const std::uint64_t number = ++request_;
    handler_deadline_.expires_after(core_.options.handler_timeout);
    handler_deadline_.async_wait([self = shared_from_this(), number](beast::error_code wait_error) {
      if (wait_error) return;
      auto timeout = std::to_string(self->core_.options.handler_timeout.count());
      self->deliver(number, self->core_.server_error(504, "no answer within " + timeout + " ms"));
    });
    auto state = std::make_shared<HttpResponder::State>();
    state->session = weak_from_this();
    state->mailbox = core_.mailbox;
    state->request = number;
    try {
      core_.handler(std::move(request), HttpResponder(state));
    } catch (const std::exception& error) {
      deliver(number, core_.server_error(500, std::string("internal error: ") + error.what()));
    } catch (...) {
      deliver(number, core_.server_error(500, "internal error"));
    }
  }

  void write(HttpResponse answer) {
    enter(Phase::writing);
    auto response = std::make_shared<http::response<http::string_body>>();
    response->version(version_);
    response->result(static_cast<unsigned>(answer.status >= 100 && answer.status <= 999 ? answer.status : 500));
    response->set(http::field::server, "kubectl-bitcoin");
    // These statuses carry no body (Beast refuses to frame one).
    bool bodiless = answer.status / 100 == 1 || answer.status == 204 || answer.status == 304;
    if (!bodiless) {
      response->set(http::field::content_type, answer.content_type);
      response->body() = std::move(answer.body);
    }
    for (const auto& [name, value] : answer.headers) response->set(name, value);
    response->keep_alive(keep_alive_);
    response->prepare_payload();
    stream_.expires_after(core_.options.write_timeout);
    http::async_write(stream_, *response, [self = shared_from_this(), response](beast::error_code ec, std::size_t) {
      self->guarded([&] {
        if (self->phase_ == Phase::closed) return;
        if (ec || !self->keep_alive_) return self->close();
        self->wait_for_next_request();
      });
    });
  }

  ServerCore& core_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  asio::steady_timer handler_deadline_;
  std::uint64_t id_;
  std::uint64_t request_ = 0;
  Phase phase_ = Phase::reading;
  Clock::time_point since_;
  std::string remote_;
  bool keep_alive_ = false;
  unsigned version_ = 11;
};

void ServerCore::accept() {
  acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      // Out of descriptors or memory: retrying at once would spin; back off up to a second.
      accept_backoff =
          std::min(std::chrono::milliseconds{1000}, std::max(std::chrono::milliseconds{5}, accept_backoff * 2));
      accept_retry.expires_after(accept_backoff);
      accept_retry.async_wait([this](beast::error_code wait_error) {
        if (!wait_error) accept();
      });
      return;
    }
    accept_backoff = std::chrono::milliseconds{0};
    admit(std::move(socket));
    accept();
  });
}

void ServerCore::admit(tcp::socket socket) {
  if (sessions.size() >= options.max_connections) {
    std::shared_ptr<Session> victim;
    for (const auto& [id, session] : sessions) {
      if (session->evictable() && (!victim || session->since() < victim->since())) victim = session;
    }
    if (!victim) {  // every connection is being answered: this one must wait for a free place
      beast::error_code ignored;
      socket.close(ignored);
      return;
    }
    victim->close();
  }
  auto id = next_session++;
  auto session = std::make_shared<Session>(std::move(socket), *this, id);
  sessions.emplace(id, session);
  session->start();
}

void ServerCore::run() {
  for (;;) {
    try {
      io.run();
      return;
    } catch (...) {
      // A completion handler threw past its own guard; the server keeps serving.
    }
  }
}

void ServerCore::stop() {
  if (stopped.exchange(true)) return;
  mailbox->close();
  asio::post(io, [this] {
    beast::error_code ignored;
    acceptor.close(ignored);
    accept_retry.cancel();
    auto open = std::move(sessions);
    sessions.clear();
    for (auto& [id, session] : open) session->close();
    io.stop();
  });
  if (thread.joinable()) thread.join();
}

}  // namespace http_server_detail

using http_server_detail::Mailbox;
using http_server_detail::Session;

void HttpResponder::State::answer(HttpResponse response) {
  if (answered.exchange(true)) return;
  mailbox->post([session = session, request = request, response = std::move(response)]() mutable {
    if (auto alive = session.lock()) alive->deliver(request, std::move(response));
  });
}

HttpResponder::State::~State() {
  if (answered) return;
  try {
    mailbox->post([session = session, request = request] {
      if (auto alive = session.lock()) {
        alive->deliver(request, alive->core().server_error(500, "internal error: the request was dropped"));
      }
    });
  } catch (...) {
    // Nothing to tell: the handler deadline answers instead.
  }
}

void HttpResponder::operator()(HttpResponse response) const { state_->answer(std::move(response)); }

struct HttpServer::Impl : http_server_detail::ServerCore {};

HttpServer::HttpServer(Options options, HttpHandler handler)
    : HttpServer(std::move(options),
                 AsyncHttpHandler([handler = std::move(handler)](HttpRequest request, HttpResponder respond) {
                   respond(handler(request));
                 })) {}

HttpServer::HttpServer(Options options, AsyncHttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  const auto& address_text = impl_->options.address;
  beast::error_code ec;
  auto address = asio::ip::make_address(address_text, ec);
  if (ec)
    throw std::runtime_error(impl_->options.name + ": cannot listen on \"" + address_text + "\": not an IP address");
  tcp::endpoint endpoint(address, impl_->options.port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error(impl_->options.name + ": cannot listen on " + address_text + ":" +
                             std::to_string(impl_->options.port) + ": " + ec.message());
  }
  impl_->port = acceptor.local_endpoint().port();
  impl_->accept();
  impl_->thread = std::thread([core = impl_.get()] { core->run(); });
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::stop() {
  if (impl_) impl_->stop();
}

}  // namespace kb::observe
