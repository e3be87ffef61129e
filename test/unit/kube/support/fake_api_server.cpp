#include "fake_api_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <csignal>
#include <set>
#include <stdexcept>
#include <thread>

namespace kb::kube::testing {

std::string FakeRequest::header(const std::string& lower_name) const {
  auto it = headers.find(lower_name);
  return it == headers.end() ? std::string() : it->second;
}

std::string FakeRequest::query_param(const std::string& name) const {
  std::size_t pos = 0;
  while (pos <= query.size()) {
    auto amp = query.find('&', pos);
    std::string part = query.substr(pos, amp == std::string::npos ? std::string::npos : amp - pos);
    auto eq = part.find('=');
    if (part.substr(0, eq) == name) {
      std::string raw = eq == std::string::npos ? "" : part.substr(eq + 1), out;
      for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] == '%' && i + 2 < raw.size()) {
          out.push_back(char(std::stoi(raw.substr(i + 1, 2), nullptr, 16)));
          i += 2;
        } else {
          out.push_back(raw[i] == '+' ? ' ' : raw[i]);
        }
      }
      return out;
    }
    if (amp == std::string::npos) break;
    pos = amp + 1;
  }
  return {};
}

FakeResponse FakeResponse::json(int status, std::string body) {
  FakeResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers.emplace_back("Content-Type", "application/json");
  return r;
}

std::string status_json(int code, const std::string& reason, const std::string& message) {
  return R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":")" + message +
         R"(","reason":")" + reason + R"(","code":)" + std::to_string(code) + "}";
}

namespace {
// One accepted connection, plain or TLS.
struct Peer {
  int fd = -1;
  SSL* ssl = nullptr;
  ~Peer() {
    if (ssl) {
      SSL_shutdown(ssl);
      SSL_free(ssl);
    }
  }
  long read_some(char* buf, std::size_t n) {
    if (ssl) return SSL_read(ssl, buf, int(n));
    return ::recv(fd, buf, n, 0);
  }
  bool write_all(std::string_view data) {
    while (!data.empty()) {
      long n = ssl ? SSL_write(ssl, data.data(), int(data.size())) : ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;
      data.remove_prefix(std::size_t(n));
    }
    return true;
  }
};

const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 401:
      return "Unauthorized";
    case 404:
      return "Not Found";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}
}  // namespace

struct FakeApiServer::Impl {
  Handler handler;
  SSL_CTX* ssl_ctx = nullptr;
  int listen_fd = -1;
  int port = 0;
  std::atomic<bool> stopping{false};
  mutable std::mutex mutex;
  std::condition_variable stopped_cv;
  std::vector<FakeRequest> log;
  std::set<int> open_fds;
  std::size_t accepted = 0;
  std::string client_subject;
  std::vector<std::thread> threads;
  std::thread acceptor;

  void serve(int fd) {
    Peer peer;
    peer.fd = fd;
    if (ssl_ctx) {
      peer.ssl = SSL_new(ssl_ctx);
      SSL_set_fd(peer.ssl, fd);
      if (SSL_accept(peer.ssl) != 1) return;  // the client rejected us (the verification tests) or vice versa
      if (X509* cert = SSL_get1_peer_certificate(peer.ssl)) {
        char cn[256] = {};
        X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
        X509_free(cert);
        std::lock_guard lock(mutex);
        client_subject = cn;
      }
    }
    std::string buffer;
    char chunk[8192];
    while (!stopping) {
      std::size_t header_end;
      while ((header_end = buffer.find("\r\n\r\n")) == std::string::npos) {
        long n = peer.read_some(chunk, sizeof chunk);
        if (n <= 0) return;
        buffer.append(chunk, std::size_t(n));
      }
      FakeRequest request;
      std::string head = buffer.substr(0, header_end);
      buffer.erase(0, header_end + 4);
      auto line_end = head.find("\r\n");
      std::string request_line = head.substr(0, line_end);
      auto sp1 = request_line.find(' '), sp2 = request_line.rfind(' ');
      request.method = request_line.substr(0, sp1);
      request.target = request_line.substr(sp1 + 1, sp2 - sp1 - 1);
      auto q = request.target.find('?');
      request.path = request.target.substr(0, q);
      if (q != std::string::npos) request.query = request.target.substr(q + 1);
      std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
      while (pos < head.size()) {
        auto end = head.find("\r\n", pos);
        if (end == std::string::npos) end = head.size();
        std::string line = head.substr(pos, end - pos);
        auto colon = line.find(':');
        if (colon != std::string::npos) {
          std::string name = line.substr(0, colon);
          std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
          std::string value = line.substr(colon + 1);
          while (!value.empty() && value.front() == ' ') value.erase(0, 1);
          request.headers[name] = value;
        }
        pos = end + 2;
      }
      std::size_t length =
          request.headers.contains("content-length") ? std::stoul(request.headers["content-length"]) : 0;
      while (buffer.size() < length) {
        long n = peer.read_some(chunk, sizeof chunk);
        if (n <= 0) return;
        buffer.append(chunk, std::size_t(n));
      }
      request.body = buffer.substr(0, length);
      buffer.erase(0, length);
      {
        std::lock_guard lock(mutex);
        log.push_back(request);
      }
      FakeResponse response = handler(request);
      if (response.drop) return;
      std::string out = "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
      for (auto& [n, v] : response.headers) out += n + ": " + v + "\r\n";
      const bool chunked = !response.chunks.empty() || response.hold_open;
      if (chunked)
        out += "Transfer-Encoding: chunked\r\n";
      else
        out += "Content-Length: " + std::to_string(response.body.size()) + "\r\n";
      if (response.close) out += "Connection: close\r\n";
      out += "\r\n";
      if (!chunked) out += response.body;
      if (!peer.write_all(out)) return;
      if (chunked) {
        for (auto& c : response.chunks) {
          if (response.chunk_delay.count() > 0) std::this_thread::sleep_for(response.chunk_delay);
          char size[32];
          std::snprintf(size, sizeof size, "%zx\r\n", c.size());
          if (!peer.write_all(std::string(size) + c + "\r\n")) return;
        }
        if (response.hold_open) {
          std::unique_lock lock(mutex);
          stopped_cv.wait(lock, [this] { return stopping.load(); });
          return;
        }
        if (!peer.write_all("0\r\n\r\n")) return;
      }
      if (response.close) return;
    }
  }
};

FakeApiServer::FakeApiServer(Handler handler, const FakeTls* tls) : impl_(std::make_unique<Impl>()) {
  // OpenSSL writes to sockets with write(2): a client that hung up would kill the test with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);
  auto& impl = *impl_;
  impl.handler = std::move(handler);
  if (tls) {
    impl.ssl_ctx = SSL_CTX_new(TLS_server_method());
    if (SSL_CTX_use_certificate_chain_file(impl.ssl_ctx, tls->cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(impl.ssl_ctx, tls->key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("fake server: cannot load " + tls->cert_file);
    if (!tls->client_ca_file.empty()) {
      SSL_CTX_load_verify_locations(impl.ssl_ctx, tls->client_ca_file.c_str(), nullptr);
      SSL_CTX_set_verify(impl.ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
    }
  }
  impl.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(impl.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (bind(impl.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(impl.listen_fd, 64) != 0)
    throw std::runtime_error("fake server: cannot listen");
  socklen_t len = sizeof addr;
  getsockname(impl.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  impl.port = ntohs(addr.sin_port);
  impl.acceptor = std::thread([&impl] {
    for (;;) {
      int fd = accept(impl.listen_fd, nullptr, nullptr);
      if (fd < 0 || impl.stopping) {
        if (fd >= 0) close(fd);
        return;
      }
      int nodelay = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &nodelay, sizeof nodelay);
      std::lock_guard lock(impl.mutex);
      ++impl.accepted;
      impl.open_fds.insert(fd);
      impl.threads.emplace_back([&impl, fd] {
        impl.serve(fd);
        std::lock_guard l(impl.mutex);
        impl.open_fds.erase(fd);
        close(fd);  // under the lock, so stop() never shuts down a recycled descriptor
      });
    }
  });
}

FakeApiServer::~FakeApiServer() { stop(); }

void FakeApiServer::stop() {
  auto& impl = *impl_;
  if (impl.stopping.exchange(true)) return;
  shutdown(impl.listen_fd, SHUT_RDWR);
  close(impl.listen_fd);
  if (impl.acceptor.joinable()) impl.acceptor.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl.mutex);
    for (int fd : impl.open_fds) shutdown(fd, SHUT_RDWR);
    impl.stopped_cv.notify_all();
    threads.swap(impl.threads);
  }
  for (auto& t : threads) t.join();
  if (impl.ssl_ctx) SSL_CTX_free(impl.ssl_ctx);
  impl.ssl_ctx = nullptr;
}

int FakeApiServer::port() const { return impl_->port; }
std::string FakeApiServer::url() const {
  return std::string(impl_->ssl_ctx ? "https" : "http") + "://127.0.0.1:" + std::to_string(impl_->port);
}
std::vector<FakeRequest> FakeApiServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->log;
}
std::size_t FakeApiServer::connections() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}
std::string FakeApiServer::last_client_subject() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->client_subject;
}

}  // namespace kb::kube::testing
