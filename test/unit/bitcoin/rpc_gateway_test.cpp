// The RPC gateway end to end on loopback: a FAKE NodeDirectory (a map), a scripted FAKE bitcoind
// (support/scripted_http_peer.hpp), and requests shaped like those the API server's
// services/proxy forwards (no Authorization header; the proof in X-Bitcoin-Rpc-Authorization).
#include "pkg/bitcoin/rpc_gateway.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <map>
#include <mutex>
#include <sstream>

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
    auto it = networks.find(std::string(ns) + "/" + std::string(name));
    if (it == networks.end()) return std::nullopt;
    return it->second;
  }
  std::map<std::string, NetworkRoute> networks;
};

// A fake bitcoind: answers getblockcount, a -28 for getwalletinfo, 404/-32601 otherwise,
// 401 when the credentials are not the network's, and sleeps on "slowcall".
ScriptedReply fake_bitcoind(const ReceivedRequest& request) {
  if (request.headers.count("authorization") == 0 ||
      request.headers.at("authorization") != basic_authorization(kNetworkCredentials)) {
    return http_reply(401, "", "text/html");
  }
  std::string method = request_method(request.body);
  std::string id = request_id(request.body);
  if (request.body.front() == '[')
    return http_reply(200, "[" + rpc_result("7", "1") + "," + rpc_result("7", "2") + "]");
  if (method == "getblockcount") return http_reply(200, rpc_result("7", id));
  if (method == "addnode") return http_reply(500, rpc_error(-23, "Error: Node already added", id));
  if (method == "slowcall") {
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
    options.threads = 2;
    options.node.call_timeout = 200ms;
    options.policy.max_request_bytes = 4096;
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
  auto answer = post(kNode0, encode_request(RpcRequest{"addnode", json::array{"10.0.0.9", "add"}}, 1));
  CHECK(answer.status == 500);
  try {
    parse_gateway_response(answer.status, answer.body, "addnode");
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kNodeAlreadyAdded);
  }
  auto unknown = post(kNode0, call("nosuchmethod"));
  CHECK(unknown.status == 404);
  CHECK(unknown.headers["x-bitcoin-gateway"] == "forwarded");
  CHECK_THROWS_AS(parse_gateway_response(unknown.status, unknown.body, "nosuchmethod"), RpcError);
  auto records = logged();
  CHECK(records.at(0).result == "rpc_error");
  CHECK(records.at(0).rpc_code == -23);
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

  auto slow = post(kNode0, call("slowcall"));
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
