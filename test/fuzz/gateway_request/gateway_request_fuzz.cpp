// The RPC gateway's handling of one HTTP request from outside: route, proof, JSON-RPC body (no
// repeated keys), method policy, and the refusal it writes. Input layout (test/fuzz/fuzz_input.hpp):
//   VERB\nTARGET\nX-Bitcoin-Rpc-Authorization value\nBODY
// Properties checked beyond "no crash, no leak, no hang":
// - a body the gateway forwards parses as JSON and every call in it is one the policy allows;
// - a refusal is a gateway error body whose reason carries the HTTP status the answer has;
// - no answer ever holds the network's password (unless the caller sent it);
// - a node path the gateway parses is written back to the same path, and percent-encoding
//   round-trips.
#include "pkg/bitcoin/gateway_handler.hpp"
#include "pkg/bitcoin/gateway_protocol.hpp"
#include "pkg/bitcoin/method_policy.hpp"
#include "test/fuzz/fuzz_input.hpp"
#include "test/fuzz/gateway_fixture.hpp"

#include <boost/json/parse.hpp>

#include <optional>
#include <string>

namespace {
using namespace kb::bitcoin;
namespace json = boost::json;

class Forwarder : public NodeForwarder {
 public:
  HttpReply forward(const NetworkNode&, const std::string& path, const UserPassword&, const std::string& body,
                    std::string_view) override {
    forwarded = body;
    forwarded_path = path;
    return {200, R"({"result":7,"error":null,"id":1})"};
  }
  std::optional<std::string> forwarded;
  std::string forwarded_path;
};

// Every call of a forwarded body, read with a plain JSON parser, must be allowed.
void check_forwarded(const std::string& body, const MethodPolicy& policy) {
  json::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) kb::fuzz::finding("forwarded a body that is not JSON");
  auto check_call = [&](const json::value& call) {
    const json::object* object = call.if_object();
    const json::value* method = object ? object->if_contains("method") : nullptr;
    if (!method || !method->is_string()) kb::fuzz::finding("forwarded a call without a string method");
    const json::value* params = object->if_contains("params");
    auto decision = policy.decide(std::string(method->get_string()), params ? *params : json::value());
    if (!decision.allowed) kb::fuzz::finding("forwarded " + std::string(method->get_string()) + ", which is denied");
  };
  if (const auto* batch = value.if_array()) {
    for (const auto& call : *batch) check_call(call);
  } else {
    check_call(value);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto fields = kb::fuzz::split_lines(kb::fuzz::as_text(data, size), 3);
  GatewayHttpRequest request{std::string(fields[0]), std::string(fields[1]), std::string(fields[2]),
                             std::string(fields[3]), "10.0.0.1:40000"};

  kb::fuzz::OneNetwork directory(
      {{0, "10.244.0.10", 18443, true}, {1, "10.244.0.11", 18443, true}, {2, "", 18443, false}});
  Forwarder forwarder;
  GatewayPolicy policy{64 * 1024, MethodPolicy({"getblock*", "uptime"}, {"getblockstats"}), {}};
  GatewayHandler handler(directory, forwarder, policy);
  GatewayCallRecord record;
  GatewayHttpAnswer answer = handler.handle(request, record);

  if (forwarder.forwarded) {
    if (!answer.forwarded || *forwarder.forwarded != request.body) kb::fuzz::finding("forwarded something else");
    check_forwarded(*forwarder.forwarded, handler.policy().methods);
  } else {
    if (answer.forwarded) kb::fuzz::finding("an answer marked forwarded that the node never gave");
    auto error = decode_gateway_error(answer.body);
    if (!error) kb::fuzz::finding("a refusal that is not a gateway error body: " + answer.body);
    if (http_status_of(error->reason) != answer.status) kb::fuzz::finding("a refusal with the wrong status");
    if (error->reason == GatewayErrorReason::internal_error) kb::fuzz::finding("internal error: " + error->message);
  }
  std::string input(kb::fuzz::as_text(data, size));
  if (input.find(kb::fuzz::kNetworkCredentials.password) == std::string::npos &&
      answer.body.find(kb::fuzz::kNetworkCredentials.password) != std::string::npos) {
    kb::fuzz::finding("the answer holds the network's password");
  }

  if (auto node = parse_gateway_node_path(request.target)) {
    std::string path = gateway_node_path(*node);
    auto again = parse_gateway_node_path(path);
    if (!again || !(*again == *node)) kb::fuzz::finding("node path does not round-trip: " + path);
  }
  if (percent_decode(percent_encode(request.target)) != request.target) {
    kb::fuzz::finding("percent-encoding does not round-trip");
  }
  return 0;
}
