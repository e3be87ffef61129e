// Logger, metrics and the HTTP server. The server tests talk to real loopback sockets; the
// "clients" are plain POSIX sockets (idle ones are connections that never send a byte).
#include "pkg/observe/http_server.hpp"
#include "pkg/observe/logger.hpp"
#include "pkg/observe/metrics.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <sstream>
#include <thread>
#include <vector>

using namespace kb::observe;

TEST_CASE("log records: JSON and text, secrets redacted by field name") {
  auto json = format_log_record(LogFormat::json, "T", LogLevel::info, "reconciled",
                                {{"network", "ns/a"}, {"rpcPassword", "hunter2"}});
  auto parsed = boost::json::parse(json);
  CHECK(parsed.at("msg") == "reconciled");
  CHECK(parsed.at("network") == "ns/a");
  CHECK(json.find("hunter2") == std::string::npos);
  auto text = format_log_record(LogFormat::text, "T", LogLevel::warn, "x", {{"a", "b c"}, {"token", "t"}});
  CHECK(text == "T warn x a=\"b c\" token=<redacted>");
  std::ostringstream out;
  Logger logger(out, LogLevel::warn, LogFormat::text);
  logger.info("hidden");
  logger.error("shown");
  CHECK(out.str().find("hidden") == std::string::npos);
  CHECK(out.str().find("shown") != std::string::npos);
  CHECK_THROWS_AS(parse_log_level("loud"), std::invalid_argument);
}

TEST_CASE("metrics exposition in Prometheus text format") {
  MetricsRegistry registry;
  registry.counter("kb_requests_total", "Requests.", {{"verb", "GET"}}).inc();
  registry.counter("kb_requests_total", "Requests.", {{"verb", "GET"}}).inc(2);
  registry.counter("kb_requests_total", "Requests.", {{"verb", "PATCH"}}).inc();
  registry.gauge("kb_depth", "Depth.").set(4);
  registry.histogram("kb_seconds", "Latency.", {}, {0.1, 1}).observe(0.5);
  auto text = registry.expose();
  CHECK(text.find("# TYPE kb_requests_total counter\n") != std::string::npos);
  CHECK(text.find("kb_requests_total{verb=\"GET\"} 3\n") != std::string::npos);
  CHECK(text.find("kb_depth 4\n") != std::string::npos);
  CHECK(text.find("kb_seconds_bucket{le=\"0.10000000000000001\"} 0\n") != std::string::npos);
  CHECK(text.find("kb_seconds_bucket{le=\"+Inf\"} 1\n") != std::string::npos);
  CHECK(registry.counter_total("kb_requests_total") == 4);
  CHECK_THROWS_AS(registry.gauge("kb_requests_total", "x"), std::logic_error);
}

TEST_CASE("remove_series drops the series whose labels include the match, in every family") {
  MetricsRegistry registry;
  registry.gauge("kb_blocks", "Blocks.", {{"network", "a"}, {"node", "0"}}).set(1);
  registry.gauge("kb_blocks", "Blocks.", {{"network", "a"}, {"node", "1"}}).set(2);
  registry.gauge("kb_blocks", "Blocks.", {{"network", "b"}, {"node", "0"}}).set(3);
  registry.histogram("kb_delay", "Delay.", {{"network", "a"}}, {1}).observe(0.5);
  registry.counter("kb_calls_total", "Calls.", {{"method", "x"}}).inc();
  CHECK(registry.remove_series({{"network", "a"}, {"node", "1"}}) == 1);
  CHECK(registry.expose().find("node=\"1\"") == std::string::npos);
  CHECK(registry.remove_series({{"network", "a"}}) == 2);
  auto text = registry.expose();
  CHECK(text.find("network=\"a\"") == std::string::npos);
  CHECK(text.find("kb_blocks{network=\"b\",node=\"0\"} 3\n") != std::string::npos);
  CHECK(text.find("kb_calls_total{method=\"x\"} 1\n") != std::string::npos);
  CHECK(registry.remove_series({{"network", "zzz"}}) == 0);
}

namespace {
std::string http_exchange(std::uint16_t port, const std::string& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  REQUIRE(::send(fd, request.data(), request.size(), 0) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  ssize_t n;
  while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  return response;
}
}  // namespace

TEST_CASE("HTTP server: routes a request, enforces the body limit, reports bind failures") {
  HttpServer::Options options;
  options.address = "127.0.0.1";
  options.max_body_bytes = 16;
  HttpServer server(options, [](const HttpRequest& r) {
    return HttpResponse{200, "text/plain", r.method + " " + r.target + " " + r.header("x-test") + " " + r.body, {}};
  });
  auto ok = http_exchange(
      server.port(),
      "POST /a?b=1 HTTP/1.1\r\nHost: x\r\nX-Test: yes\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi");
  CHECK(ok.find("HTTP/1.1 200 OK") == 0);
  CHECK(ok.find("POST /a?b=1 yes hi") != std::string::npos);
  auto big =
      http_exchange(server.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x'));
  CHECK(big.find("HTTP/1.1 413") == 0);
  HttpServer::Options clash = options;
  clash.port = server.port();
  CHECK_THROWS_WITH(HttpServer(clash, [](const HttpRequest&) { return HttpResponse{}; }),
                    doctest::Contains("cannot listen on 127.0.0.1:"));
  server.stop();
}

namespace {
int connect_idle(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

const std::string kHealthz = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
}  // namespace

TEST_CASE("HTTP server: a flood of idle and trickling connections does not stop /healthz") {
  HttpServer::Options options;
  options.address = "127.0.0.1";
  options.max_connections = 16;
  options.read_timeout = std::chrono::seconds(30);  // longer than the test: only eviction can help
  HttpServer server(options, [](const HttpRequest&) { return HttpResponse{200, "text/plain", "ok\n", {}}; });
  std::vector<int> idle;
  for (int i = 0; i < 200; ++i) idle.push_back(connect_idle(server.port()));
  // Half a request, then silence: a slow-loris client.
  int trickle = connect_idle(server.port());
  ::send(trickle, "GET /healthz HTTP/1.1\r\n", 24, 0);
  for (int probe = 0; probe < 5; ++probe) {
    auto started = std::chrono::steady_clock::now();
    auto answer = http_exchange(server.port(), kHealthz);
    CHECK(answer.find("HTTP/1.1 200") == 0);
    // Generous: on an idle machine this takes about a millisecond.
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
  }
  for (int fd : idle) ::close(fd);
  ::close(trickle);
  auto started = std::chrono::steady_clock::now();
  server.stop();
  CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("HTTP server: a throwing handler is a 500 for that request only") {
  HttpServer::Options options;
  options.address = "127.0.0.1";
  HttpServer server(options, [](const HttpRequest& request) -> HttpResponse {
    if (request.target == "/boom") throw std::runtime_error("kaboom");
    if (request.target == "/empty") return HttpResponse{204, "text/plain", "must not be sent", {}};
    return HttpResponse{200, "text/plain", "ok\n", {}};
  });
  auto boom = http_exchange(server.port(), "GET /boom HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(boom.find("HTTP/1.1 500") == 0);
  CHECK(boom.find("kaboom") != std::string::npos);
  auto empty = http_exchange(server.port(), "GET /empty HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(empty.find("HTTP/1.1 204") == 0);
  CHECK(empty.find("must not be sent") == std::string::npos);
  CHECK(http_exchange(server.port(), kHealthz).find("HTTP/1.1 200") == 0);
}

TEST_CASE("HTTP server: answers from another thread, the handler deadline, dropped requests") {
  HttpServer::Options options;
  options.address = "127.0.0.1";
  options.handler_timeout = std::chrono::milliseconds(300);
  std::vector<std::jthread> workers;  // joined at the end, after the server is gone
  std::mutex mutex;
  auto server = std::make_unique<HttpServer>(options, [&](HttpRequest request, HttpResponder respond) {
    if (request.target == "/never") return;  // keeps no responder: dropped
    if (request.target == "/late") {
      std::lock_guard lock(mutex);
      workers.emplace_back([respond] {
        std::this_thread::sleep_for(std::chrono::milliseconds(1500));
        respond(HttpResponse{200, "text/plain", "too late\n", {}});
      });
      return;
    }
    std::lock_guard lock(mutex);
    workers.emplace_back([respond] { respond(HttpResponse{200, "text/plain", "from a worker\n", {}}); });
  });
  auto ok = http_exchange(server->port(), kHealthz);
  CHECK(ok.find("from a worker") != std::string::npos);
  auto dropped = http_exchange(server->port(), "GET /never HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(dropped.find("HTTP/1.1 500") == 0);
  auto late = http_exchange(server->port(), "GET /late HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  CHECK(late.find("HTTP/1.1 504") == 0);
  // The late answer arrives after the server stopped: it is dropped, nothing crashes.
  server->stop();
  server.reset();
  std::lock_guard lock(mutex);
  for (auto& worker : workers) worker.join();
}

TEST_CASE("listen addresses") {
  CHECK(parse_listen_address(":8080") == std::pair<std::string, std::uint16_t>{"0.0.0.0", 8080});
  CHECK(parse_listen_address("127.0.0.1:0").first == "127.0.0.1");
  CHECK_THROWS_AS(parse_listen_address("8080"), std::invalid_argument);
}
