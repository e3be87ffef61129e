// The gateway's method policy (pure; no fakes needed).
#include "pkg/bitcoin/method_policy.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

using namespace kb::bitcoin;
namespace json = boost::json;

namespace {
bool allows(const MethodPolicy& policy, std::string_view method, std::string_view params = "null") {
  return policy.decide(method, json::parse(params)).allowed;
}
}  // namespace

TEST_CASE("by default: one allowed and one refused method of each family") {
  MethodPolicy policy;
  struct Family {
    const char* name;
    const char* allowed;
    const char* refused;
  };
  for (const auto& family : {
           Family{"control", "uptime", "stop"},
           Family{"blockchain", "getblockchaininfo", "invalidateblock"},
           Family{"blockchain files", "gettxoutsetinfo", "dumptxoutset"},
           Family{"mempool", "getmempoolinfo", "importmempool"},
           Family{"mining", "generatetoaddress", "waitfornewblock"},
           Family{"network", "getpeerinfo", "addnode"},
           Family{"network bans", "listbanned", "setban"},
           Family{"raw transactions", "sendrawtransaction", "loadtxoutset"},
           Family{"wallet use", "sendtoaddress", "dumpwallet"},
           Family{"wallet keys", "getnewaddress", "dumpprivkey"},
           Family{"regtest hooks", "generateblock", "setmocktime"},
           Family{"logging", "getrpcinfo", "logging"},
       }) {
    CAPTURE(family.name);
    CHECK(allows(policy, family.allowed));
    CHECK_FALSE(allows(policy, family.refused));
  }
  for (const char* refused : {"backupwallet", "importwallet", "restorewallet", "setnetworkactive", "disconnectnode",
                              "clearbanned", "reconsiderblock", "waitforblockheight", "addconnection", "addpeeraddress",
                              "sendmsgtopeer", "mockscheduler", "encryptwallet", "nosuchmethod"}) {
    CAPTURE(refused);
    CHECK_FALSE(allows(policy, refused));
  }
  // Case does not smuggle a refused method through.
  CHECK_FALSE(allows(policy, "Stop"));
  CHECK(policy.decide("stop", nullptr).why.find("stop the node") != std::string::npos);
  CHECK(policy.decide("frobnicate", nullptr).why.find("allow-list") != std::string::npos);
  CHECK(policy.decide("stop", nullptr).policy_can_allow);
}

TEST_CASE("wallet methods: a plain wallet name is fine, anything path-like is refused, positionally or by name") {
  MethodPolicy policy;
  CHECK(allows(policy, "createwallet", R"(["alice"])"));
  CHECK(allows(policy, "createwallet", R"({"wallet_name":"alice","descriptors":true})"));
  CHECK(allows(policy, "loadwallet", R"(["alice"])"));
  CHECK(allows(policy, "createwallet", "null"));  // the node reports the missing name
  for (const char* params : {R"(["/tmp/w"])", R"(["../w"])", R"(["..\\w"])", R"(["a/b"])", R"([".."])",
                             R"({"wallet_name":"/etc"})", R"({"args":["/etc"]})", R"(["a\u0001"])"}) {
    CAPTURE(params);
    auto decision = policy.decide("createwallet", json::parse(params));
    CHECK_FALSE(decision.allowed);
    CHECK_FALSE(decision.policy_can_allow);
  }
  CHECK_FALSE(allows(policy, "loadwallet", R"({"filename":"/var/lib/w"})"));
  CHECK_FALSE(allows(policy, "migratewallet", R"(["../w"])"));
  CHECK_FALSE(allows(policy, "unloadwallet", R"(["a/b"])"));
  CHECK(wallet_name_problem("").empty());
  CHECK(wallet_name_problem("my wallet").empty());
  CHECK_FALSE(wallet_name_problem("a\nb").empty());
}

TEST_CASE("a configured policy widens and narrows the defaults; deny wins") {
  MethodPolicy policy({"setmocktime", "Stop", "getrawaddr*"}, {"generatetoaddress", "getblock*", "stop"});
  CHECK(allows(policy, "setmocktime"));
  CHECK(allows(policy, "getrawaddrman"));
  CHECK_FALSE(allows(policy, "generatetoaddress"));
  CHECK_FALSE(allows(policy, "getblockcount"));
  CHECK_FALSE(allows(policy, "GetBlockHash"));
  CHECK_FALSE(allows(policy, "stop"));  // in both: deny wins
  CHECK(policy.decide("getblockcount", nullptr).why.find("operator") != std::string::npos);
  CHECK(allows(policy, "getbestblockhash"));
  // An allowed method keeps its argument check.
  CHECK_FALSE(allows(MethodPolicy({"createwallet"}), "createwallet", R"(["/x"])"));
  MethodPolicy everything({"*"});
  CHECK(allows(everything, "stop"));
  CHECK_THROWS_AS(MethodPolicy({"get block"}), std::invalid_argument);
  CHECK_THROWS_AS(MethodPolicy({}, {""}), std::invalid_argument);
}
