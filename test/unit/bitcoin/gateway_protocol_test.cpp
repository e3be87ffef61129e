#include "pkg/bitcoin/gateway_protocol.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

#include "pkg/base/base64.hpp"
#include "pkg/bitcoin/method_policy.hpp"

using namespace kb::bitcoin;

TEST_CASE("gateway node paths round-trip and only well-formed ones parse") {
  NodeRef node{"team-a", "mynet", 2};
  CHECK(gateway_node_path(node) == "/v1/namespaces/team-a/networks/mynet/nodes/2");
  CHECK(parse_gateway_node_path(gateway_node_path(node)) == node);
  CHECK(parse_gateway_node_path("/v1/namespaces/team-a/networks/mynet/nodes/2/") == node);
  CHECK(parse_gateway_node_path("/v1/namespaces/team-a/networks/mynet/nodes/2?x=1") == node);
  for (const char* bad : {"/", "/v1/namespaces/team-a/networks/mynet", "/v1/namespaces/team-a/networks/mynet/nodes/",
                          "/v1/namespaces/team-a/networks/mynet/nodes/-1",
                          "/v1/namespaces/team-a/networks/mynet/nodes/x", "/v1/namespaces/Team/networks/mynet/nodes/0",
                          "/v1/namespaces/../networks/mynet/nodes/0", "/v2/namespaces/a/networks/b/nodes/0",
                          "/v1/namespaces/a/networks/b/nodes/0/extra", "/v1/namespaces/a/networks/b/nodes/99999999"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_gateway_node_path(bad).has_value());
  }
}

TEST_CASE("gateway errors encode with their reason and decode back") {
  GatewayErrorBody error{GatewayErrorReason::node_not_found, "network a/b has no node 5; it has nodes 0, 1", {0, 1}};
  std::string body = encode_gateway_error(error);
  CHECK(body.find(R"("reason":"NodeNotFound")") != std::string::npos);
  auto decoded = decode_gateway_error(body);
  REQUIRE(decoded.has_value());
  CHECK(decoded->reason == GatewayErrorReason::node_not_found);
  CHECK(decoded->message == error.message);
  CHECK(decoded->existing_ordinals == std::vector<int>{0, 1});
  CHECK(http_status_of(GatewayErrorReason::node_not_found) == 404);
  CHECK(http_status_of(GatewayErrorReason::method_denied) == 403);
  CHECK(http_status_of(GatewayErrorReason::node_timeout) == 504);
  CHECK_FALSE(decode_gateway_error(R"({"result":1,"error":null,"id":1})").has_value());
  CHECK_FALSE(decode_gateway_error("not json").has_value());
  CHECK(parse_gateway_error_reason("MethodDenied") == GatewayErrorReason::method_denied);
  CHECK_FALSE(parse_gateway_error_reason("Nope").has_value());
}

namespace {
std::vector<std::string> methods_of(std::string_view body) {
  std::vector<std::string> methods;
  for (const auto& call : inspect_request(body).calls) methods.push_back(call.method);
  return methods;
}
}  // namespace

TEST_CASE("inspect_request reads single calls and batches and says what is wrong otherwise") {
  auto single = inspect_request(R"({"method":"getblockcount","params":[],"id":7})");
  CHECK_FALSE(single.batch);
  REQUIRE(single.calls.size() == 1);
  CHECK(single.calls[0].method == "getblockcount");
  CHECK(single.calls[0].id == 7);
  CHECK(methods_of(R"([{"method":"a"},{"method":"b"}])") == std::vector<std::string>{"a", "b"});
  CHECK(inspect_request(R"([{"method":"a"}])").batch);
  CHECK_THROWS_WITH_AS(inspect_request("{nope"), doctest::Contains("not JSON"), BadRpcBody);
  CHECK_THROWS_WITH_AS(inspect_request(R"({"params":[]})"), doctest::Contains("method"), BadRpcBody);
  CHECK_THROWS_WITH_AS(inspect_request(R"({"method":5})"), doctest::Contains("method"), BadRpcBody);
  CHECK_THROWS_WITH_AS(inspect_request("[]"), doctest::Contains("empty batch"), BadRpcBody);
  CHECK_THROWS_AS(inspect_request(R"([{"method":"a"}, 3])"), BadRpcBody);
  try {
    inspect_request("{nope");
  } catch (const BadRpcBody& error) {
    CHECK(error.json_rpc_code() == -32700);
  }
}

TEST_CASE("a key repeated at any depth is refused, so the gateway and the node cannot read different calls") {
  struct Case {
    const char* body;
    const char* key;
    const char* where;
  };
  for (const auto& c : {
           Case{R"({"method":"getblockcount","method":"stop"})", "method", "$"},
           Case{R"({"method":"stop","method":"getblockcount"})", "method", "$"},
           // The same key after unescaping.
           Case{R"({"method":"getblockcount","\u006dethod":"stop"})", "method", "$"},
           Case{R"({"method":"createwallet","params":{"wallet_name":"a","wallet_name":"../x"}})", "wallet_name",
                "$.params"},
           Case{R"({"method":"x","params":[1,{"a":{"b":1,"b":2}}]})", "b", "$.params[1].a"},
           Case{R"([{"method":"getblockcount"},{"method":"getblockcount","method":"stop"}])", "method", "$[1]"},
           Case{R"([{"method":"a","params":{"k":1,"k":1}}])", "k", "$[0].params"},
       }) {
    CAPTURE(c.body);
    try {
      inspect_request(c.body);
      FAIL("accepted");
    } catch (const BadRpcBody& error) {
      CHECK(error.json_rpc_code() == -32600);
      CHECK(std::string(error.what()).find("\"" + std::string(c.key) + "\" appears twice") != std::string::npos);
      CHECK(std::string(error.what()).find(std::string("at ") + c.where + ";") != std::string::npos);
    }
  }
  // Equal keys in different objects are fine.
  CHECK(methods_of(R"([{"method":"a","id":1},{"method":"b","id":2}])").size() == 2);
  CHECK(methods_of(R"({"method":"a","params":{"method":"b"}})") == std::vector<std::string>{"a"});
}

TEST_CASE("wallet paths: percent-encoded on the way in and out, node path /wallet/<name>") {
  NodeRef node{"team-a", "mynet", 1, std::string("my wallet/ü")};
  CHECK(gateway_node_path(node) == "/v1/namespaces/team-a/networks/mynet/nodes/1/wallets/my%20wallet%2F%C3%BC");
  CHECK(parse_gateway_node_path(gateway_node_path(node)) == node);
  CHECK(node_rpc_path(node) == "/wallet/my%20wallet%2F%C3%BC");
  CHECK(node_rpc_path(NodeRef{"a", "b", 0}) == "/");
  NodeRef empty{"a", "b", 0, std::string()};
  CHECK(parse_gateway_node_path("/v1/namespaces/a/networks/b/nodes/0/wallets/") == empty);
  CHECK(node_rpc_path(empty) == "/wallet/");
  CHECK_FALSE(parse_gateway_node_path("/v1/namespaces/a/networks/b/nodes/0/wallets/a/b").has_value());
  CHECK_FALSE(parse_gateway_node_path("/v1/namespaces/a/networks/b/nodes/0/wallet/a").has_value());
  CHECK_FALSE(parse_gateway_node_path("/v1/namespaces/a/networks/b/nodes/0/wallets/%zz").has_value());
  CHECK(percent_decode("%41%2f") == std::optional<std::string>("A/"));
  CHECK_FALSE(percent_decode("%4").has_value());
}

TEST_CASE("caller credentials must be exactly the network's") {
  UserPassword network{"rpcuser", "pa:ss word"};
  auto header = [](const std::string& pair) { return "Basic " + kb::base::base64_encode(pair); };
  CHECK(caller_credentials_match(header("rpcuser:pa:ss word"), network));
  CHECK(caller_credentials_match("basic " + kb::base::base64_encode("rpcuser:pa:ss word"), network));
  CHECK_FALSE(caller_credentials_match(header("rpcuser:pa:ss wor"), network));
  CHECK_FALSE(caller_credentials_match(header("rpcuser:pa:ss word "), network));
  CHECK_FALSE(caller_credentials_match(header("other:pa:ss word"), network));
  CHECK_FALSE(caller_credentials_match(kb::base::base64_encode("rpcuser:pa:ss word"), network));  // no scheme
  CHECK_FALSE(caller_credentials_match("Bearer abc", network));
  CHECK_FALSE(caller_credentials_match("Basic !!!", network));
  CHECK_FALSE(caller_credentials_match("", network));
}
