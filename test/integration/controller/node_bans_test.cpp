// The partition's node calls (listed_bans, apply_ban_changes) against two REAL bitcoind processes
// on loopback ($KB_BITCOIND; no cluster): a ban drops the connection and refuses the banned
// address's dials, "already banned" and "not banned" are skipped, and lifting the ban lets the
// nodes connect again. Both nodes listen on 127.0.0.1, so the ban is of that host.
#include "pkg/bitcoin/rpc_client.hpp"
#include "pkg/controller/node_sync.hpp"
#include "pkg/controller/partition_plan.hpp"
#include "test/integration/bitcoin/support/bitcoind_process.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <functional>
#include <thread>

using namespace kb::controller;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout = 30s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

std::size_t peer_count(kb::bitcoin::RpcClient& rpc) { return rpc.call("getpeerinfo").as_array().size(); }

}  // namespace

TEST_CASE("a ban drops the peer and refuses its dials; -23 and -30 are 'already so'; lifting it reconnects") {
  const auto binary = kb::bitcoin::testing::bitcoind_from_environment();
  kb::bitcoin::testing::BitcoindProcess a(binary, "bans-a");
  kb::bitcoin::testing::BitcoindProcess b(binary, "bans-b");
  kb::bitcoin::RpcClient rpc_a(a.rpc_endpoint());
  kb::bitcoin::RpcClient rpc_b(b.rpc_endpoint());

  rpc_b.call("addnode", json::array{json::string(a.p2p_address()), "onetry"});
  REQUIRE_MESSAGE(eventually([&] { return peer_count(rpc_a) == 1 && peer_count(rpc_b) == 1; }), a.log_tail());
  CHECK(listed_bans(rpc_a).empty());

  auto done = apply_ban_changes(rpc_a, BanChanges{{"127.0.0.1"}, {}});
  CHECK(done.add == std::vector<std::string>{"127.0.0.1"});
  auto listed = listed_bans(rpc_a);
  REQUIRE(listed.size() == 1);
  CHECK(banned_host(listed.front()) == "127.0.0.1");
  // The open connection goes at once, on both sides.
  CHECK(eventually([&] { return peer_count(rpc_a) == 0 && peer_count(rpc_b) == 0; }, 10s));
  // Banned again: "already banned" (-23) is skipped, not an error.
  CHECK(apply_ban_changes(rpc_a, BanChanges{{"127.0.0.1"}, {}}).add.empty());

  // b dials a: refused while a bans b's address.
  rpc_b.call("addnode", json::array{json::string(a.p2p_address()), "onetry"});
  std::this_thread::sleep_for(2s);
  CHECK(peer_count(rpc_a) == 0);
  CHECK(peer_count(rpc_b) == 0);

  done = apply_ban_changes(rpc_a, BanChanges{{}, {"127.0.0.1"}});
  CHECK(done.remove == std::vector<std::string>{"127.0.0.1"});
  CHECK(listed_bans(rpc_a).empty());
  // Lifted again: "not banned" (-30) is skipped.
  CHECK(apply_ban_changes(rpc_a, BanChanges{{}, {"127.0.0.1"}}).remove.empty());
  rpc_b.call("addnode", json::array{json::string(a.p2p_address()), "onetry"});
  CHECK(eventually([&] { return peer_count(rpc_a) == 1 && peer_count(rpc_b) == 1; }, 10s));
}
