// What a Bitcoin node answers to JSON-RPC calls, read by the controller's client (decode_reply,
// decode_batch_reply, the typed readers of node_rpc) and relayed by the RPC gateway. Input layout:
//   HTTP STATUS (decimal; anything else means 200)\nBODY
// Properties checked beyond "no crash, no leak, no hang":
// - every failure is an RpcFailure (or RpcResultError from a typed reader), never another exception;
// - the excerpt of a body that goes into messages is bounded and has no control characters;
// - the gateway relays the answer as it is or refuses it with a gateway error, never fails itself.
#include "pkg/bitcoin/gateway_handler.hpp"
#include "pkg/bitcoin/node_rpc.hpp"
#include "pkg/bitcoin/rpc_protocol.hpp"
#include "test/fuzz/fuzz_input.hpp"
#include "test/fuzz/gateway_fixture.hpp"

#include <charconv>
#include <string>
#include <vector>

namespace {
using namespace kb::bitcoin;
namespace json = boost::json;

class Forwarder : public NodeForwarder {
 public:
  explicit Forwarder(HttpReply reply) : reply_(std::move(reply)) {}
  HttpReply forward(const NetworkNode&, const std::string&, const UserPassword&, const std::string&,
                    std::string_view) override {
    return reply_;
  }

 private:
  HttpReply reply_;
};

template <typename Read>
void read_result(const json::value& result, Read read) {
  try {
    read(result);
  } catch (const RpcResultError&) {
  }
}

void check_excerpt(std::string_view body, std::size_t limit) {
  std::string excerpt = body_excerpt(body, limit);
  if (excerpt.size() > limit + 3) kb::fuzz::finding("body_excerpt longer than its limit");
  for (unsigned char c : excerpt) {
    if (c < 0x20 || c == 0x7f) kb::fuzz::finding("body_excerpt holds a control character");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto fields = kb::fuzz::split_lines(kb::fuzz::as_text(data, size), 1);
  HttpReply reply{200, std::string(fields[1])};
  int status = 0;
  auto [end, ec] = std::from_chars(fields[0].data(), fields[0].data() + fields[0].size(), status);
  if (ec == std::errc() && end == fields[0].data() + fields[0].size() && status >= 100 && status <= 599) {
    reply.status = status;
  }

  try {
    json::value result = decode_reply(reply, "getnetworkinfo", "node-0");
    read_result(result, read_network_info);
    read_result(result, read_blockchain_info);
    read_result(result, read_peer_info);
    read_result(result, read_added_node_info);
    read_result(result, [](const json::value& r) { read_block_hashes(r, "generatetoaddress"); });
  } catch (const RpcFailure&) {
  }

  std::vector<RpcRequest> requests{{"getblockcount", {}}, {"getpeerinfo", {}}, {"getblockhash", {0}}};
  try {
    for (const auto& item : decode_batch_reply(reply, requests, 1, "node-0")) {
      if (item.ok()) read_result(item.value(), read_peer_info);
    }
  } catch (const RpcFailure&) {
  }

  check_excerpt(reply.body, 200);
  check_excerpt(reply.body, 7);

  kb::fuzz::OneNetwork directory({{0, "10.244.0.10", 18443, true}});
  Forwarder forwarder(reply);
  GatewayPolicy policy;
  GatewayHandler handler(directory, forwarder, policy);
  GatewayCallRecord record;
  GatewayHttpAnswer answer =
      handler.handle({"POST", "/v1/namespaces/team-a/networks/mynet/nodes/0", std::string(kb::fuzz::kNetworkProof),
                      R"({"jsonrpc":"1.0","id":1,"method":"getblockcount","params":[]})", "10.0.0.1:40000"},
                     record);
  if (answer.forwarded) {
    if (answer.status != reply.status || answer.body != reply.body) kb::fuzz::finding("the relayed answer changed");
  } else {
    auto error = decode_gateway_error(answer.body);
    if (!error || error->reason == GatewayErrorReason::internal_error) {
      kb::fuzz::finding("the gateway failed on a node answer: " + answer.body);
    }
  }
  return 0;
}
