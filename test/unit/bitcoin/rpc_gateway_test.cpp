// The RPC gateway end to end on loopback: a FAKE NodeDirectory (a map, which can be told to throw
// like an API-server error), scripted FAKE bitcoinds (support/scripted_http_peer.hpp: plain
// sockets, not bitcoind), and requests shaped like those the API server's services/proxy forwards
// (no Authorization header; the proof in X-Bitcoin-Rpc-Authorization).
#include "pkg/bitcoin/rpc_gateway.hpp"

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <boost/json/parse.hpp>
#include <map>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "pkg/base/base64.hpp"
#include "pkg/bitcoin/gateway_client.hpp"
#include "pkg/observe/logger.hpp"
#include "test/unit/bitcoin/support/http_post.hpp"
#include "test/unit/bitcoin/support/scripted_http_peer.hpp"

using namespace kb::bitcoin;
using namespace kb::bitcoin::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
const UserPassword kNetworkCredentials{"rpcuser", "n3twork-s3cret"};

class FakeNodeDirectory : public NodeDirectory {
 public:
  std::optional<NetworkRoute> find_network(std::string_view ns, std::string_view name) const override {
    if (fail_lookups) throw std::runtime_error("the API server answered 500 while reading Secret mynet-rpc");
    auto it = networks.find(std::string(ns) + "/" + std::string(name));
    if (it == networks.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, NetworkRoute> networks;
  std::atomic<bool> fail_lookups{false};
};

// A fake bitcoind: answers getblockcount, -5 for getblockheader, 404/-32601 otherwise, 401 when
// the credentials are not the network's, sleeps on gettxoutsetinfo, answers "jsonrpc":"2.0" calls
// as Core 28 does (200 with an error object; 204 for a notification), 403 for getrpcinfo and 503
// for getmemoryinfo.
ScriptedReply fake_bitcoind(const ReceivedRequest& request) {
  if (request.headers.count("authorization") == 0 ||
      request.headers.at("authorization") != basic_authorization(kNetworkCredentials)) {
    return http_reply(401, "", "text/html");
  }
  std::string method = request_method(request.body);
  std::string id = request_id(request.body);
  if (request.body.front() == '[')
    return http_reply(200, "[" + rpc_result("7", "1") + "," + rpc_result("7", "2") + "]");
  if (request.body.find(R"("jsonrpc":"2.0")") != std::string::npos) {
    if (request.body.find(R"("id")") == std::string::npos) return http_reply(204, "");
    return http_reply(200, R"({"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":)" + id + "}");
  }
  if (method == "getblockcount") return http_reply(200, rpc_result("7", id));
  if (method == "getblockheader") return http_reply(500, rpc_error(-5, "Block not found", id));
  if (method == "getrpcinfo") return http_reply(403, "", "text/html");
  if (method == "getmemoryinfo") return http_reply(503, "Work queue depth exceeded", "text/html");
  if (method == "gettxoutsetinfo") {
    auto reply = http_reply(200, rpc_result("1", id));
    reply.delay = 600ms;
    return reply;
  }
  return http_reply(404, rpc_error(-32601, "Method not found", id));
}

struct GatewayFixture {
  GatewayFixture()
      : bitcoind(fake_bitcoind),
        wrong_credentials_node([](const ReceivedRequest&) { return http_reply(401, "", ""); }) {
    directory.networks["team-a/mynet"] =
        NetworkRoute{kNetworkCredentials,
                     {NetworkNode{0, "127.0.0.1", bitcoind.port(), true}, NetworkNode{1, "", 0, false},
                      NetworkNode{2, "127.0.0.1", unused_port(), true},
                      NetworkNode{3, "127.0.0.1", wrong_credentials_node.port(), true}}};
    RpcGatewayOptions options;
    options.bind_address = "127.0.0.1";
    options.port = 0;
    options.limits = {.total = 4, .per_network = 2};
    options.node.call_timeout = 200ms;
    options.policy.max_request_bytes = 4096;
    options.policy.methods = MethodPolicy({"setmocktime"}, {"getdifficulty"});
    options.policy.throttle = {.free_failures = 5, .first_block = 60s, .max_block = 60s};
    gateway = std::make_unique<RpcGateway>(options, directory, [this](const GatewayCallRecord& record) {
      std::lock_guard lock(mutex);
      log_records.push_back(record);
    });
    gateway->start();
  }

  HttpAnswer post(const std::string& target, const std::string& body,
                  std::optional<std::string> proof = basic_authorization(kNetworkCredentials)) {
    std::vector<std::pair<std::string, std::string>> headers{{"Content-Type", "application/json"}};
    if (proof) headers.emplace_back(std::string(kCallerCredentialsHeader), *proof);
    return http_request(gateway->port(), "POST", target, headers, body);
  }

  static std::string call(const std::string& method) { return encode_request(RpcRequest{method, json::array{}}, 1); }

  std::vector<GatewayCallRecord> logged() {
    std::lock_guard lock(mutex);
    return log_records;
  }

  ScriptedHttpPeer bitcoind;
  ScriptedHttpPeer wrong_credentials_node;
  FakeNodeDirectory directory;
  std::mutex mutex;
  std::vector<GatewayCallRecord> log_records;
  std::unique_ptr<RpcGateway> gateway;
};

std::string reason_of(const HttpAnswer& answer) {
  auto error = decode_gateway_error(answer.body);
  return error ? std::string(to_string(error->reason)) : "(not a gateway error: " + answer.body + ")";
}

const std::string kNode0 = "/v1/namespaces/team-a/networks/mynet/nodes/0";
}  // namespace

TEST_CASE_FIXTURE(GatewayFixture, "a call is forwarded to the node with the network's credentials and relayed") {
  auto answer = post(kNode0, call("getblockcount"));
  CHECK(answer.status == 200);
  CHECK(answer.headers["x-bitcoin-gateway"] == "forwarded");
  CHECK(parse_gateway_response(answer.status, answer.body, "getblockcount").as_int64() == 7);

  auto seen = bitcoind.requests();
  REQUIRE(seen.size() == 1);
  CHECK(seen[0].headers["authorization"] == basic_authorization(kNetworkCredentials));
  CHECK(seen[0].headers.count("x-bitcoin-rpc-authorization") == 0);  // the proof stops at the gateway
  CHECK(seen[0].body == call("getblockcount"));

  auto records = logged();
  REQUIRE(records.size() == 1);
  CHECK(records[0].namespace_name == "team-a");
  CHECK(records[0].network == "mynet");
  CHECK(records[0].ordinal == 0);
  CHECK(records[0].method == "getblockcount");
  CHECK(records[0].http_status == 200);
  CHECK(records[0].result == "ok");
}

TEST_CASE_FIXTURE(GatewayFixture, "bitcoind's errors come back as they are and parse into RpcError") {
  auto answer = post(kNode0, encode_request(RpcRequest{"getblockheader", json::array{"00"}}, 1));
  CHECK(answer.status == 500);
  try {
    parse_gateway_response(answer.status, answer.body, "getblockheader");
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == -5);
  }
  auto unknown = post(kNode0, call("getmempoolinfo"));
  CHECK(unknown.status == 404);
  CHECK(unknown.headers["x-bitcoin-gateway"] == "forwarded");
  CHECK_THROWS_AS(parse_gateway_response(unknown.status, unknown.body, "getmempoolinfo"), RpcError);
  auto records = logged();
  CHECK(records.at(0).result == "rpc_error");
  CHECK(records.at(0).rpc_code == -5);
}

TEST_CASE_FIXTURE(GatewayFixture, "batches are forwarded whole, and refused whole if any method is denied") {
  std::string batch = R"([{"method":"getblockcount","id":1},{"method":"getblockcount","id":2}])";
  auto answer = post(kNode0, batch);
  CHECK(answer.status == 200);
  CHECK(json::parse(answer.body).as_array().size() == 2);
  CHECK(logged().at(0).method == "batch:getblockcount,getblockcount");

  auto denied = post(kNode0, R"([{"method":"getblockcount","id":1},{"method":"dumpprivkey","id":2}])");
  CHECK(denied.status == 403);
  CHECK(reason_of(denied) == "MethodDenied");
  CHECK(bitcoind.requests().size() == 1);
}

TEST_CASE_FIXTURE(GatewayFixture, "unknown network and unknown ordinal are told apart; ordinals are listed") {
  auto no_network = post("/v1/namespaces/team-a/networks/other/nodes/0", call("getblockcount"));
  CHECK(no_network.status == 404);
  CHECK(reason_of(no_network) == "NetworkNotFound");
  CHECK(no_network.body.find("\\\"other\\\"") != std::string::npos);

  auto no_node = post("/v1/namespaces/team-a/networks/mynet/nodes/9", call("getblockcount"));
  CHECK(no_node.status == 404);
  try {
    parse_gateway_response(no_node.status, no_node.body, "getblockcount");
    FAIL("no error");
  } catch (const GatewayError& error) {
    CHECK(error.reason() == "NodeNotFound");
    CHECK(error.existing_ordinals() == std::vector<int>{0, 1, 2, 3});
    CHECK(std::string(error.what()) == "network team-a/mynet has no node 9; it has nodes 0, 1, 2, 3");
  }
}

TEST_CASE_FIXTURE(GatewayFixture, "the caller must present the network's credentials; nothing is told without them") {
  auto missing = post("/v1/namespaces/team-a/networks/mynet/nodes/9", call("getblockcount"), std::nullopt);
  CHECK(missing.status == 403);
  CHECK(reason_of(missing) == "CredentialsMissing");
  CHECK(missing.body.find("existingOrdinals") == std::string::npos);

  auto wrong = post(kNode0, call("getblockcount"), "Basic " + kb::base::base64_encode("rpcuser:guess"));
  CHECK(wrong.status == 403);
  CHECK(reason_of(wrong) == "CredentialsRejected");

  auto denied_without_proof = post(kNode0, call("stop"), std::nullopt);
  CHECK(reason_of(denied_without_proof) == "CredentialsMissing");
  CHECK(bitcoind.requests().empty());
}

TEST_CASE_FIXTURE(GatewayFixture, "stop and wallet-dumping methods are denied") {
  for (const char* method : {"stop", "dumpwallet", "dumpprivkey", "backupwallet", "Stop"}) {
    CAPTURE(method);
    auto answer = post(kNode0, call(method));
    CHECK(answer.status == 403);
    CHECK(reason_of(answer) == "MethodDenied");
  }
  CHECK(bitcoind.requests().empty());
}

TEST_CASE_FIXTURE(GatewayFixture, "bounded: request size, HTTP verb, path, malformed body") {
  auto big = post(kNode0, R"({"method":"getblockcount","params":[")" + std::string(8000, 'x') + R"("],"id":1})");
  CHECK(big.status == 413);
  CHECK(reason_of(big) == "RequestTooLarge");

  auto get = http_request(gateway->port(), "GET", kNode0, {}, "");
  CHECK(get.status == 405);
  CHECK(reason_of(get) == "MethodNotAllowed");

  auto route = post("/api/other", call("getblockcount"));
  CHECK(route.status == 404);
  CHECK(reason_of(route) == "RouteNotFound");

  auto garbage = post(kNode0, "{not json");
  CHECK(garbage.status == 400);
  CHECK(reason_of(garbage) == "BadRequest");
  CHECK(bitcoind.requests().empty());
}

TEST_CASE_FIXTURE(GatewayFixture, "node trouble: not ready, unreachable, too slow, refusing the Secret's credentials") {
  auto not_ready = post("/v1/namespaces/team-a/networks/mynet/nodes/1", call("getblockcount"));
  CHECK(not_ready.status == 503);
  CHECK(reason_of(not_ready) == "NodeNotReady");

  auto unreachable = post("/v1/namespaces/team-a/networks/mynet/nodes/2", call("getblockcount"));
  CHECK(unreachable.status == 502);
  CHECK(reason_of(unreachable) == "NodeUnreachable");

  auto slow = post(kNode0, call("gettxoutsetinfo"));
  CHECK(slow.status == 504);
  CHECK(reason_of(slow) == "NodeTimeout");

  auto refused = post("/v1/namespaces/team-a/networks/mynet/nodes/3", call("getblockcount"));
  CHECK(refused.status == 502);
  CHECK(reason_of(refused) == "NodeRejectedCredentials");
}

TEST_CASE_FIXTURE(GatewayFixture, "one log record per call, none carrying credentials") {
  post(kNode0, call("getblockcount"));
  post(kNode0, call("getblockcount"), "Basic " + kb::base::base64_encode("rpcuser:wrong-password"));
  post(kNode0, call("stop"));
  post("/v1/namespaces/team-a/networks/mynet/nodes/2", call("getblockcount"));
  auto records = logged();
  REQUIRE(records.size() == 4);
  CHECK(records[1].result == "CredentialsRejected");
  CHECK(records[2].result == "MethodDenied");
  CHECK(records[2].method == "stop");
  CHECK(records[3].result == "NodeUnreachable");

  std::ostringstream out;
  kb::observe::Logger logger(out, kb::observe::LogLevel::info, kb::observe::LogFormat::text);
  auto log = log_gateway_calls_to(logger);
  for (const auto& record : records) log(record);
  std::string lines = out.str();
  CHECK(lines.find("network=mynet") != std::string::npos);
  CHECK(lines.find("method=getblockcount") != std::string::npos);
  for (const char* secret : {"n3twork-s3cret", "wrong-password", "rpcuser:", "Basic "}) {
    CAPTURE(secret);
    CHECK(lines.find(secret) == std::string::npos);
  }
}

TEST_CASE("the gateway stops cleanly and refuses to start on a taken port") {
  FakeNodeDirectory directory;
  RpcGatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  RpcGateway first(options, directory, {});
  first.start();
  CHECK(first.port() != 0);
  options.port = first.port();
  RpcGateway second(options, directory, {});
  CHECK_THROWS_AS(second.start(), std::runtime_error);
  first.stop();
  CHECK(first.port() == 0);
}

TEST_CASE_FIXTURE(GatewayFixture, "a key repeated at any depth is refused with a JSON-RPC error and never forwarded") {
  for (const char* body : {
           R"({"method":"stop","method":"getblockcount","id":1})",
           R"({"method":"getblockcount","method":"stop","id":1})",
           R"({"method":"createwallet","params":{"wallet_name":"a","wallet_name":"../../x"},"id":1})",
           R"([{"method":"getblockcount","id":1},{"method":"getblockcount","method":"stop","id":2}])",
       }) {
    CAPTURE(body);
    auto answer = post(kNode0, body);
    CHECK(answer.status == 400);
    CHECK(reason_of(answer) == "BadRequest");
    auto value = json::parse(answer.body).as_object();
    CHECK(value.at("error").at("code") == -32600);
    CHECK(std::string(value.at("error").at("message").as_string()).find("appears twice") != std::string::npos);
  }
  CHECK(bitcoind.requests().empty());
}

TEST_CASE_FIXTURE(GatewayFixture, "a refused method names itself and how to change the policy; the configured list") {
  auto stop = post(kNode0, encode_request(RpcRequest{"stop", {}}, 42));
  CHECK(stop.status == 403);
  auto error = decode_gateway_error(stop.body);
  REQUIRE(error.has_value());
  CHECK(error->method == "stop");
  CHECK(error->message.find("\"stop\"") != std::string::npos);
  CHECK(error->message.find("gateway.methods.allow") != std::string::npos);
  CHECK(error->message.find("--gateway-allow-method stop") != std::string::npos);
  auto envelope = json::parse(stop.body).as_object();
  CHECK(envelope.at("error").at("code") == -32601);
  CHECK(envelope.at("id") == 42);

  // This fixture's operator allowed setmocktime and denied getdifficulty.
  auto widened = post(kNode0, call("setmocktime"));
  CHECK(widened.headers["x-bitcoin-gateway"] == "forwarded");
  auto narrowed = post(kNode0, call("getdifficulty"));
  CHECK(narrowed.status == 403);
  CHECK(decode_gateway_error(narrowed.body)->message.find("operator") != std::string::npos);

  auto path = post(kNode0, encode_request(RpcRequest{"createwallet", json::array{"/var/lib/x"}}, 1));
  CHECK(path.status == 403);
  CHECK(decode_gateway_error(path.body)->message.find("contains '/'") != std::string::npos);
  CHECK(bitcoind.requests().size() == 1);  // setmocktime only
}

TEST_CASE_FIXTURE(GatewayFixture,
                  "the wallet route forwards to the node's /wallet/<name>; path-like names are refused") {
  auto answer = post(kNode0 + "/wallets/alice%20b", call("getblockcount"));
  CHECK(answer.status == 200);
  REQUIRE(bitcoind.requests().size() == 1);
  CHECK(bitcoind.requests()[0].target == "/wallet/alice%20b");
  for (const char* wallet : {"a%2Fb", "..", "a%0Ab", "a%5Cb"}) {
    CAPTURE(wallet);
    auto refused = post(kNode0 + "/wallets/" + wallet, call("getbalance"));
    CHECK(refused.status == 400);
    CHECK(reason_of(refused) == "BadRequest");
  }
  auto plain = post(kNode0, call("getblockcount"));
  CHECK(bitcoind.requests().back().target == "/");
}

TEST_CASE_FIXTURE(GatewayFixture, "JSON-RPC 2.0 passes through unchanged; the node's 403 and 503 are explained") {
  auto v2 = post(kNode0, R"({"jsonrpc":"2.0","method":"getmempoolinfo","id":3})");
  CHECK(v2.status == 200);
  CHECK(v2.headers["x-bitcoin-gateway"] == "forwarded");
  CHECK(json::parse(v2.body).at("error").at("code") == -32601);
  auto notification = post(kNode0, R"({"jsonrpc":"2.0","method":"getmempoolinfo"})");
  CHECK(notification.status == 204);
  CHECK(notification.body.empty());

  auto forbidden = post(kNode0, call("getrpcinfo"));
  CHECK(forbidden.status == 502);
  CHECK(reason_of(forbidden) == "NodeForbidden");
  CHECK(decode_gateway_error(forbidden.body)->message.find("-rpcallowip") != std::string::npos);
  auto busy = post(kNode0, call("getmemoryinfo"));
  CHECK(busy.status == 503);
  CHECK(reason_of(busy) == "NodeBusy");
  CHECK(decode_gateway_error(busy.body)->message.find("work queue") != std::string::npos);
  CHECK(busy.headers["retry-after"] == "1");
}

TEST_CASE_FIXTURE(GatewayFixture, "a credential lookup that throws is a 503 for that call; the gateway keeps serving") {
  directory.fail_lookups = true;
  auto failed = post(kNode0, call("getblockcount"));
  CHECK(failed.status == 503);
  CHECK(reason_of(failed) == "LookupFailed");
  CHECK(decode_gateway_error(failed.body)->message.find("answered 500") != std::string::npos);
  directory.fail_lookups = false;
  CHECK(post(kNode0, call("getblockcount")).status == 200);
}

TEST_CASE_FIXTURE(GatewayFixture, "repeated wrong credentials hold the network's callers off; other networks are not") {
  directory.networks["team-b/other"] =
      NetworkRoute{kNetworkCredentials, {NetworkNode{0, "127.0.0.1", bitcoind.port(), true}}};
  for (int i = 0; i < 5; ++i) {
    auto wrong =
        post(kNode0, call("getblockcount"), "Basic " + kb::base::base64_encode("rpcuser:guess" + std::to_string(i)));
    CHECK(reason_of(wrong) == "CredentialsRejected");
  }
  auto held = post(kNode0, call("getblockcount"));  // even the right proof waits now
  CHECK(held.status == 429);
  CHECK(reason_of(held) == "CredentialsThrottled");
  CHECK(held.headers.count("retry-after") == 1);
  CHECK(post("/v1/namespaces/team-b/networks/other/nodes/0", call("getblockcount")).status == 200);
}

namespace {
// Sends a request on a fresh connection and returns the socket, to read the answer later.
int send_request(std::uint16_t port, const std::string& target, const std::string& body) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  std::string request = "POST " + target + " HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n" +
                        std::string(kCallerCredentialsHeader) + ": " + basic_authorization(kNetworkCredentials) +
                        "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
  REQUIRE(::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == ssize_t(request.size()));
  return fd;
}

int read_status(int fd) {
  std::string raw;
  char chunk[4096];
  for (ssize_t n; (n = ::recv(fd, chunk, sizeof chunk, 0)) > 0;) raw.append(chunk, std::size_t(n));
  ::close(fd);
  return raw.rfind("HTTP/1.1 ", 0) == 0 ? std::stoi(raw.substr(9, 3)) : 0;
}

int connect_idle(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0);
  return fd;
}
}  // namespace

TEST_CASE("200 concurrent calls to a slow node do not keep other networks waiting") {
  // FAKE nodes: one that takes 3 s per call, one that answers at once.
  ScriptedHttpPeer slow_node([](const ReceivedRequest& request) {
    auto reply = http_reply(200, rpc_result("1", request_id(request.body)));
    reply.delay = 3s;
    return reply;
  });
  ScriptedHttpPeer fast_node(fake_bitcoind);
  FakeNodeDirectory directory;
  directory.networks["team-a/slow"] =
      NetworkRoute{kNetworkCredentials, {NetworkNode{0, "127.0.0.1", slow_node.port(), true}}};
  directory.networks["team-b/fast"] =
      NetworkRoute{kNetworkCredentials, {NetworkNode{0, "127.0.0.1", fast_node.port(), true}}};
  RpcGatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  options.limits = {.total = 16, .per_network = 4};
  options.node.call_timeout = 10s;
  RpcGateway gateway(options, directory, {});
  gateway.start();

  std::vector<int> pending;
  for (int i = 0; i < 200; ++i) {
    pending.push_back(send_request(gateway.port(), "/v1/namespaces/team-a/networks/slow/nodes/0",
                                   GatewayFixture::call("getblockcount")));
  }
  auto started = std::chrono::steady_clock::now();
  int fast = read_status(send_request(gateway.port(), "/v1/namespaces/team-b/networks/fast/nodes/0",
                                      GatewayFixture::call("getblockcount")));
  auto waited = std::chrono::steady_clock::now() - started;
  CHECK(fast == 200);
  CHECK(waited < 2500ms);  // well under the slow node's 3 s; about a millisecond when idle

  std::map<int, int> statuses;
  for (int fd : pending) statuses[read_status(fd)] += 1;
  CHECK(statuses[200] == 4);    // the per-network cap
  CHECK(statuses[429] == 196);  // refused at once, not queued
  gateway.stop();
}

TEST_CASE_FIXTURE(GatewayFixture, "a flood of idle connections does not stop other requests") {
  std::vector<int> idle;
  for (int i = 0; i < 300; ++i) idle.push_back(connect_idle(gateway->port()));  // over the cap of 256
  for (int i = 0; i < 3; ++i) CHECK(post(kNode0, call("getblockcount")).status == 200);
  for (int fd : idle) ::close(fd);
}
