#include "pkg/bitcoin/rpc_protocol.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace kb::bitcoin {
namespace json = boost::json;

namespace {
json::object request_object(const RpcRequest& request, std::uint64_t id) {
  return json::object{{"jsonrpc", "1.0"}, {"id", id}, {"method", request.method}, {"params", request.params}};
}

std::optional<json::value> parse_json(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return std::nullopt;
  return value;
}
}  // namespace

std::string encode_request(const RpcRequest& request, std::uint64_t id) {
  return json::serialize(request_object(request, id));
}

std::string encode_batch(const std::vector<RpcRequest>& requests, std::uint64_t first_id) {
  json::array batch;
  batch.reserve(requests.size());
  for (std::size_t i = 0; i < requests.size(); ++i) batch.emplace_back(request_object(requests[i], first_id + i));
  return json::serialize(batch);
}

std::string body_excerpt(std::string_view body, std::size_t limit) {
  // The body comes from the node: no control characters (terminal escapes) reach messages and
  // logs, and the cut does not split a UTF-8 character.
  std::size_t cut = std::min(limit, body.size());
  for (int back = 0; back < 3 && cut > 0 && cut < body.size() && (static_cast<unsigned char>(body[cut]) & 0xC0) == 0x80;
       ++back)
    --cut;
  std::string out;
  for (char c : body.substr(0, cut)) {
    auto byte = static_cast<unsigned char>(c);
    out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : (byte < 0x20 || byte == 0x7f) ? '?' : c;
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  if (body.size() > limit) out += "...";
  return out;
}

std::optional<RpcError> rpc_error_in(const json::object& reply, std::string_view method) {
  const json::value* error = reply.if_contains("error");
  if (error == nullptr || error->is_null()) return std::nullopt;
  int code = rpc_code::kMiscError;
  std::string message;
  if (const auto* object = error->if_object()) {
    if (const auto* c = object->if_contains("code"); c && c->is_int64()) code = int(c->get_int64());
    if (const auto* m = object->if_contains("message"); m && m->is_string()) message = std::string(m->get_string());
  } else if (error->is_string()) {
    message = std::string(error->get_string());  // some forks answer {"error":"text"}
  } else {
    message = json::serialize(*error);
  }
  return RpcError(code, std::move(message), std::string(method));
}

json::value decode_reply(const HttpReply& reply, std::string_view method, std::string_view endpoint) {
  auto parsed = reply.body.empty() ? std::nullopt : parse_json(reply.body);
  const json::object* object = parsed ? parsed->if_object() : nullptr;
  if (object != nullptr) {
    if (auto error = rpc_error_in(*object, method)) throw *error;
  }
  if (reply.status != 200) {
    throw RpcHttpError(reply.status, std::string(endpoint), std::string(method), body_excerpt(reply.body));
  }
  if (object == nullptr) {
    throw RpcTransportError(RpcTransportError::Kind::malformed_response, std::string(endpoint), std::string(method),
                            parsed ? "the body is JSON but not a JSON-RPC reply object"
                                   : "the body is not JSON: " + body_excerpt(reply.body, 80));
  }
  const json::value* result = object->if_contains("result");
  return result ? *result : json::value(nullptr);
}

const json::value& BatchItem::value() const {
  if (error) throw *error;
  return result;
}

std::vector<BatchItem> decode_batch_reply(const HttpReply& reply, const std::vector<RpcRequest>& requests,
                                          std::uint64_t first_id, std::string_view endpoint) {
  const std::string batch_name = "batch of " + std::to_string(requests.size());
  auto parsed = reply.body.empty() ? std::nullopt : parse_json(reply.body);
  if (parsed && parsed->is_object()) {
    // A whole-batch failure (e.g. a parse error) comes back as one error object.
    if (auto error = rpc_error_in(parsed->get_object(), batch_name)) throw *error;
  }
  if (reply.status != 200)
    throw RpcHttpError(reply.status, std::string(endpoint), batch_name, body_excerpt(reply.body));
  if (!parsed || !parsed->is_array()) {
    throw RpcTransportError(RpcTransportError::Kind::malformed_response, std::string(endpoint), batch_name,
                            "a batch answer must be a JSON array: " + body_excerpt(reply.body, 80));
  }
  std::vector<std::optional<BatchItem>> items(requests.size());
  for (const json::value& element : parsed->get_array()) {
    const json::object* object = element.if_object();
    const json::value* id = object ? object->if_contains("id") : nullptr;
    if (id == nullptr || !(id->is_int64() || id->is_uint64())) continue;
    auto index = id->is_uint64() ? id->get_uint64() - first_id : std::uint64_t(id->get_int64()) - first_id;
    if (index >= requests.size()) continue;
    BatchItem item;
    item.error = rpc_error_in(*object, requests[index].method);
    if (const json::value* result = object->if_contains("result")) item.result = *result;
    items[index] = std::move(item);
  }
  std::vector<BatchItem> out;
  out.reserve(items.size());
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (!items[i]) {
      throw RpcTransportError(RpcTransportError::Kind::malformed_response, std::string(endpoint), batch_name,
                              "no answer for request " + std::to_string(i) + " (" + requests[i].method + ")");
    }
    out.push_back(std::move(*items[i]));
  }
  return out;
}

}  // namespace kb::bitcoin
