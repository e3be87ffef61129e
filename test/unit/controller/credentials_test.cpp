// Pure tests; the random source is a fixed byte sequence (a fake of OpenSSL's RAND_bytes).
#include "pkg/controller/credentials.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/controller/regtest_address.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;

TEST_CASE("rpcauth line matches Bitcoin Core's share/rpcauth: HMAC-SHA256 keyed by the hex salt") {
  RpcCredentials creds{"alice", "secret-pass"};
  // Expected value computed independently with Python's hmac module.
  CHECK(rpcauth_line(creds, "00112233445566778899aabbccddeeff") ==
        "alice:00112233445566778899aabbccddeeff$d2cb57dbfbfcf9d5af3cca89c62ccffe85411fc3a3eb7d45ba1f0c4a2dc8bee4");
  auto line = new_rpcauth_line(creds, system_random());
  CHECK(rpcauth_matches(line, creds));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"alice", "other"}));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"bob", "secret-pass"}));
  CHECK_FALSE(rpcauth_matches("garbage", creds));
}

TEST_CASE("generated passwords use the alphabet and have the requested length") {
  int calls = 0;
  RandomBytes mixed = [&](std::size_t n) {
    ++calls;
    return calls == 1 ? std::string(n, '\xff') : std::string(n, '\x01');
  };
  auto password = generate_password(mixed, 16);
  CHECK(password == std::string(16, 'B'));
  CHECK(calls == 2);
  auto real = generate_password(system_random(), 32);
  CHECK(real.size() == 32);
  CHECK(real.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") == std::string::npos);
}

TEST_CASE("credentials from a Secret: both keys required, decoded from base64") {
  boost::json::value secret = {
      {"data", {{"BC_RPC_USER", kb::base::base64_encode("u")}, {"BC_RPC_PASSWORD", kb::base::base64_encode("p")}}}};
  std::string problem;
  auto creds = credentials_from_secret(secret, problem);
  REQUIRE(creds);
  CHECK(creds->user == "u");
  CHECK(creds->password == "p");
  secret.as_object()["data"].as_object().erase("BC_RPC_PASSWORD");
  CHECK_FALSE(credentials_from_secret(secret, problem));
  CHECK(problem.find("has no key BC_RPC_PASSWORD") != std::string::npos);
}

TEST_CASE("base58check: the well-known all-zero P2PKH address, and regtest addresses start with m or n") {
  CHECK(base58check_encode(std::string(21, '\0')) == "1111111111111111111114oLvT2");
  auto address = derived_regtest_address("some-uid");
  CHECK((address[0] == 'm' || address[0] == 'n'));
  CHECK(address.size() >= 33);
  CHECK(derived_regtest_address("some-uid") == address);
  CHECK(derived_regtest_address("other-uid") != address);
}

TEST_CASE("rpcauth: a user name with '$' keeps its salt (split at ':' first, as bitcoind does)") {
  RpcCredentials creds{"ali$ce", "secret-pass"};
  auto line = rpcauth_line(creds, "00112233445566778899aabbccddeeff");
  CHECK(line.starts_with("ali$ce:00112233445566778899aabbccddeeff$"));
  // A line that matches is kept, so the pods' rpcauth-hash annotation stays the same.
  CHECK(rpcauth_matches(line, creds));
  CHECK(rpcauth_matches(new_rpcauth_line(creds, system_random()), creds));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"ali$ce", "other"}));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"ali", "secret-pass"}));
  CHECK_FALSE(rpcauth_matches("ali$ce:no-dollar-here", creds));
}
