// Logger, metrics and the HTTP server. The server test talks to a real loopback socket.
#include "pkg/observe/http_server.hpp"
#include "pkg/observe/logger.hpp"
#include "pkg/observe/metrics.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>

#include <sstream>

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

TEST_CASE("listen addresses") {
  CHECK(parse_listen_address(":8080") == std::pair<std::string, std::uint16_t>{"0.0.0.0", 8080});
  CHECK(parse_listen_address("127.0.0.1:0").first == "127.0.0.1");
  CHECK_THROWS_AS(parse_listen_address("8080"), std::invalid_argument);
}
