#pragma once
// bitcoind's JSON-RPC dialect over HTTP, as pure functions: request bodies in, HTTP answers out.
// Kept apart from the socket code so every answer bitcoind can give is testable without one.
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pkg/bitcoin/rpc_error.hpp"

namespace kb::bitcoin {

struct RpcRequest {
  std::string method;
  boost::json::array params;
};

// One HTTP answer as read off the wire.
struct HttpReply {
  int status = 0;
  std::string body;
};

// {"jsonrpc":"1.0","id":<id>,"method":...,"params":[...]}. "1.0" because it is what every
// bitcoind accepts with the same semantics (Core 28+ changes status codes under "2.0").
std::string encode_request(const RpcRequest& request, std::uint64_t id);
// A JSON array of requests with ids first_id, first_id+1, ...
std::string encode_batch(const std::vector<RpcRequest>& requests, std::uint64_t first_id);

// The JSON-RPC error carried by one reply object, if its "error" member is set.
std::optional<RpcError> rpc_error_in(const boost::json::object& reply, std::string_view method);

// The result of a single call, or throws: RpcError when the body carries a JSON-RPC error
// (whatever the HTTP status: bitcoind uses 500 and 404 for those), RpcHttpError for any other
// non-200 answer (401 with an empty body is bad credentials), RpcTransportError(malformed_response)
// for a 200 whose body is not a JSON-RPC reply.
boost::json::value decode_reply(const HttpReply& reply, std::string_view method, std::string_view endpoint);

// One element of a batch answer, in the order of the requests.
struct BatchItem {
  boost::json::value result;
  std::optional<RpcError> error;
  bool ok() const { return !error.has_value(); }
  // The result, or throws the element's RpcError.
  const boost::json::value& value() const;
};

// Replies matched to requests by id (bitcoind may answer out of order); a request without a
// reply is an RpcTransportError(malformed_response).
std::vector<BatchItem> decode_batch_reply(const HttpReply& reply, const std::vector<RpcRequest>& requests,
                                          std::uint64_t first_id, std::string_view endpoint);

// The first bytes of a body, printable, for error messages.
std::string body_excerpt(std::string_view body, std::size_t limit = 200);

}  // namespace kb::bitcoin
