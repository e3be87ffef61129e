// The RPC gateway in front of a REAL bitcoind (started by the test from $KB_BITCOIND), with a
// fake NodeDirectory standing in for the controller's informer cache.
#include "pkg/bitcoin/rpc_gateway.hpp"

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "pkg/bitcoin/gateway_client.hpp"
#include "test/integration/bitcoin/support/bitcoind_process.hpp"
#include "test/unit/bitcoin/support/http_post.hpp"

using namespace kb::bitcoin;
using namespace kb::bitcoin::testing;
namespace json = boost::json;

namespace {
class OneNetworkDirectory : public NodeDirectory {
 public:
  explicit OneNetworkDirectory(const BitcoindProcess& node)
      : route_{std::get<UserPassword>(node.rpc_endpoint().credentials),
               {NetworkNode{0, "127.0.0.1", node.rpc_port(), true}}} {}
  std::optional<NetworkRoute> find_network(std::string_view ns, std::string_view name) const override {
    if (ns == "default" && name == "real") return route_;
    return std::nullopt;
  }
  const NetworkRoute& route() const { return route_; }

 private:
  NetworkRoute route_;
};
}  // namespace

TEST_CASE("kubectl bitcoin rpc's path, end to end on loopback: client helper -> gateway -> real bitcoind") {
  BitcoindProcess node(bitcoind_from_environment(), "gateway");
  OneNetworkDirectory directory(node);
  RpcGatewayOptions options;
  options.bind_address = "127.0.0.1";
  options.port = 0;
  RpcGateway gateway(options, directory, {});
  gateway.start();

  // What the CLI would send to the API server, minus the "/api/v1/.../proxy" prefix the API
  // server removes before forwarding to the gateway.
  auto send = [&](const NodeRef& ref, const RpcRequest& call) {
    auto request = make_gateway_request(GatewayService{}, ref, directory.route().credentials, call);
    std::string prefix = "/api/v1/namespaces/bitcoin-controller/services/bitcoin-controller:rpc-gateway/proxy";
    REQUIRE(request.path.rfind(prefix, 0) == 0);
    auto answer =
        http_request(gateway.port(), request.method, request.path.substr(prefix.size()), request.headers, request.body);
    return parse_gateway_response(answer.status, answer.body, call.method);
  };

  NodeRef node0{"default", "real", 0};
  CHECK(send(node0, {"getblockchaininfo", {}}).at("chain").as_string() == "regtest");
  CHECK(send(node0, {"getblockcount", {}}).is_number());

  try {
    send(node0, {"getblock", json::array{"00"}});
    FAIL("no error");
  } catch (const RpcError& error) {
    MESSAGE("bitcoind through the gateway: " << std::string(error.what()));
    CHECK(error.code() != 0);
  }

  try {
    send(node0, {"stop", {}});
    FAIL("stop went through");
  } catch (const GatewayError& error) {
    CHECK(error.reason() == "MethodDenied");
  }
  CHECK(send(node0, {"getconnectioncount", {}}).is_number());  // still running

  try {
    send(NodeRef{"default", "real", 4}, {"getblockcount", {}});
    FAIL("no error");
  } catch (const GatewayError& error) {
    CHECK(error.reason() == "NodeNotFound");
    CHECK(error.existing_ordinals() == std::vector<int>{0});
  }

  // A batch comes back from bitcoind chunked; the gateway relays it whole, the node's error for
  // one element included (an allowed method with a bad parameter: the policy refuses unknown methods).
  auto answer =
      http_request(gateway.port(), "POST", gateway_node_path(node0),
                   {{std::string(kCallerCredentialsHeader), basic_authorization(directory.route().credentials)}},
                   R"([{"method":"getblockcount","id":1},{"method":"getblockhash","params":[999999],"id":2}])");
  CHECK(answer.status == 200);
  auto batch = json::parse(answer.body);
  REQUIRE(batch.as_array().size() == 2);
  CHECK(batch.as_array()[1].at("error").is_object());
}
