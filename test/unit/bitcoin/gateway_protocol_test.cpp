#include "pkg/bitcoin/gateway_protocol.hpp"

#include <doctest/doctest.h>

#include <stdexcept>

#include "pkg/base/base64.hpp"

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

TEST_CASE("the default deny-list stops node shutdown and key or wallet-file extraction, case-insensitively") {
  MethodDenyList deny;
  for (const char* method : {"stop", "dumpprivkey", "dumpwallet", "backupwallet", "importwallet", "encryptwallet",
                             "walletpassphrase", "STOP", "DumpPrivKey"}) {
    CAPTURE(method);
    CHECK(deny.denies(method));
  }
  for (const char* method : {"getblockchaininfo", "getpeerinfo", "generatetoaddress", "addnode", "help"}) {
    CAPTURE(method);
    CHECK_FALSE(deny.denies(method));
  }
  MethodDenyList custom({"GenerateToAddress"});
  CHECK(custom.denies("generatetoaddress"));
  CHECK_FALSE(custom.denies("stop"));
}

TEST_CASE("methods_in_request reads single calls and batches and says what is wrong otherwise") {
  CHECK(methods_in_request(R"({"method":"getblockcount","params":[],"id":1})") ==
        std::vector<std::string>{"getblockcount"});
  CHECK(methods_in_request(R"([{"method":"a"},{"method":"b"}])") == std::vector<std::string>{"a", "b"});
  CHECK_THROWS_WITH_AS(methods_in_request("{nope"), doctest::Contains("not JSON"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(methods_in_request(R"({"params":[]})"), doctest::Contains("method"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(methods_in_request(R"({"method":5})"), doctest::Contains("method"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(methods_in_request("[]"), doctest::Contains("empty batch"), std::invalid_argument);
  CHECK_THROWS_AS(methods_in_request(R"([{"method":"a"}, 3])"), std::invalid_argument);
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
