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
                    RpcTransportError::Kind::connection_closed, RpcTransportError::Kind::call_timeout}) {
    CHECK_FALSE(persistent_node_problem(0, RpcTransportError(kind, "h:1", "m", "")));
  }
  CHECK_FALSE(persistent_node_problem(0, kb::bitcoin::RpcError(-28, "Loading block index...", "getblockchaininfo")));
}
