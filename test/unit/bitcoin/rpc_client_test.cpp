// RpcClient against a scripted FAKE HTTP peer on 127.0.0.1 (see support/scripted_http_peer.hpp):
// every error path of the wire, answers a real bitcoind gives and broken ones.
#include "pkg/bitcoin/rpc_client.hpp"

#include <doctest/doctest.h>

#include <memory>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "pkg/base/base64.hpp"
#include "test/unit/bitcoin/support/scripted_http_peer.hpp"

using namespace kb::bitcoin;
using namespace kb::bitcoin::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
RpcEndpoint loopback(std::uint16_t port) { return RpcEndpoint{"127.0.0.1", port, UserPassword{"alice", "s3cret"}}; }

ScriptedHttpPeer::Script answer_with(std::string result_json) {
  return [result_json](const ReceivedRequest& request) {
    return http_reply(200, rpc_result(result_json, request_id(request.body)));
  };
}

// What bitcoind does with wrong credentials: 401, WWW-Authenticate, empty body.
ScriptedReply bitcoind_unauthorized() {
  return ScriptedReply{
      "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"jsonrpc\"\r\nContent-Length: 0\r\n"
      "Content-Type: text/html; charset=ISO-8859-1\r\n\r\n"};
}

template <typename Error>
Error thrown_by(const std::function<void()>& action) {
  try {
    action();
  } catch (const Error& error) {
    return error;
  }
  FAIL("the expected error was not thrown");
  throw std::logic_error("unreachable");
}
}  // namespace

TEST_CASE("a call sends a JSON-RPC 1.0 POST with basic auth and returns the result") {
  ScriptedHttpPeer peer(answer_with(R"({"chain":"regtest","blocks":7})"));
  RpcClient client(loopback(peer.port()));
  json::value result = client.call("getblockchaininfo", json::array{});
  CHECK(result.at("blocks").as_int64() == 7);

  auto requests = peer.requests();
  REQUIRE(requests.size() == 1);
  CHECK(requests[0].method == "POST");
  CHECK(requests[0].target == "/");
  CHECK(requests[0].headers["authorization"] == "Basic " + kb::base::base64_encode("alice:s3cret"));
  CHECK(requests[0].headers["content-type"] == "application/json");
  CHECK(request_method(requests[0].body) == "getblockchaininfo");
  CHECK(requests[0].body.find(R"("params":[])") != std::string::npos);
  CHECK(requests[0].body.find(R"("jsonrpc":"1.0")") != std::string::npos);
}

TEST_CASE("bad credentials: HTTP 401 with an empty body is an RpcHttpError saying so, without the password") {
  ScriptedHttpPeer peer([](const ReceivedRequest&) { return bitcoind_unauthorized(); });
  RpcClient client(loopback(peer.port()));
  auto error = thrown_by<RpcHttpError>([&] { client.call("getnetworkinfo"); });
  CHECK(error.status() == 401);
  CHECK(std::string(error.what()).find("bad RPC credentials") != std::string::npos);
  CHECK(std::string(error.what()).find("127.0.0.1:" + std::to_string(peer.port())) != std::string::npos);
  CHECK(std::string(error.what()).find("s3cret") == std::string::npos);
}

TEST_CASE("HTTP 403 (rpcallowip) and a 404 without JSON are RpcHttpErrors with the status") {
  ScriptedHttpPeer forbidden([](const ReceivedRequest&) { return http_reply(403, "", ""); });
  RpcClient client(loopback(forbidden.port()));
  CHECK(thrown_by<RpcHttpError>([&] { client.call("getnetworkinfo"); }).status() == 403);

  ScriptedHttpPeer not_found([](const ReceivedRequest&) { return http_reply(404, "", "text/html"); });
  RpcClient wallet_client(RpcEndpoint{"127.0.0.1", not_found.port(), UserPassword{"a", "b"}, "/wallet/missing"});
  auto error = thrown_by<RpcHttpError>([&] { wallet_client.call("getbalance"); });
  CHECK(error.status() == 404);
  CHECK(not_found.requests().at(0).target == "/wallet/missing");
}

TEST_CASE("HTTP 500 with a JSON error body is an RpcError with bitcoind's code and message") {
  ScriptedHttpPeer peer([](const ReceivedRequest& request) {
    return http_reply(500, rpc_error(-23, "Error: Node already added", request_id(request.body)));
  });
  RpcClient client(loopback(peer.port()));
  auto error = thrown_by<RpcError>([&] { client.call("addnode", json::array{"10.0.0.1", "add"}); });
  CHECK(error.code() == rpc_code::kNodeAlreadyAdded);
  CHECK(error.message() == "Error: Node already added");
  CHECK(error.method() == "addnode");
  CHECK(std::string(error.what()) == "addnode: Error: Node already added (code -23, RPC_CLIENT_NODE_ALREADY_ADDED)");
}

TEST_CASE("an unknown method: bitcoind's HTTP 404 with a JSON error is RpcError -32601") {
  ScriptedHttpPeer peer([](const ReceivedRequest& request) {
    return http_reply(404, rpc_error(-32601, "Method not found", request_id(request.body)));
  });
  RpcClient client(loopback(peer.port()));
  CHECK(thrown_by<RpcError>([&] { client.call("nosuchmethod"); }).code() == rpc_code::kMethodNotFound);
}

TEST_CASE("malformed JSON in a 200 answer is an RpcTransportError naming host:port") {
  ScriptedHttpPeer peer([](const ReceivedRequest&) { return http_reply(200, "{\"result\": [1, 2"); });
  RpcClient client(loopback(peer.port()));
  auto error = thrown_by<RpcTransportError>([&] { client.call("getpeerinfo"); });
  CHECK(error.kind() == RpcTransportError::Kind::malformed_response);
  CHECK(error.endpoint() == "127.0.0.1:" + std::to_string(peer.port()));
}

TEST_CASE("an answer that is not HTTP at all is malformed") {
  ScriptedHttpPeer peer([](const ReceivedRequest&) { return ScriptedReply{"SSH-2.0-OpenSSH_9.2\r\n", {}, true}; });
  RpcClient client(loopback(peer.port()));
  CHECK(thrown_by<RpcTransportError>([&] { client.call("getpeerinfo"); }).kind() ==
        RpcTransportError::Kind::malformed_response);
}

TEST_CASE("a body cut short (Content-Length larger than what arrives) is a truncated response") {
  ScriptedHttpPeer peer([](const ReceivedRequest&) {
    return ScriptedReply{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"result\":", {}, true};
  });
  RpcClient client(loopback(peer.port()));
  auto error = thrown_by<RpcTransportError>([&] { client.call("getbestblockhash"); });
  CHECK(error.kind() == RpcTransportError::Kind::truncated_response);
}

TEST_CASE("a slow server hits the per-call timeout") {
  ScriptedHttpPeer peer([](const ReceivedRequest& request) {
    auto reply = http_reply(200, rpc_result("0", request_id(request.body)));
    reply.delay = 700ms;
    return reply;
  });
  RpcClient client(loopback(peer.port()), RpcClientOptions{.connect_timeout = 1s, .call_timeout = 150ms});
  // The answer would come after 700 ms: an error of this kind means the client gave up first.
  auto error = thrown_by<RpcTransportError>([&] { client.call("getconnectioncount"); });
  CHECK(error.kind() == RpcTransportError::Kind::call_timeout);
}

TEST_CASE("nothing listening: connection refused, naming host:port") {
  auto port = unused_port();
  RpcClient client(loopback(port));
  auto error = thrown_by<RpcTransportError>([&] { client.call("getnetworkinfo"); });
  CHECK(error.kind() == RpcTransportError::Kind::connect_refused);
  CHECK(std::string(error.what()).find("127.0.0.1:" + std::to_string(port)) != std::string::npos);
}

TEST_CASE("a peer that never completes the TCP handshake hits the connect timeout") {
  UnansweredListener silent;
  RpcClient client(loopback(silent.port()), RpcClientOptions{.connect_timeout = 200ms, .call_timeout = 1s});
  auto started = std::chrono::steady_clock::now();
  auto error = thrown_by<RpcTransportError>([&] { client.call("getnetworkinfo"); });
  CHECK(error.kind() == RpcTransportError::Kind::connect_timeout);
  CHECK(std::chrono::steady_clock::now() - started < 5s);  // not the kernel's ~2 min SYN retries
}

TEST_CASE("keep-alive: consecutive calls reuse one connection") {
  ScriptedHttpPeer peer(answer_with("3"));
  RpcClient client(loopback(peer.port()));
  for (int i = 0; i < 5; ++i) CHECK(client.call("getconnectioncount").as_int64() == 3);
  CHECK(peer.connections_accepted() == 1);
  CHECK(client.connections_opened() == 1);
}

TEST_CASE("a stale keep-alive connection (closed by the server while idle) is replaced once, transparently") {
  ScriptedHttpPeer peer(answer_with("3"));
  RpcClient client(loopback(peer.port()));
  CHECK(client.call("getconnectioncount").as_int64() == 3);
  peer.drop_connections();
  std::this_thread::sleep_for(50ms);
  CHECK(client.call("getconnectioncount").as_int64() == 3);
  CHECK(peer.connections_accepted() == 2);
  CHECK(peer.requests().size() == 2);  // the retried call reached the node once
}

TEST_CASE("a server answering Connection: close gets a new connection for the next call") {
  ScriptedHttpPeer peer([](const ReceivedRequest& request) {
    std::string body = rpc_result("1", request_id(request.body));
    return ScriptedReply{
        "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
        {},
        true};
  });
  RpcClient client(loopback(peer.port()));
  CHECK(client.call("getconnectioncount").as_int64() == 1);
  CHECK(client.call("getconnectioncount").as_int64() == 1);
  CHECK(peer.connections_accepted() == 2);
}

TEST_CASE("a fresh connection closed before answering is not retried (the call may have run)") {
  ScriptedHttpPeer peer([](const ReceivedRequest&) { return ScriptedReply{"", {}, true}; });
  RpcClient client(loopback(peer.port()));
  auto error = thrown_by<RpcTransportError>([&] { client.call("generatetoaddress", json::array{1, "addr"}); });
  CHECK(error.kind() == RpcTransportError::Kind::connection_closed);
  CHECK(peer.requests().size() == 1);
}

TEST_CASE("a batch is one POST; replies are matched by id, per-call errors stay per call") {
  ScriptedHttpPeer peer([](const ReceivedRequest& request) {
    auto batch = json::parse(request.body).as_array();  // (no doctest macros off the test thread)
    auto id0 = json::serialize(batch[0].at("id"));
    auto id1 = json::serialize(batch[1].at("id"));
    // Answered in reverse order, as a server is allowed to.
    return http_reply(200, "[" + rpc_error(-32601, "Method not found", id1) + "," + rpc_result("5", id0) + "]");
  });
  RpcClient client(loopback(peer.port()));
  auto items = client.call_batch({{"getblockcount", {}}, {"nosuch", {}}});
  REQUIRE(items.size() == 2);
  CHECK(items[0].ok());
  CHECK(items[0].value().as_int64() == 5);
  REQUIRE_FALSE(items[1].ok());
  CHECK(items[1].error->code() == rpc_code::kMethodNotFound);
  CHECK(items[1].error->method() == "nosuch");
  CHECK_THROWS_AS(items[1].value(), RpcError);
  CHECK(peer.requests().size() == 1);
}

TEST_CASE("cookie file credentials are read at each call") {
  TemporaryFile cookie("__cookie__:abc123\n");
  ScriptedHttpPeer peer(answer_with("0"));
  RpcClient client(RpcEndpoint{"127.0.0.1", peer.port(), CookieFile{cookie.path()}});
  client.call("getconnectioncount");
  cookie.write("__cookie__:def456");  // the node restarted
  client.call("getconnectioncount");
  auto requests = peer.requests();
  CHECK(requests[0].headers["authorization"] == "Basic " + kb::base::base64_encode("__cookie__:abc123"));
  CHECK(requests[1].headers["authorization"] == "Basic " + kb::base::base64_encode("__cookie__:def456"));
  cookie.remove();
  auto error = thrown_by<RpcCredentialsError>([&] { client.call("getconnectioncount"); });
  CHECK(std::string(error.what()).find(cookie.path()) != std::string::npos);
  CHECK(std::string(error.what()).find("def456") == std::string::npos);
}

TEST_CASE("an answer over the size limit is refused") {
  ScriptedHttpPeer peer(answer_with("\"" + std::string(4096, 'a') + "\""));
  RpcClient client(loopback(peer.port()), RpcClientOptions{.max_response_bytes = 1024});
  CHECK(thrown_by<RpcTransportError>([&] { client.call("getblock"); }).kind() ==
        RpcTransportError::Kind::response_too_large);
}

TEST_CASE("by default a client reads at most 1 MiB of an answer, names the limit, and stays usable") {
  CHECK(RpcClientOptions{}.max_response_bytes == 1024 * 1024);
  int calls = 0;
  // A node image gone wrong: 3 MiB for a call that normally answers in a few hundred bytes.
  ScriptedHttpPeer peer([&](const ReceivedRequest& request) {
    return ++calls == 1 ? http_reply(200, rpc_result("\"" + std::string(3 << 20, 'a') + "\"", request_id(request.body)))
                        : http_reply(200, rpc_result("7", request_id(request.body)));
  });
  RpcClient client(loopback(peer.port()));
  auto error = thrown_by<RpcTransportError>([&] { client.call("getblockchaininfo"); });
  CHECK(error.kind() == RpcTransportError::Kind::response_too_large);
  CHECK(std::string(error.what()).find("1048576 bytes") != std::string::npos);
  CHECK(error.method() == "getblockchaininfo");
  // The half-read connection is dropped; the next call opens a new one.
  CHECK(client.call("getblockcount") == 7);
  CHECK(client.connections_opened() == 2);
}

TEST_CASE("an IPv6 pod: the client connects to the literal and names it [v6]:port in Host and errors") {
  std::unique_ptr<ScriptedHttpPeer> peer;
  try {
    peer = std::make_unique<ScriptedHttpPeer>(answer_with("3"), Loopback::ipv6);
  } catch (const std::runtime_error&) {
    MESSAGE("skipped: this machine has no IPv6 loopback");
    return;
  }
  RpcClient client(RpcEndpoint{"::1", peer->port(), UserPassword{"alice", "s3cret"}});
  CHECK(client.call("getblockcount") == 3);
  CHECK(peer->requests().at(0).headers["host"] == "[::1]:" + std::to_string(peer->port()));
  RpcClient nobody(RpcEndpoint{"::1", unused_port(), UserPassword{"alice", "s3cret"}});
  auto error = thrown_by<RpcTransportError>([&] { nobody.call("getblockcount"); });
  CHECK(std::string(error.what()).find("[::1]:") != std::string::npos);
}

TEST_CASE("post() relays the node's answer without interpreting it") {
  ScriptedHttpPeer peer([](const ReceivedRequest&) { return http_reply(500, rpc_error(-28, "Loading wallet...")); });
  RpcClient client(loopback(peer.port()));
  HttpReply reply = client.post(R"({"method":"getinfo","id":7})", "getinfo");
  CHECK(reply.status == 500);
  CHECK(reply.body.find("Loading wallet") != std::string::npos);
  CHECK(peer.requests().at(0).body == R"({"method":"getinfo","id":7})");
}
