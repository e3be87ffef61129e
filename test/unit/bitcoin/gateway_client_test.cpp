#include "pkg/bitcoin/gateway_client.hpp"

#include <doctest/doctest.h>

#include "pkg/base/base64.hpp"

using namespace kb::bitcoin;
namespace json = boost::json;

TEST_CASE("a gateway request goes through services/proxy with the network's credentials in the custom header") {
  GatewayService service{"bitcoin-controller", "bitcoin-controller", "rpc-gateway"};
  auto request = make_gateway_request(service, NodeRef{"team-a", "mynet", 1}, UserPassword{"u", "p"},
                                      RpcRequest{"getblock", json::array{"00ff", 2}});
  CHECK(request.method == "POST");
  CHECK(request.path ==
        "/api/v1/namespaces/bitcoin-controller/services/bitcoin-controller:rpc-gateway/proxy"
        "/v1/namespaces/team-a/networks/mynet/nodes/1");
  bool has_proof = false;
  for (const auto& [name, value] : request.headers) {
    CHECK(name != "Authorization");  // the API server would strip it (and it is the caller's kube identity)
    if (name == kCallerCredentialsHeader) has_proof = value == "Basic " + kb::base::base64_encode("u:p");
  }
  CHECK(has_proof);
  CHECK(request.body == R"({"jsonrpc":"1.0","id":1,"method":"getblock","params":["00ff",2]})");
}

TEST_CASE("parse_gateway_response: a node's result, a node's error, the gateway's refusal, the API server's") {
  CHECK(parse_gateway_response(200, R"({"result":{"blocks":3},"error":null,"id":1})", "getblockchaininfo")
            .at("blocks")
            .as_int64() == 3);

  try {
    parse_gateway_response(500, R"({"result":null,"error":{"code":-23,"message":"Error: Node already added"},"id":1})",
                           "addnode");
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == -23);
    CHECK(error.message() == "Error: Node already added");
  }

  try {
    parse_gateway_response(404, R"({"result":null,"error":{"code":-32601,"message":"Method not found"},"id":1})", "x");
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kMethodNotFound);
  }

  try {
    parse_gateway_response(
        404,
        encode_gateway_error(
            {GatewayErrorReason::node_not_found, "network a/b has no node 7; it has nodes 0, 1", {0, 1}}),
        "getblockcount");
    FAIL("no error");
  } catch (const GatewayError& error) {
    CHECK(error.origin() == GatewayError::Origin::gateway);
    CHECK(error.reason() == "NodeNotFound");
    CHECK(error.existing_ordinals() == std::vector<int>{0, 1});
    CHECK(std::string(error.what()) == "network a/b has no node 7; it has nodes 0, 1");
  }

  try {
    parse_gateway_response(403, R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",
        "message":"services \"bitcoin-controller:rpc-gateway\" is forbidden: User \"alice\" cannot create resource \"services/proxy\" in API group \"\" in the namespace \"bitcoin-controller\"",
        "reason":"Forbidden","details":{"name":"bitcoin-controller:rpc-gateway","kind":"services"},"code":403})",
                           "getblockcount");
    FAIL("no error");
  } catch (const GatewayError& error) {
    CHECK(error.origin() == GatewayError::Origin::api_server);
    CHECK(error.reason() == "Forbidden");
    CHECK(std::string(error.what()).find("cannot create resource \"services/proxy\"") != std::string::npos);
    CHECK(std::string(error.what()).find("RBAC") != std::string::npos);
  }

  CHECK_THROWS_AS(parse_gateway_response(200, "<html>", "getblockcount"), RpcTransportError);
  CHECK_THROWS_AS(parse_gateway_response(502, "Bad Gateway", "getblockcount"), RpcHttpError);
}

TEST_CASE("a wallet call goes to the node's wallets/<name> route, percent-encoded") {
  GatewayService service;
  auto request = make_gateway_request(service, NodeRef{"team-a", "mynet", 1, std::string("alice bob")},
                                      UserPassword{"u", "p"}, RpcRequest{"getbalance", {}});
  CHECK(request.path ==
        "/api/v1/namespaces/bitcoin-controller/services/bitcoin-controller:rpc-gateway/proxy/v1/namespaces/team-a/"
        "networks/mynet/nodes/1/wallets/alice%20bob");
}
