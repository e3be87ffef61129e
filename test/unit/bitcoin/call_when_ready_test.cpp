#include "pkg/bitcoin/call_when_ready.hpp"

#include <doctest/doctest.h>

#include "pkg/bitcoin/rpc_client.hpp"
#include "test/unit/bitcoin/support/fake_rpc_caller.hpp"
#include "test/unit/bitcoin/support/scripted_http_peer.hpp"

using namespace kb::bitcoin;
using namespace kb::bitcoin::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

TEST_CASE("-28 is retried with doubling back-off until the node answers") {
  FakeRpcCaller node;
  RpcError warming(-28, "Loading block index...", "getblockchaininfo");
  node.answer("getblockchaininfo", warming)
      .answer("getblockchaininfo", warming)
      .answer("getblockchaininfo", json::value(1));
  std::vector<std::chrono::milliseconds> waits;
  WarmupPolicy policy{
      .timeout = 10s, .first_backoff = 100ms, .max_backoff = 150ms, .sleep = [&](std::chrono::milliseconds d) {
        waits.push_back(d);
      }};
  CHECK(call_when_ready(node, "getblockchaininfo", {}, policy).as_int64() == 1);
  CHECK(waits == std::vector<std::chrono::milliseconds>{100ms, 150ms});
}

TEST_CASE("past the deadline the last -28 is thrown; other errors are thrown at once") {
  FakeRpcCaller stuck;
  stuck.answer("getnetworkinfo", RpcError(-28, "Verifying blocks...", "getnetworkinfo"));
  WarmupPolicy policy{
      .timeout = 1s, .first_backoff = 300ms, .max_backoff = 300ms, .sleep = [](std::chrono::milliseconds) {}};
  try {
    call_when_ready(stuck, "getnetworkinfo", {}, policy);
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kInWarmup);
  }
  CHECK(stuck.calls.size() == 5);  // at 0, 300, 600, 900 and 1000 ms

  FakeRpcCaller broken;
  broken.answer("getnetworkinfo", RpcError(-32601, "Method not found", "getnetworkinfo"));
  CHECK_THROWS_AS(call_when_ready(broken, "getnetworkinfo", {}, policy), RpcError);
  CHECK(broken.calls.size() == 1);
}

TEST_CASE("over the wire: a scripted FAKE node in warm-up, then ready") {
  int calls = 0;
  ScriptedHttpPeer peer([&calls](const ReceivedRequest& request) {
    if (++calls <= 2) return http_reply(500, rpc_error(-28, "Loading wallet...", request_id(request.body)));
    return http_reply(200, rpc_result(R"({"chain":"regtest"})", request_id(request.body)));
  });
  RpcClient client(RpcEndpoint{"127.0.0.1", peer.port(), UserPassword{"u", "p"}});
  auto result = call_when_ready(client, "getblockchaininfo", {}, WarmupPolicy{.first_backoff = 10ms});
  CHECK(result.at("chain").as_string() == "regtest");
  CHECK(peer.requests().size() == 3);
}

TEST_CASE("a refused connection is waited out only when asked") {
  RpcClient client(RpcEndpoint{"127.0.0.1", unused_port(), UserPassword{"u", "p"}});
  int sleeps = 0;
  WarmupPolicy no_wait{.timeout = 1s, .sleep = [&](std::chrono::milliseconds) { ++sleeps; }};
  CHECK_THROWS_AS(call_when_ready(client, "getnetworkinfo", {}, no_wait), RpcTransportError);
  CHECK(sleeps == 0);
  WarmupPolicy wait = no_wait;
  wait.retry_connection_refused = true;
  CHECK_THROWS_AS(call_when_ready(client, "getnetworkinfo", {}, wait), RpcTransportError);
  CHECK(sleeps > 0);
}
