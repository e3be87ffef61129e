// NetworkCredentials with a fake Secret reader (counts GETs) and a fake clock: derived credentials
// need no read, user Secrets are used only when they opt in, and gateway lookups cost at most one
// GET per Secret per TTL.
#include "pkg/controller/network_credentials.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/controller/credential_key.hpp"
#include "pkg/controller/secret_opt_in.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <stdexcept>

using namespace kb::controller;
using namespace kb::api;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {
struct FakeSecrets {
  std::map<std::string, json::value> secrets;  // "ns/name"
  int reads = 0;
  bool fail = false;
  NetworkCredentials::SecretReader reader() {
    return [this](const std::string& ns, const std::string& name) -> std::optional<json::value> {
      ++reads;
      if (fail) throw std::runtime_error("connection refused");
      auto it = secrets.find(ns + "/" + name);
      if (it == secrets.end()) return std::nullopt;
      return it->second;
    };
  }
};

json::value user_secret(std::string_view allowed, std::string_view password = "pw") {
  json::object secret{{"metadata", {{"name", "mine"}, {"namespace", "ns"}}},
                      {"data",
                       {{"BC_RPC_USER", kb::base::base64_encode("alice")},
                        {"BC_RPC_PASSWORD", kb::base::base64_encode(password)},
                        {"unrelated", kb::base::base64_encode("x")}}}};
  if (!allowed.empty()) {
    secret["metadata"].as_object()["annotations"] = json::object{{kAllowedNetworksAnnotation, allowed}};
  }
  return secret;
}

BitcoinNetwork network(std::string secret) {
  BitcoinNetwork n;
  n.namespace_name = "ns";
  n.name = "net";
  n.uid = "uid-1";
  n.spec.secret = std::move(secret);
  return n;
}

CredentialKey key() { return CredentialKey{std::string(32, 'k')}; }
}  // namespace

TEST_CASE("generated credentials need no Secret read at all") {
  FakeSecrets api;
  NetworkCredentials credentials(key(), api.reader(), 30s);
  auto result = credentials.lookup(network(""));
  REQUIRE(result.credentials);
  CHECK(result.credentials->password == derived_credentials(key(), network("")).password);
  CHECK(credentials.refresh(network("")).credentials->password == result.credentials->password);
  CHECK(api.reads == 0);
}

TEST_CASE("a user Secret is used only when it opts in to the network") {
  FakeSecrets api;
  NetworkCredentials credentials(key(), api.reader(), 30s);
  auto missing = credentials.refresh(network("mine"));
  CHECK_FALSE(missing.credentials);
  CHECK(missing.reason == "SecretNotFound");
  CHECK(missing.message.find(std::string(kAllowedNetworksAnnotation)) != std::string::npos);

  api.secrets["ns/mine"] = user_secret("");
  auto refused = credentials.refresh(network("mine"));
  CHECK_FALSE(refused.credentials);
  CHECK(refused.reason == "SecretNotAllowed");
  CHECK(refused.message.find("ns/mine") != std::string::npos);
  CHECK(refused.message.find("pw") == std::string::npos);

  api.secrets["ns/mine"] = user_secret("other-net");
  CHECK(credentials.refresh(network("mine")).reason == "SecretNotAllowed");

  api.secrets["ns/mine"] = user_secret("other-net, net");
  auto allowed = credentials.refresh(network("mine"));
  REQUIRE(allowed.credentials);
  CHECK(allowed.credentials->user == "alice");
  CHECK(allowed.credentials->password == "pw");

  auto broken = user_secret("*");
  broken.as_object()["data"].as_object().erase("BC_RPC_PASSWORD");
  api.secrets["ns/mine"] = broken;
  CHECK(credentials.refresh(network("mine")).reason == "SecretInvalid");
}

TEST_CASE("gateway lookups read a user Secret at most once per TTL; reconciles always read") {
  FakeSecrets api;
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  NetworkCredentials credentials(key(), api.reader(), 30s, [&] { return now; });
  api.secrets["ns/mine"] = user_secret("net", "first");
  for (int i = 0; i < 100; ++i) CHECK(credentials.lookup(network("mine")).credentials->password == "first");
  CHECK(api.reads == 1);

  api.secrets["ns/mine"] = user_secret("", "second");  // opt-in withdrawn
  now += 29s;
  CHECK(credentials.lookup(network("mine")).credentials);  // still the remembered answer
  CHECK(api.reads == 1);
  now += 2s;
  CHECK(credentials.lookup(network("mine")).reason == "SecretNotAllowed");  // TTL passed: read again
  CHECK(api.reads == 2);

  api.secrets["ns/mine"] = user_secret("*", "third");
  CHECK(credentials.refresh(network("mine")).credentials->password == "third");  // a reconcile reads now
  CHECK(api.reads == 3);
  CHECK(credentials.lookup(network("mine")).credentials->password == "third");  // and the gateway sees it
  CHECK(api.reads == 3);

  // Missing Secrets are remembered too: unauthenticated gateway traffic cannot turn into GETs.
  for (int i = 0; i < 50; ++i) CHECK(credentials.lookup(network("absent")).reason == "SecretNotFound");
  CHECK(api.reads == 4);
}

TEST_CASE("a failed read is an answer for the gateway, remembered briefly; the reconciler sees the error") {
  FakeSecrets api;
  auto now = std::chrono::steady_clock::time_point{} + 1h;
  NetworkCredentials credentials(key(), api.reader(), 30s, [&] { return now; });
  api.fail = true;
  auto result = credentials.lookup(network("mine"));
  CHECK(result.reason == "SecretUnreadable");
  CHECK(result.message.find("connection refused") != std::string::npos);
  CHECK(credentials.lookup(network("mine")).reason == "SecretUnreadable");
  CHECK(api.reads == 1);
  CHECK_THROWS_AS(credentials.refresh(network("mine")), std::runtime_error);
  api.fail = false;
  api.secrets["ns/mine"] = user_secret("net");
  now += 6s;  // failures are kept for at most 5 s
  CHECK(credentials.lookup(network("mine")).credentials);
}

TEST_CASE("the credential key Secret: created with 32 random bytes, read back, refused when unusable") {
  CredentialKey k{std::string(32, '\x07')};
  auto secret = desired_credential_key_secret("bitcoin-controller", "bc-key", k);
  CHECK(secret.at("metadata").at("namespace") == "bitcoin-controller");
  CHECK_FALSE(secret.at("metadata").as_object().contains("ownerReferences"));
  CHECK(credential_key_from_secret(secret).bytes == k.bytes);
  auto short_key = desired_credential_key_secret("ns", "bc-key", CredentialKey{"short"});
  CHECK_THROWS_WITH_AS(credential_key_from_secret(short_key), doctest::Contains("Secret bc-key: data.key is not 32"),
                       CredentialKeyError);
  CHECK_THROWS_AS(credential_key_from_secret(json::object{{"metadata", {{"name", "x"}}}}), CredentialKeyError);
}
