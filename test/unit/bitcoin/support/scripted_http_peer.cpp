#include "test/unit/bitcoin/support/scripted_http_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <stdexcept>

namespace kb::bitcoin::testing {

namespace {
const char* reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Status";
  }
}

int listen_loopback(Loopback loopback, std::uint16_t& port) {
  const bool v6 = loopback == Loopback::ipv6;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_storage storage{};
  socklen_t length = 0;
  if (v6) {
    auto* address = reinterpret_cast<sockaddr_in6*>(&storage);
    address->sin6_family = AF_INET6;
    address->sin6_addr = in6addr_loopback;
    length = sizeof *address;
  } else {
    auto* address = reinterpret_cast<sockaddr_in*>(&storage);
    address->sin_family = AF_INET;
    address->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    length = sizeof *address;
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&storage), length) != 0 || ::listen(fd, 16) != 0) {
    ::close(fd);
    throw std::runtime_error(v6 ? "cannot listen on ::1" : "cannot listen on 127.0.0.1");
  }
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&storage), &length);
  port = ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&storage)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&storage)->sin_port);
  return fd;
}

bool send_all(int fd, const std::string& bytes) {
  std::size_t sent = 0;
  while (sent < bytes.size()) {
    ssize_t n = ::send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
    if (n <= 0) return false;
    sent += std::size_t(n);
  }
  return true;
}

// Reads one request; false when the peer closed the connection (or on garbage).
bool read_request(int fd, std::string& pending, ReceivedRequest& request) {
  char chunk[4096];
  std::size_t header_end;
  while ((header_end = pending.find("\r\n\r\n")) == std::string::npos) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending.append(chunk, std::size_t(n));
  }
  std::string head = pending.substr(0, header_end);
  pending.erase(0, header_end + 4);
  auto line_end = head.find("\r\n");
  std::string request_line = head.substr(0, line_end);
  auto space1 = request_line.find(' ');
  auto space2 = request_line.find(' ', space1 + 1);
  request.method = request_line.substr(0, space1);
  request.target = request_line.substr(space1 + 1, space2 - space1 - 1);
  std::size_t position = line_end == std::string::npos ? head.size() : line_end + 2;
  while (position < head.size()) {
    auto next = head.find("\r\n", position);
    if (next == std::string::npos) next = head.size();
    std::string line = head.substr(position, next - position);
    position = next + 2;
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return char(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    value.erase(0, value.find_first_not_of(' '));
    request.headers[name] = value;
  }
  std::size_t length = 0;
  if (auto it = request.headers.find("content-length"); it != request.headers.end()) length = std::stoul(it->second);
  while (pending.size() < length) {
    ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n <= 0) return false;
    pending.append(chunk, std::size_t(n));
  }
  request.body = pending.substr(0, length);
  pending.erase(0, length);
  return true;
}
}  // namespace

ScriptedReply http_reply(int status, std::string body, std::string content_type) {
  std::string raw = "HTTP/1.1 " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  if (!content_type.empty()) raw += "Content-Type: " + content_type + "\r\n";
  raw += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  return ScriptedReply{std::move(raw)};
}

std::string rpc_result(const std::string& result_json, const std::string& id_json) {
  return R"({"result":)" + result_json + R"(,"error":null,"id":)" + id_json + "}";
}

std::string rpc_error(int code, const std::string& message, const std::string& id_json) {
  return R"({"result":null,"error":{"code":)" + std::to_string(code) + R"(,"message":)" +
         boost::json::serialize(boost::json::value(message)) + R"(},"id":)" + id_json + "}";
}

std::string request_id(const std::string& body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object() || !value.get_object().contains("id")) return "null";
  return boost::json::serialize(value.get_object().at("id"));
}

std::string request_method(const std::string& body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return "";
  const auto* method = value.get_object().if_contains("method");
  return method && method->is_string() ? std::string(method->get_string()) : "";
}

ScriptedHttpPeer::ScriptedHttpPeer(Script script, Loopback loopback) : script_(std::move(script)) {
  listen_fd_ = listen_loopback(loopback, port_);
  acceptor_ = std::thread([this] { accept_loop(); });
}

ScriptedHttpPeer::~ScriptedHttpPeer() {
  stopping_ = true;
  ::shutdown(listen_fd_, SHUT_RDWR);
  ::close(listen_fd_);
  acceptor_.join();
  drop_connections();
  for (auto& thread : threads_) thread.join();
}

void ScriptedHttpPeer::accept_loop() {
  while (!stopping_) {
    pollfd waiting{listen_fd_, POLLIN, 0};
    if (::poll(&waiting, 1, 50) <= 0) continue;
    int fd = ::accept(listen_fd_, nullptr, nullptr);
    if (fd < 0) continue;
    int connection = ++connections_;
    std::lock_guard lock(mutex_);
    open_fds_.push_back(fd);
    threads_.emplace_back([this, fd, connection] { serve(fd, connection); });
  }
}

void ScriptedHttpPeer::serve(int fd, int connection) {
  std::string pending;
  while (!stopping_) {
    ReceivedRequest request;
    if (!read_request(fd, pending, request)) break;
    request.connection = connection;
    {
      std::lock_guard lock(mutex_);
      requests_.push_back(request);
    }
    ScriptedReply reply = script_(request);
    if (reply.delay.count() > 0) std::this_thread::sleep_for(reply.delay);
    if (!reply.raw.empty() && !send_all(fd, reply.raw)) break;
    if (reply.close_after) break;
  }
  ::shutdown(fd, SHUT_RDWR);
  std::lock_guard lock(mutex_);
  if (auto it = std::find(open_fds_.begin(), open_fds_.end(), fd); it != open_fds_.end()) {
    open_fds_.erase(it);
    ::close(fd);
  }
}

void ScriptedHttpPeer::drop_connections() {
  std::lock_guard lock(mutex_);
  for (int fd : open_fds_) ::shutdown(fd, SHUT_RDWR);
}

std::vector<ReceivedRequest> ScriptedHttpPeer::requests() const {
  std::lock_guard lock(mutex_);
  return requests_;
}

std::uint16_t unused_port() {
  std::uint16_t port = 0;
  int fd = listen_loopback(Loopback::ipv4, port);
  ::close(fd);
  return port;
}

}  // namespace kb::bitcoin::testing

#include <fcntl.h>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace kb::bitcoin::testing {

UnansweredListener::UnansweredListener() {
  listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(listen_fd_, 0) != 0) {
    throw std::runtime_error("cannot listen on 127.0.0.1");
  }
  socklen_t length = sizeof address;
  ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&address), &length);
  port_ = ntohs(address.sin_port);
  // Fill the accept queue (a backlog of 0 still admits one or two), without blocking.
  for (int i = 0; i < 3; ++i) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
    fillers_.push_back(fd);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
}

UnansweredListener::~UnansweredListener() {
  for (int fd : fillers_) ::close(fd);
  ::close(listen_fd_);
}

TemporaryFile::TemporaryFile(const std::string& content) {
  std::string pattern = "/tmp/kb-bitcoin-test-XXXXXX";
  int fd = ::mkstemp(pattern.data());
  if (fd < 0) throw std::runtime_error("mkstemp failed");
  ::close(fd);
  path_ = pattern;
  write(content);
}

TemporaryFile::~TemporaryFile() { remove(); }

void TemporaryFile::write(const std::string& content) const { std::ofstream(path_, std::ios::trunc) << content; }

void TemporaryFile::remove() const { std::remove(path_.c_str()); }

}  // namespace kb::bitcoin::testing
