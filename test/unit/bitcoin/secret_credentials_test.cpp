#include "pkg/bitcoin/secret_credentials.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "pkg/bitcoin/rpc_error.hpp"

using namespace kb::bitcoin;

TEST_CASE("credentials come from data.BC_RPC_USER / data.BC_RPC_PASSWORD, base64-decoded") {
  auto secret = boost::json::parse(R"({"kind":"Secret","metadata":{"name":"mynet-rpc","namespace":"team-a"},
      "data":{"BC_RPC_USER":"cnBjdXNlcg==","BC_RPC_PASSWORD":"czNjcmV0"}})");
  auto credentials = credentials_from_secret(secret);
  CHECK(credentials.user == "rpcuser");
  CHECK(credentials.password == "s3cret");
}

TEST_CASE("a missing, undecodable or empty key is named, its value never shown") {
  auto missing = boost::json::parse(R"({"metadata":{"name":"x","namespace":"ns"},"data":{"BC_RPC_USER":"dQ=="}})");
  CHECK_THROWS_WITH_AS(credentials_from_secret(missing), "Secret ns/x has no key BC_RPC_PASSWORD", RpcCredentialsError);
  auto garbage = boost::json::parse(
      R"({"metadata":{"name":"x","namespace":"ns"},"data":{"BC_RPC_USER":"dQ==","BC_RPC_PASSWORD":"!!topsecret!!"}})");
  try {
    credentials_from_secret(garbage);
    FAIL("no error");
  } catch (const RpcCredentialsError& error) {
    CHECK(std::string(error.what()).find("topsecret") == std::string::npos);
  }
  auto empty = boost::json::parse(R"({"metadata":{"name":"x"},"data":{"BC_RPC_USER":"","BC_RPC_PASSWORD":"cA=="}})");
  CHECK_THROWS_AS(credentials_from_secret(empty), RpcCredentialsError);
  CHECK_THROWS_AS(credentials_from_secret(boost::json::parse("{}")), RpcCredentialsError);
}
