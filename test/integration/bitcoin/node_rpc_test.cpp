// The RPC client and typed helpers against REAL bitcoind processes on loopback (no cluster):
// the test starts two regtest nodes from $KB_BITCOIND and stops them at the end.
#include "pkg/bitcoin/node_rpc.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <thread>

#include "pkg/bitcoin/call_when_ready.hpp"
#include "pkg/bitcoin/rpc_client.hpp"
#include "test/integration/bitcoin/support/bitcoind_process.hpp"

using namespace kb::bitcoin;
using namespace kb::bitcoin::testing;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {
// A regtest P2PKH address (valid on Core and SV): mining to it needs no wallet.
constexpr const char* kRegtestAddress = "mipcBbFg9gMiCh81Kj8tqqdgoZub1ZJRfn";

// Two nodes shared by the test cases of this file (starting one takes seconds).
struct TwoNodes {
  TwoNodes()
      : binary(bitcoind_from_environment()),
        a(std::make_unique<BitcoindProcess>(binary, "a")),
        b(std::make_unique<BitcoindProcess>(binary, "b")),
        rpc_a(a->rpc_endpoint()),
        rpc_b(b->rpc_endpoint()) {}
  std::string binary;
  std::unique_ptr<BitcoindProcess> a;
  std::unique_ptr<BitcoindProcess> b;
  RpcClient rpc_a;
  RpcClient rpc_b;
};

TwoNodes& nodes() {
  static TwoNodes shared;  // a test-only fixture; started on first use, stopped at exit
  return shared;
}

bool eventually(const std::function<bool()>& condition, std::chrono::seconds timeout = 60s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(200ms);
  }
  return condition();
}

void connect_a_to_b() { ensure_added(nodes().rpc_a, nodes().b->p2p_address()); }
}  // namespace

TEST_CASE("every typed helper reads a real node") {
  auto& n = nodes();
  auto network = getnetworkinfo(n.rpc_a);
  CHECK(network.version > 0);
  CHECK_FALSE(network.subversion.empty());
  CHECK(network.connections >= 0);
  MESSAGE("node: " << network.subversion << " version " << network.version);

  auto chain = getblockchaininfo(n.rpc_a);
  CHECK(chain.chain == "regtest");
  CHECK(chain.blocks >= 0);
  CHECK(chain.bestblockhash.size() == 64);
  CHECK(getbestblockhash(n.rpc_a) == chain.bestblockhash);
  CHECK(getblockcount(n.rpc_a) == chain.blocks);
  CHECK(getconnectioncount(n.rpc_a) == network.connections);
  CHECK_NOTHROW(getpeerinfo(n.rpc_a));
  CHECK_NOTHROW(getaddednodeinfo(n.rpc_a));
  CHECK(n.rpc_a.connections_opened() == 1);  // keep-alive with a real bitcoind
}

TEST_CASE("addnode twice gives -23, removing an unknown node gives -24") {
  auto& n = nodes();
  std::string b = n.b->p2p_address();
  ensure_added(n.rpc_a, b);
  try {
    addnode(n.rpc_a, b, AddNodeCommand::add);
    FAIL("the second addnode was accepted");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kNodeAlreadyAdded);
    MESSAGE("bitcoind says: " << error.message());
  }
  CHECK_FALSE(ensure_added(n.rpc_a, b));
  try {
    addnode(n.rpc_a, "127.0.0.1:1", AddNodeCommand::remove);
    FAIL("removing an unknown node was accepted");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kNodeNotAdded);
  }
  CHECK_FALSE(ensure_removed(n.rpc_a, "127.0.0.1:1"));
  CHECK_NOTHROW(addnode(n.rpc_a, "127.0.0.1:1", AddNodeCommand::onetry));
  auto added = getaddednodeinfo(n.rpc_a);
  CHECK(std::any_of(added.begin(), added.end(), [&](const AddedNode& node) { return node.addednode == b; }));
}

TEST_CASE("two nodes connected with addnode see each other in getpeerinfo") {
  auto& n = nodes();
  connect_a_to_b();
  std::string b = n.b->p2p_address();
  CHECK(eventually([&] {
    auto peers = getpeerinfo(n.rpc_a);
    return std::any_of(peers.begin(), peers.end(), [&](const PeerInfo& p) { return p.addr == b && !p.inbound; });
  }));
  CHECK(eventually([&] {
    auto peers = getpeerinfo(n.rpc_b);
    return std::any_of(peers.begin(), peers.end(), [](const PeerInfo& p) { return p.inbound; });
  }));
  CHECK(eventually([&] {
    auto added = getaddednodeinfo(n.rpc_a);
    return std::any_of(added.begin(), added.end(),
                       [&](const AddedNode& node) { return node.addednode == b && node.connected; });
  }));
  CHECK(getconnectioncount(n.rpc_a) >= 1);
  CHECK(getnetworkinfo(n.rpc_b).connections >= 1);
}

TEST_CASE("generatetoaddress on one node moves both tips") {
  auto& n = nodes();
  connect_a_to_b();
  auto before = getblockcount(n.rpc_a);
  auto hashes = generatetoaddress(n.rpc_a, 3, kRegtestAddress);
  REQUIRE(hashes.size() == 3);
  CHECK(getbestblockhash(n.rpc_a) == hashes.back());
  CHECK(getblockcount(n.rpc_a) == before + 3);
  CHECK(eventually([&] { return getbestblockhash(n.rpc_b) == hashes.back(); }));
  CHECK(getblockchaininfo(n.rpc_b).blocks == before + 3);
}

TEST_CASE("a batch, an unknown method and bad credentials against a real node") {
  auto& n = nodes();
  auto items = n.rpc_a.call_batch({{"getblockcount", {}}, {"nosuchmethod", {}}, {"getconnectioncount", {}}});
  REQUIRE(items.size() == 3);
  CHECK(items[0].ok());
  CHECK(items[0].value().is_number());
  REQUIRE_FALSE(items[1].ok());
  CHECK(items[1].error->code() == rpc_code::kMethodNotFound);
  CHECK(items[2].ok());

  try {
    n.rpc_a.call("nosuchmethod");
    FAIL("no error");
  } catch (const RpcError& error) {
    CHECK(error.code() == rpc_code::kMethodNotFound);
  }

  auto endpoint = n.a->rpc_endpoint();
  endpoint.credentials = UserPassword{"kbtest", "not-the-password"};
  RpcClient wrong(endpoint);
  try {
    wrong.call("getblockcount");
    FAIL("no error");
  } catch (const RpcHttpError& error) {
    CHECK(error.status() == 401);
    CHECK(std::string(error.what()).find("not-the-password") == std::string::npos);
  }
}

TEST_CASE("call_when_ready waits out a node that is still starting") {
  auto& n = nodes();
  BitcoindProcess fresh(n.binary, "fresh", BitcoindProcess::Start::return_at_once);
  RpcClient client(fresh.rpc_endpoint(), RpcClientOptions{.connect_timeout = 500ms});
  WarmupPolicy policy{.timeout = 90s, .first_backoff = 50ms, .max_backoff = 500ms, .retry_connection_refused = true};
  auto result = call_when_ready(client, "getblockchaininfo", {}, policy);
  CHECK(result.at("chain").as_string() == "regtest");
}
