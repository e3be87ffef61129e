// Pure tests of how node failures reach the status: typed RPC errors in, conditions out.
#include "pkg/controller/node_sync.hpp"

#include "pkg/base/yaml_parse.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;
using namespace kb::api;
using kb::bitcoin::RpcTransportError;
namespace json = boost::json;

TEST_CASE("a node whose answer is over the size limit makes the network Degraded with NodeAnswerTooLarge") {
  RpcTransportError too_large(RpcTransportError::Kind::response_too_large, "10.0.0.3:18443", "getblockchaininfo",
                              "the body is over this client's limit of 1048576 bytes (max_response_bytes)");
  auto problem = persistent_node_problem(2, too_large);
  REQUIRE(problem);
  CHECK(problem->reason == "NodeAnswerTooLarge");
  CHECK(problem->message.starts_with("node 2: bitcoind at 10.0.0.3:18443 (getblockchaininfo)"));
  CHECK(problem->message.find("1048576 bytes") != std::string::npos);

  auto net = parse_network(kb::base::parse_yaml("metadata: {name: net, generation: 1}\nspec: {nodes: 1}\n"));
  auto status = compute_status(StatusInputs{&net, {}, {}, problem, "T"});
  bool found = false;
  for (const auto& c : status.at("conditions").as_array()) {
    if (c.at("type") != "Degraded") continue;
    found = true;
    CHECK(c.at("status") == "True");
    CHECK(c.at("reason") == "NodeAnswerTooLarge");
    CHECK(c.at("message").as_string().find("node 2") != json::string::npos);
  }
  CHECK(found);
}

TEST_CASE("a node that is starting or warming up is not a persistent problem") {
  CHECK(persistent_failure_reason(RpcTransportError(RpcTransportError::Kind::malformed_response, "h:1", "m", "x")) ==
        "NodeBadAnswer");
  for (auto kind : {RpcTransportError::Kind::connect_refused, RpcTransportError::Kind::connect_timeout,
                    RpcTransportError::Kind::connection_closed}) {
    CHECK_FALSE(persistent_node_problem(0, RpcTransportError(kind, "h:1", "m", "")));
  }
  CHECK_FALSE(persistent_node_problem(0, kb::bitcoin::RpcError(-28, "Loading block index...", "getblockchaininfo")));
}

TEST_CASE("a node that accepts the connection but does not answer in time is NodeNotResponding") {
  // What a stopped (SIGSTOP) or hung bitcoind looks like: the kernel completes the TCP handshake
  // for its listening socket, and the call's deadline passes without a byte.
  RpcTransportError timeout(RpcTransportError::Kind::call_timeout, "10.0.0.3:18443", "getblockchaininfo",
                            "no complete answer within 15000 ms");
  auto problem = persistent_node_problem(1, timeout);
  REQUIRE(problem);
  CHECK(problem->reason == "NodeNotResponding");
  CHECK(problem->message == "node 1: " + std::string(timeout.what()));
  auto failure = node_failure(timeout);
  CHECK(failure.reason == "NodeNotResponding");
  CHECK(failure.degrades);
  CHECK(failure.message.find("15000 ms") != std::string::npos);
}

TEST_CASE("every RPC failure gets a per-node reason; only the abnormal ones degrade the network") {
  auto warming = node_failure(kb::bitcoin::RpcError(-28, "Loading block index...", "getblockchaininfo"));
  CHECK(warming.reason == "WarmingUp");
  CHECK_FALSE(warming.degrades);
  CHECK(warming.message.find("Loading block index") != std::string::npos);
  auto unreachable = node_failure(RpcTransportError(RpcTransportError::Kind::connect_timeout, "h:1", "m", "x"));
  CHECK(unreachable.reason == "NodeUnreachable");
  CHECK_FALSE(unreachable.degrades);
  auto refused = node_failure(RpcTransportError(RpcTransportError::Kind::connect_refused, "h:1", "m", ""));
  CHECK(refused.reason == "RpcNotAnswering");
  CHECK_FALSE(refused.degrades);
  auto bad = node_failure(RpcTransportError(RpcTransportError::Kind::malformed_response, "h:1", "m", "x"));
  CHECK(bad.reason == "NodeBadAnswer");
  CHECK(bad.degrades);
}
