// Pure tests of rpcauth lines, derived credentials and Secret parsing.
#include "pkg/controller/credentials.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/controller/regtest_address.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;
using namespace kb::api;

TEST_CASE("rpcauth line matches Bitcoin Core's share/rpcauth: HMAC-SHA256 keyed by the hex salt") {
  RpcCredentials creds{"alice", "secret-pass"};
  // Expected value computed independently with Python's hmac module.
  CHECK(rpcauth_line(creds, "00112233445566778899aabbccddeeff") ==
        "alice:00112233445566778899aabbccddeeff$d2cb57dbfbfcf9d5af3cca89c62ccffe85411fc3a3eb7d45ba1f0c4a2dc8bee4");
  auto line = rpcauth_line(creds, "00112233445566778899aabbccddeeff");
  CHECK(rpcauth_matches(line, creds));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"alice", "other"}));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"bob", "secret-pass"}));
  CHECK_FALSE(rpcauth_matches("garbage", creds));
}

TEST_CASE("generated credentials are HMAC-SHA256 of namespace, name and UID under the controller's key") {
  std::string key_bytes;
  for (int i = 0; i < 32; ++i) key_bytes.push_back(static_cast<char>(i));
  CredentialKey key{key_bytes};
  BitcoinNetwork net;
  net.namespace_name = "ns1";
  net.name = "mynet";
  net.uid = "u-1";
  // Expected values computed independently with Python's hmac module.
  auto creds = derived_credentials(key, net);
  CHECK(creds.user == "bitcoin");
  CHECK(creds.password == "bc355a5f78b7d080d1a3cae9ff5124454b63959c4b1b46c71cb708410931e0d8");
  CHECK(derived_rpcauth_salt(key, net) == "1d3ba492a380d43cfb5ca299145d715e");
  CHECK(derived_credentials(key, net).password == creds.password);  // every replica, every reconcile

  auto recreated = net;
  recreated.uid = "u-2";  // same name, new object: new password
  CHECK(derived_credentials(key, recreated).password != creds.password);
  auto other_key = key;
  other_key.bytes[0] = 'x';
  CHECK(derived_credentials(other_key, net).password != creds.password);
  // Field boundaries are kept: "a-b"/"c" and "a"/"b-c" differ.
  BitcoinNetwork a = net, b = net;
  a.namespace_name = "a-b", a.name = "c";
  b.namespace_name = "a", b.name = "b-c";
  CHECK(derived_credentials(key, a).password != derived_credentials(key, b).password);
  CHECK(derived_rpcauth_salt(key, net) != creds.password.substr(0, 32));
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
  CHECK(rpcauth_matches(rpcauth_line(creds, "ffeeddccbbaa99887766554433221100"), creds));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"ali$ce", "other"}));
  CHECK_FALSE(rpcauth_matches(line, RpcCredentials{"ali", "secret-pass"}));
  CHECK_FALSE(rpcauth_matches("ali$ce:no-dollar-here", creds));
}
