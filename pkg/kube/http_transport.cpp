// The only translation unit of pkg/kube that includes Boost.Beast/Asio/SSL (see ARCHITECTURE.md).
#include "pkg/kube/http_transport.hpp"

#include "pkg/kube/errors.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <mutex>
#include <optional>

namespace kb::kube {
namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct ServerUrl {
  bool tls = true;
  std::string host;  // without brackets
  std::string port;
  std::string prefix;       // path prefix without trailing '/'
  std::string host_header;  // as in the URL
  std::string display;      // scheme://host:port
};

ServerUrl parse_server_url(const std::string& server) {
  ServerUrl url;
  std::string_view rest = server;
  if (rest.starts_with("https://")) {
    rest.remove_prefix(8);
  } else if (rest.starts_with("http://")) {
    url.tls = false;
    rest.remove_prefix(7);
  } else {
    throw ConfigError("server", "", "\"" + server + "\" is not an http(s) URL");
  }
  auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  if (slash != std::string_view::npos) url.prefix = std::string(rest.substr(slash));
  while (!url.prefix.empty() && url.prefix.back() == '/') url.prefix.pop_back();
  url.host_header = std::string(authority);
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string_view::npos)
      throw ConfigError("server", "", "\"" + server + "\" has a malformed IPv6 address");
    url.host = std::string(authority.substr(1, close - 1));
    if (close + 1 < authority.size() && authority[close + 1] == ':')
      url.port = std::string(authority.substr(close + 2));
  } else {
    auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) url.port = std::string(authority.substr(colon + 1));
  }
  if (url.host.empty()) throw ConfigError("server", "", "\"" + server + "\" has no host");
  if (url.port.empty()) url.port = url.tls ? "443" : "80";
  bool ipv6 = url.host.find(':') != std::string::npos;
  url.display =
      std::string(url.tls ? "https://" : "http://") + (ipv6 ? "[" + url.host + "]" : url.host) + ":" + url.port;
  return url;
}

bool is_ip_address(const std::string& host) {
  boost::system::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

std::shared_ptr<ssl::context> make_tls_context(const TlsConfig& tls, const std::string& cert_pem,
                                               const std::string& key_pem, const std::string& cert_origin,
                                               const std::string& key_origin) {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (tls.insecure_skip_verify) {
    ctx->set_verify_mode(ssl::verify_none);
  } else {
    ctx->set_verify_mode(ssl::verify_peer);
    if (tls.ca_pem.empty()) {
      ctx->set_default_verify_paths(ec);
    } else {
      ERR_clear_error();
      ctx->add_certificate_authority(net::buffer(tls.ca_pem), ec);
      if (ec)
        throw ConfigError(tls.ca_origin.empty() ? "certificate-authority" : tls.ca_origin, "",
                          "the CA bundle is not valid PEM (" + ec.message() + ")");
    }
  }
  if (!cert_pem.empty()) {
    ERR_clear_error();
    ctx->use_certificate_chain(net::buffer(cert_pem), ec);
    if (ec) throw ConfigError(cert_origin, "", "is not a PEM certificate (" + ec.message() + ")");
    ctx->use_private_key(net::buffer(key_pem), ssl::context::pem, ec);
    if (ec && ec.message().find("mismatch") != std::string::npos)
      throw ConfigError(key_origin, "", "does not match the client certificate");
    if (ec) throw ConfigError(key_origin, "", "is not a PEM private key (" + ec.message() + ")");
    if (SSL_CTX_check_private_key(ctx->native_handle()) != 1)
      throw ConfigError(key_origin, "", "does not match the client certificate");
  }
  return ctx;
}

// Errors that mean "the idle keep-alive connection was closed by the server before we used it".
bool is_stale_connection_error(const beast::error_code& ec) {
  return ec == http::error::end_of_stream || ec == net::error::eof || ec == net::error::connection_reset ||
         ec == net::error::broken_pipe || ec == ssl::error::stream_truncated || ec == net::error::connection_aborted;
}

std::string seconds_text(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace

struct Connection {
  // Declaration order matters: the streams use the io_context and the TLS context.
  net::io_context ioc{1};
  std::shared_ptr<ssl::context> tls_context;
  std::unique_ptr<beast::tcp_stream> plain;
  std::unique_ptr<beast::ssl_stream<beast::tcp_stream>> tls;
  beast::flat_buffer buffer;
  std::uint64_t tls_generation = 0;
  Clock::time_point idle_since{};
  bool reused = false;

  beast::tcp_stream& lowest() { return tls ? beast::get_lowest_layer(*tls) : *plain; }

  void set_deadline(std::optional<Clock::time_point> deadline) {
    if (deadline)
      lowest().expires_at(*deadline);
    else
      lowest().expires_never();
  }

  // Runs one asynchronous operation to completion on this thread; the tcp_stream timer bounds it.
  template <class Initiate>
  beast::error_code run(std::optional<Clock::time_point> deadline, Initiate&& initiate) {
    beast::error_code result = net::error::would_block;
    set_deadline(deadline);
    initiate([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc.restart();
    ioc.run();
    return result;
  }

  template <class F>
  auto with_stream(F&& f) {
    if (tls) return f(*tls);
    return f(*plain);
  }

  void close() {
    beast::error_code ignored;
    lowest().socket().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close();
  }
};

struct HttpTransport::Impl {
  ClusterConfig config;
  ServerUrl url;
  std::size_t max_idle;
  std::mutex mutex;
  std::vector<std::unique_ptr<Connection>> idle;
  std::shared_ptr<ssl::context> tls_context;  // for the current identity
  std::uint64_t tls_generation = 0;
  std::uint64_t identity_generation = 0;  // Credentials::generation the context was built for
  std::uint64_t opened = 0;

  Impl(const ClusterConfig& c, std::size_t max_idle_connections)
      : config(c), url(parse_server_url(c.server)), max_idle(max_idle_connections) {
    if (url.tls) {
      const std::string origin = config.origin.empty() ? std::string("client configuration") : config.origin;
      tls_context = make_tls_context(
          config.tls, config.tls.client_cert_pem, config.tls.client_key_pem,
          config.tls.client_cert_origin.empty() ? origin + ": client-certificate" : config.tls.client_cert_origin,
          config.tls.client_key_origin.empty() ? origin + ": client-key" : config.tls.client_key_origin);
    }
  }

  // The TLS context for these credentials; rebuilt (and the pool emptied) when an exec plugin's
  // client certificate changes.
  std::pair<std::shared_ptr<ssl::context>, std::uint64_t> context_for(const Credentials& identity) {
    std::lock_guard lock(mutex);
    if (url.tls && !identity.client_cert_pem.empty() && identity.generation != identity_generation) {
      const std::string plugin = "exec plugin " + (config.auth.exec ? config.auth.exec->command : "");
      tls_context = make_tls_context(config.tls, identity.client_cert_pem, identity.client_key_pem,
                                     plugin + ": status.clientCertificateData", plugin + ": status.clientKeyData");
      identity_generation = identity.generation;
      ++tls_generation;
      idle.clear();
    }
    return {tls_context, tls_generation};
  }

  std::unique_ptr<Connection> acquire(const Credentials& identity, std::optional<Clock::time_point> deadline) {
    auto [context, generation] = context_for(identity);
    {
      std::lock_guard lock(mutex);
      auto now = Clock::now();
      while (!idle.empty()) {
        auto c = std::move(idle.back());
        idle.pop_back();
        // The API server (like Go's default) drops idle connections; do not bet on old ones.
        if (c->tls_generation == generation && now - c->idle_since < std::chrono::seconds(60)) {
          c->reused = true;
          return c;
        }
      }
    }
    return open(context, generation, deadline);
  }

  void release(std::unique_ptr<Connection> c) {
    c->idle_since = Clock::now();
    c->buffer.clear();
    std::lock_guard lock(mutex);
    if (idle.size() < max_idle && c->tls_generation == tls_generation) idle.push_back(std::move(c));
  }

  std::unique_ptr<Connection> open(std::shared_ptr<ssl::context> context, std::uint64_t generation,
                                   std::optional<Clock::time_point> request_deadline) {
    auto c = std::make_unique<Connection>();
    c->tls_generation = generation;
    tcp::resolver resolver(c->ioc);
    beast::error_code ec;
    auto endpoints = resolver.resolve(url.host, url.port, ec);
    if (ec) throw TransportError(TransportError::Kind::Resolve, url.display, ec.message());
    if (url.tls) {
      c->tls_context = std::move(context);
      c->tls = std::make_unique<beast::ssl_stream<beast::tcp_stream>>(c->ioc, *c->tls_context);
    } else {
      c->plain = std::make_unique<beast::tcp_stream>(c->ioc);
    }
    auto connect_deadline = Clock::now() + config.connect_timeout;
    if (config.connect_timeout.count() <= 0) connect_deadline = Clock::now() + std::chrono::hours(1);
    if (request_deadline && *request_deadline < connect_deadline) connect_deadline = *request_deadline;
    ec = c->run(connect_deadline, [&](auto handler) { c->lowest().async_connect(endpoints, std::move(handler)); });
    if (ec == beast::error::timeout)
      throw TransportError(TransportError::Kind::Timeout, url.display,
                           "connecting took longer than " + seconds_text(config.connect_timeout));
    if (ec) throw TransportError(TransportError::Kind::Connect, url.display, ec.message());
    c->lowest().socket().set_option(tcp::no_delay(true), ec);
    // TCP keep-alive after 30 s idle (as client-go's dialer): a pooled connection or a quiet watch
    // to an API server that vanished without a FIN is noticed in about a minute, not hours.
    c->lowest().socket().set_option(net::socket_base::keep_alive(true), ec);
    int fd = c->lowest().socket().native_handle();
    int keep_idle = 30, interval = 10, probes = 3;
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &keep_idle, sizeof keep_idle);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval);
    ::setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes);
    if (url.tls) handshake(*c, connect_deadline);
    ++opened;
    return c;
  }

  void handshake(Connection& c, Clock::time_point deadline) {
    SSL* native = c.tls->native_handle();
    const std::string verify_name = config.tls.server_name.empty() ? url.host : config.tls.server_name;
    const bool ip = is_ip_address(verify_name);
    if (!ip) SSL_set_tlsext_host_name(native, verify_name.c_str());
    if (!config.tls.insecure_skip_verify) {
      X509_VERIFY_PARAM* param = SSL_get0_param(native);
      if (ip)
        X509_VERIFY_PARAM_set1_ip_asc(param, verify_name.c_str());
      else
        X509_VERIFY_PARAM_set1_host(param, verify_name.c_str(), 0);
    }
    auto ec =
        c.run(deadline, [&](auto handler) { c.tls->async_handshake(ssl::stream_base::client, std::move(handler)); });
    if (!ec) return;
    if (ec == beast::error::timeout)
      throw TransportError(TransportError::Kind::Timeout, url.display, "the TLS handshake did not finish in time");
    long verify = SSL_get_verify_result(native);
    if (verify != X509_V_OK) {
      std::string why = X509_verify_cert_error_string(verify);
      if (verify == X509_V_ERR_HOSTNAME_MISMATCH || verify == X509_V_ERR_IP_ADDRESS_MISMATCH)
        why += " (the certificate is not valid for \"" + verify_name + "\"; tls-server-name sets another name)";
      if (!config.tls.ca_origin.empty()) why += "; trusted CA from " + config.tls.ca_origin;
      throw TransportError(TransportError::Kind::TlsVerify, url.display, why);
    }
    throw TransportError(TransportError::Kind::Tls, url.display, ec.message());
  }

  http::request<http::string_body> build(const TransportRequest& request) {
    http::request<http::string_body> req;
    req.method_string(request.method);
    req.target(url.prefix + request.target);
    req.version(11);
    req.set(http::field::host, url.host_header);
    for (auto& [name, value] : request.headers) req.set(name, value);
    if (!request.body.empty() || request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
      req.body() = request.body;
      req.prepare_payload();
    }
    req.keep_alive(true);
    return req;
  }

  static HeaderList headers_of(const http::fields& fields) {
    HeaderList headers;
    for (auto& f : fields) headers.emplace_back(std::string(f.name_string()), std::string(f.value()));
    return headers;
  }

  [[noreturn]] void fail(const beast::error_code& ec, const TransportRequest& request,
                         std::chrono::milliseconds timeout, const char* phase) {
    if (ec == beast::error::timeout)
      throw TransportError(
          TransportError::Kind::Timeout, url.display,
          "no answer to " + request.method + " " + path_of(request) + " within " + seconds_text(timeout));
    if (is_stale_connection_error(ec))
      throw TransportError(TransportError::Kind::Closed, url.display,
                           std::string(phase) + " " + request.method + " " + path_of(request) + ": " + ec.message());
    throw TransportError(TransportError::Kind::Protocol, url.display,
                         std::string(phase) + " " + request.method + " " + path_of(request) + ": " + ec.message());
  }

  static std::string path_of(const TransportRequest& request) {
    return request.target.substr(0, request.target.find('?'));
  }
};

namespace {
struct StaleConnection {};
}  // namespace

HttpTransport::HttpTransport(const ClusterConfig& config, std::size_t max_idle_connections)
    : impl_(std::make_unique<Impl>(config, max_idle_connections)) {}
HttpTransport::~HttpTransport() = default;

const std::string& HttpTransport::server() const { return impl_->url.display; }

void HttpTransport::reset() {
  std::lock_guard lock(impl_->mutex);
  impl_->idle.clear();
}

std::size_t HttpTransport::idle_connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->idle.size();
}

std::uint64_t HttpTransport::connections_opened() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->opened;
}

TransportResponse HttpTransport::send(const TransportRequest& request, const Credentials& identity) {
  auto& impl = *impl_;
  std::optional<Clock::time_point> deadline;
  if (request.timeout.count() > 0) deadline = Clock::now() + request.timeout;
  auto req = impl.build(request);
  for (int attempt = 0;; ++attempt) {
    auto c = impl.acquire(identity, deadline);
    const bool may_retry = c->reused && attempt == 0;
    auto ec = c->run(deadline, [&](auto handler) {
      c->with_stream([&](auto& stream) { http::async_write(stream, req, std::move(handler)); });
    });
    if (ec) {
      if (may_retry && is_stale_connection_error(ec)) continue;
      impl.fail(ec, request, request.timeout, "sending");
    }
    http::response_parser<http::string_body> parser;
    parser.body_limit(std::uint64_t(1) << 31);
    ec = c->run(deadline, [&](auto handler) {
      c->with_stream([&](auto& stream) { http::async_read(stream, c->buffer, parser, std::move(handler)); });
    });
    if (ec) {
      // Nothing came back on a reused connection: the server had closed it; the request was not seen.
      if (may_retry && !parser.got_some() && is_stale_connection_error(ec)) continue;
      impl.fail(ec, request, request.timeout, "reading the answer to");
    }
    auto message = parser.release();
    TransportResponse response{int(message.result_int()), Impl::headers_of(message.base()), std::move(message.body())};
    if (message.keep_alive()) impl.release(std::move(c));
    return response;
  }
}

TransportResponse HttpTransport::stream(const TransportRequest& request, const Credentials& identity,
                                        const std::function<bool(std::string_view)>& on_data, std::stop_token stop,
                                        std::chrono::milliseconds idle_timeout) {
  auto& impl = *impl_;
  auto next_deadline = [&]() -> std::optional<Clock::time_point> {
    if (idle_timeout.count() > 0) return Clock::now() + idle_timeout;
    return std::nullopt;
  };
  auto req = impl.build(request);
  for (int attempt = 0;; ++attempt) {
    auto c = impl.acquire(identity, next_deadline());
    const bool may_retry = c->reused && attempt == 0;
    Connection& conn = *c;
    // Cancelling from another thread: post into the connection's io_context, which only this
    // thread runs; the pending read then completes with operation_aborted.
    std::optional<std::stop_callback<std::function<void()>>> on_stop;
    on_stop.emplace(stop, std::function<void()>([&conn] { net::post(conn.ioc, [&conn] { conn.lowest().cancel(); }); }));
    if (stop.stop_requested()) return {};
    auto ec = conn.run(next_deadline(), [&](auto handler) {
      conn.with_stream([&](auto& stream) { http::async_write(stream, req, std::move(handler)); });
    });
    if (ec) {
      if (stop.stop_requested()) return {};
      if (may_retry && is_stale_connection_error(ec)) continue;
      impl.fail(ec, request, idle_timeout, "sending");
    }
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);
    ec = conn.run(next_deadline(), [&](auto handler) {
      conn.with_stream([&](auto& stream) { http::async_read_header(stream, conn.buffer, parser, std::move(handler)); });
    });
    if (ec) {
      if (stop.stop_requested()) return {};
      if (may_retry && !parser.got_some() && is_stale_connection_error(ec)) continue;
      impl.fail(ec, request, idle_timeout, "reading the answer to");
    }
    TransportResponse response;
    response.status = int(parser.get().result_int());
    response.headers = Impl::headers_of(parser.get().base());
    const bool deliver = response.status < 300;
    char buffer[16384];
    bool stopped_early = false;
    while (!parser.is_done()) {
      if (stop.stop_requested()) {
        stopped_early = true;
        break;
      }
      parser.get().body().data = buffer;
      parser.get().body().size = sizeof buffer;
      ec = conn.run(next_deadline(), [&](auto handler) {
        conn.with_stream([&](auto& stream) { http::async_read_some(stream, conn.buffer, parser, std::move(handler)); });
      });
      if (ec == http::error::need_buffer) ec = {};
      std::size_t got = sizeof buffer - parser.get().body().size;
      if (got > 0) {
        if (deliver) {
          if (!on_data(std::string_view(buffer, got))) {
            stopped_early = true;
            break;
          }
        } else if (response.body.size() < (1u << 20)) {
          response.body.append(buffer, got);
        }
      }
      if (ec) {
        if (stop.stop_requested()) return response;
        if (ec == beast::error::timeout)
          throw TransportError(
              TransportError::Kind::Timeout, impl.url.display,
              "no data on " + request.method + " " + Impl::path_of(request) + " for " + seconds_text(idle_timeout));
        impl.fail(ec, request, idle_timeout, "streaming");
      }
    }
    // Detach the stop callback first: a pooled connection may soon run on another thread. If stop
    // fired meanwhile, a cancel may be queued on this connection's io_context: do not reuse it.
    on_stop.reset();
    if (!stopped_early && !stop.stop_requested() && parser.get().keep_alive()) impl.release(std::move(c));
    return response;
  }
}

}  // namespace kb::kube
