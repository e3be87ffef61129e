#include "pkg/observe/http_server.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace kb::observe {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

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

struct HttpServer::Impl {
  Options options;
  HttpHandler handler;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::atomic<bool> stopping{false};
  std::mutex mutex;
  std::condition_variable idle;
  int active = 0;
  std::thread accept_thread;

  void serve_connection(tcp::socket socket) {
    try {
      struct timeval tv {};
      tv.tv_sec = static_cast<long>(options.read_timeout.count() / 1000);
      tv.tv_usec = static_cast<long>((options.read_timeout.count() % 1000) * 1000);
      setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
      std::string remote = socket.remote_endpoint().address().to_string();
      beast::flat_buffer buffer;
      while (!stopping) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(options.max_body_bytes);
        beast::error_code ec;
        http::read(socket, buffer, parser, ec);
        if (ec == http::error::body_limit) {
          write_response(socket, 11, false,
                         HttpResponse{413, "text/plain; charset=utf-8", "request body too large\n", {}});
          break;
        }
        if (ec) break;
        auto& message = parser.get();
        HttpRequest request;
        request.method = std::string(message.method_string());
        request.target = std::string(message.target());
        for (const auto& field : message) {
          std::string name(field.name_string());
          for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
          request.headers[name] = std::string(field.value());
        }
        request.body = std::move(message.body());
        request.remote_address = remote;
        HttpResponse response;
        try {
          response = handler(request);
        } catch (const std::exception& e) {
          response =
              HttpResponse{500, "text/plain; charset=utf-8", std::string("internal error: ") + e.what() + "\n", {}};
        }
        bool keep_alive = message.keep_alive();
        if (!write_response(socket, message.version(), keep_alive, response) || !keep_alive) break;
      }
      beast::error_code ignored;
      socket.shutdown(tcp::socket::shutdown_both, ignored);
    } catch (const std::exception&) {
      // A broken connection only ends that connection.
    }
  }

  static bool write_response(tcp::socket& socket, unsigned version, bool keep_alive, const HttpResponse& r) {
    http::response<http::string_body> out{static_cast<http::status>(r.status), version};
    out.set(http::field::server, "kubectl-bitcoin");
    out.set(http::field::content_type, r.content_type);
    for (const auto& [k, v] : r.headers) out.set(k, v);
    out.keep_alive(keep_alive);
    out.body() = r.body;
    out.prepare_payload();
    beast::error_code ec;
    http::write(socket, out, ec);
    return !ec;
  }

  void accept_loop() {
    while (!stopping) {
      {
        std::unique_lock lock(mutex);
        idle.wait(lock, [&] { return active < options.max_connections || stopping; });
        if (stopping) return;
      }
      beast::error_code ec;
      tcp::socket socket(io);
      acceptor.accept(socket, ec);
      if (ec) {
        if (stopping) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        continue;
      }
      {
        std::lock_guard lock(mutex);
        ++active;
      }
      std::thread([this, s = std::move(socket)]() mutable {
        serve_connection(std::move(s));
        std::lock_guard lock(mutex);
        --active;
        idle.notify_all();
      }).detach();
    }
  }
};

HttpServer::HttpServer(Options options, HttpHandler handler) : impl_(std::make_unique<Impl>()) {
  impl_->options = std::move(options);
  impl_->handler = std::move(handler);
  beast::error_code ec;
  auto address = asio::ip::make_address(impl_->options.address, ec);
  if (ec) throw std::runtime_error("cannot listen on \"" + impl_->options.address + "\": not an IP address");
  tcp::endpoint endpoint(address, impl_->options.port);
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    throw std::runtime_error("cannot listen on " + impl_->options.address + ":" + std::to_string(impl_->options.port) +
                             ": " + ec.message());
  }
  impl_->accept_thread = std::thread([impl = impl_.get()] { impl->accept_loop(); });
}

HttpServer::~HttpServer() { stop(); }

std::uint16_t HttpServer::port() const { return impl_->acceptor.local_endpoint().port(); }

void HttpServer::stop() {
  if (!impl_ || impl_->stopping.exchange(true)) return;
  beast::error_code ec;
  // shutdown() wakes the blocking accept(); close() alone does not on Linux.
  ::shutdown(impl_->acceptor.native_handle(), SHUT_RDWR);
  impl_->idle.notify_all();
  if (impl_->accept_thread.joinable()) impl_->accept_thread.join();
  impl_->acceptor.close(ec);
  // Let in-flight connections finish (their reads time out).
  std::unique_lock lock(impl_->mutex);
  impl_->idle.wait_for(lock, impl_->options.read_timeout + std::chrono::seconds(1), [&] { return impl_->active == 0; });
}

}  // namespace kb::observe
