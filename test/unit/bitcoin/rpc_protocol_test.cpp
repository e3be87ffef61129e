// The JSON-RPC dialect without sockets: every kind of answer bitcoind gives.
#include "pkg/bitcoin/rpc_protocol.hpp"

#include <doctest/doctest.h>

#include "pkg/bitcoin/rpc_endpoint.hpp"

using namespace kb::bitcoin;
namespace json = boost::json;

TEST_CASE("requests and batches are JSON-RPC 1.0 with numeric ids") {
  CHECK(encode_request({"addnode", json::array{"10.0.0.1", "add"}}, 7) ==
        R"({"jsonrpc":"1.0","id":7,"method":"addnode","params":["10.0.0.1","add"]})");
  CHECK(encode_batch({{"a", {}}, {"b", json::array{1}}}, 3) ==
        R"([{"jsonrpc":"1.0","id":3,"method":"a","params":[]},{"jsonrpc":"1.0","id":4,"method":"b","params":[1]}])");
}

TEST_CASE("decode_reply: results, JSON-RPC errors at any status, HTTP errors, malformed bodies") {
  CHECK(decode_reply({200, R"({"result":5,"error":null,"id":1})"}, "m", "h:1").as_int64() == 5);
  CHECK(decode_reply({200, R"({"result":null,"error":null,"id":1})"}, "m", "h:1").is_null());
  CHECK(decode_reply({200, R"({"result":1,"id":1})"}, "m", "h:1").as_int64() == 1);  // JSON-RPC 2.0 style

  for (int status : {200, 404, 500}) {
    CAPTURE(status);
    try {
      decode_reply({status, R"({"result":null,"error":{"code":-28,"message":"Loading wallet..."},"id":1})"}, "m",
                   "h:1");
      FAIL("no error");
    } catch (const RpcError& error) {
      CHECK(error.code() == rpc_code::kInWarmup);
      CHECK(error.message() == "Loading wallet...");
      CHECK(error.method() == "m");
    }
  }
  try {
    decode_reply({500, R"({"result":null,"error":"plain text error","id":1})"}, "m", "h:1");
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kMiscError);
    CHECK(error.message() == "plain text error");
  }

  try {
    decode_reply({401, ""}, "getinfo", "10.0.0.5:18443");
    FAIL("no error");
  } catch (const RpcHttpError& error) {
    CHECK(error.status() == 401);
    CHECK(std::string(error.what()) ==
          "bitcoind at 10.0.0.5:18443 rejected the RPC credentials (HTTP 401): bad RPC credentials");
  }
  try {
    decode_reply({405, "JSONRPC server handles only POST requests"}, "getinfo", "h:1");
    FAIL("no error");
  } catch (const RpcHttpError& error) {
    CHECK(error.status() == 405);
    CHECK(error.body_excerpt() == "JSONRPC server handles only POST requests");
  }
  CHECK_THROWS_AS(decode_reply({500, R"({"result":null,"error":null,"id":1})"}, "m", "h:1"), RpcHttpError);
  CHECK_THROWS_AS(decode_reply({200, "{bad"}, "m", "h:1"), RpcTransportError);
  CHECK_THROWS_AS(decode_reply({200, "[1,2]"}, "m", "h:1"), RpcTransportError);
  CHECK_THROWS_AS(decode_reply({200, ""}, "m", "h:1"), RpcTransportError);
}

TEST_CASE("decode_batch_reply matches by id and reports a whole-batch failure or a missing answer") {
  std::vector<RpcRequest> requests{{"a", {}}, {"b", {}}};
  auto items = decode_batch_reply(
      {200, R"([{"result":2,"error":null,"id":11},{"result":null,"error":{"code":-8,"message":"bad"},"id":10}])"},
      requests, 10, "h:1");
  CHECK_FALSE(items[0].ok());
  CHECK(items[0].error->method() == "a");
  CHECK(items[1].value().as_int64() == 2);

  CHECK_THROWS_AS(
      decode_batch_reply({500, R"({"result":null,"error":{"code":-32700,"message":"Parse error"},"id":null})"},
                         requests, 10, "h:1"),
      RpcError);
  CHECK_THROWS_AS(decode_batch_reply({200, R"([{"result":2,"error":null,"id":10}])"}, requests, 10, "h:1"),
                  RpcTransportError);
  CHECK_THROWS_AS(decode_batch_reply({401, ""}, requests, 10, "h:1"), RpcHttpError);
}

TEST_CASE("error messages name the code and never need credentials") {
  RpcError error(-24, "Error: Node has not been added.", "addnode");
  CHECK(std::string(error.what()) == "addnode: Error: Node has not been added. (code -24, RPC_CLIENT_NODE_NOT_ADDED)");
  CHECK(rpc_code_name(-12345).empty());
  RpcTransportError transport(RpcTransportError::Kind::connect_refused, "10.0.0.5:18443", "getinfo", "");
  CHECK(std::string(transport.what()) == "bitcoind at 10.0.0.5:18443 (getinfo): connection refused");
  CHECK(describe(std::string("fd00::1"), 18443) == "[fd00::1]:18443");
}

TEST_CASE("body excerpts hold no control characters and do not split UTF-8 (found by test/fuzz)") {
  CHECK(body_excerpt("\x1b[31mred\x1b[0m\x07\x7f") == "?[31mred?[0m??");
  CHECK(body_excerpt("line one\r\nline\ttwo\n") == "line one  line two");
  CHECK(body_excerpt("ab\xc3\xa9"
                     "cd",
                     3) == "ab...");
  CHECK(body_excerpt("ab\xc3\xa9"
                     "cd",
                     4) ==
        "ab\xc3\xa9"
        "...");
  CHECK(body_excerpt("short", 200) == "short");
}
