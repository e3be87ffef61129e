#include "pkg/bitcoin/gateway_protocol.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <algorithm>
#include <array>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <charconv>
#include <stdexcept>

#include "pkg/base/ascii.hpp"
#include "pkg/base/base64.hpp"
#include "pkg/bitcoin/strict_json.hpp"

namespace kb::bitcoin {
namespace json = boost::json;

namespace {

// DNS-1123 subdomain: what Kubernetes accepts for namespace and object names.
bool is_dns1123_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  auto alnum = [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); };
  if (!alnum(name.front()) || !alnum(name.back())) return false;
  return std::all_of(name.begin(), name.end(), [&](char c) { return alnum(c) || c == '-' || c == '.'; });
}

std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

struct ReasonInfo {
  GatewayErrorReason reason;
  std::string_view name;
  int status;
};

constexpr std::array<ReasonInfo, 21> kReasons{{
    {GatewayErrorReason::route_not_found, "RouteNotFound", 404},
    {GatewayErrorReason::method_not_allowed, "MethodNotAllowed", 405},
    {GatewayErrorReason::request_too_large, "RequestTooLarge", 413},
    {GatewayErrorReason::bad_request, "BadRequest", 400},
    {GatewayErrorReason::network_not_found, "NetworkNotFound", 404},
    {GatewayErrorReason::credentials_missing, "CredentialsMissing", 403},
    {GatewayErrorReason::credentials_rejected, "CredentialsRejected", 403},
    {GatewayErrorReason::node_not_found, "NodeNotFound", 404},
    {GatewayErrorReason::node_not_ready, "NodeNotReady", 503},
    {GatewayErrorReason::method_denied, "MethodDenied", 403},
    {GatewayErrorReason::node_unreachable, "NodeUnreachable", 502},
    {GatewayErrorReason::node_timeout, "NodeTimeout", 504},
    {GatewayErrorReason::node_bad_answer, "NodeBadAnswer", 502},
    {GatewayErrorReason::node_rejected_credentials, "NodeRejectedCredentials", 502},
    {GatewayErrorReason::node_forbidden, "NodeForbidden", 502},
    {GatewayErrorReason::node_busy, "NodeBusy", 503},
    {GatewayErrorReason::too_many_calls, "TooManyCalls", 429},
    {GatewayErrorReason::credentials_throttled, "CredentialsThrottled", 429},
    {GatewayErrorReason::lookup_failed, "LookupFailed", 503},
    {GatewayErrorReason::deadline_exceeded, "DeadlineExceeded", 504},
    {GatewayErrorReason::internal_error, "InternalError", 500},
}};

const ReasonInfo& info_of(GatewayErrorReason reason) {
  for (const auto& info : kReasons) {
    if (info.reason == reason) return info;
  }
  return kReasons[3];
}

using Digest = std::array<unsigned char, 32>;
Digest sha256(std::string_view bytes) {
  Digest digest{};
  unsigned int length = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest.data(), &length, EVP_sha256(), nullptr);
  return digest;
}
}  // namespace

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += char(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<std::string> percent_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    if (i + 2 >= text.size()) return std::nullopt;
    int h = hex(text[i + 1]);
    int l = hex(text[i + 2]);
    if (h < 0 || l < 0) return std::nullopt;
    out += char(h * 16 + l);
    i += 2;
  }
  return out;
}

std::string gateway_node_path(const NodeRef& node) {
  std::string path =
      "/v1/namespaces/" + node.namespace_name + "/networks/" + node.network + "/nodes/" + std::to_string(node.ordinal);
  if (node.wallet) path += "/wallets/" + percent_encode(*node.wallet);
  return path;
}

std::string node_rpc_path(const NodeRef& node) {
  return node.wallet ? "/wallet/" + percent_encode(*node.wallet) : std::string("/");
}

std::optional<NodeRef> parse_gateway_node_path(std::string_view target) {
  target = target.substr(0, target.find('?'));
  auto parts = split_path(target);
  // "", "v1", "namespaces", ns, "networks", name, "nodes", ordinal [, "wallets", wallet]
  // A trailing slash is tolerated after the ordinal; after "wallets/" it is the empty wallet name.
  if (parts.size() == 9 && parts[8].empty()) parts.pop_back();
  if ((parts.size() != 8 && parts.size() != 10) || !parts[0].empty() || parts[1] != "v1" || parts[2] != "namespaces" ||
      parts[4] != "networks" || parts[6] != "nodes") {
    return std::nullopt;
  }
  if (!is_dns1123_name(parts[3]) || !is_dns1123_name(parts[5])) return std::nullopt;
  std::string_view digits = parts[7];
  if (digits.empty() || digits.size() > 6 ||
      !std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  int ordinal = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), ordinal);
  NodeRef node{std::string(parts[3]), std::string(parts[5]), ordinal, std::nullopt};
  if (parts.size() == 10) {
    if (parts[8] != "wallets") return std::nullopt;
    node.wallet = percent_decode(parts[9]);
    if (!node.wallet) return std::nullopt;
  }
  return node;
}

std::string_view to_string(GatewayErrorReason reason) { return info_of(reason).name; }

std::optional<GatewayErrorReason> parse_gateway_error_reason(std::string_view text) {
  for (const auto& info : kReasons) {
    if (info.name == text) return info.reason;
  }
  return std::nullopt;
}

int http_status_of(GatewayErrorReason reason) { return info_of(reason).status; }

std::string encode_gateway_error(const GatewayErrorBody& error) {
  json::object detail{{"reason", to_string(error.reason)}, {"message", error.message}};
  if (error.reason == GatewayErrorReason::node_not_found) {
    json::array ordinals;
    for (int ordinal : error.existing_ordinals) ordinals.push_back(ordinal);
    detail["existingOrdinals"] = std::move(ordinals);
  }
  if (!error.method.empty()) detail["method"] = error.method;
  if (error.retry_after_seconds) detail["retryAfterSeconds"] = *error.retry_after_seconds;
  json::object body{{"gatewayError", std::move(detail)}};
  if (error.json_rpc_code) {
    body["result"] = nullptr;
    body["error"] = json::object{{"code", *error.json_rpc_code}, {"message", error.message}};
    body["id"] = error.json_rpc_id;
  }
  return json::serialize(body);
}

std::optional<GatewayErrorBody> decode_gateway_error(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const json::value* detail = value.get_object().if_contains("gatewayError");
  if (detail == nullptr || !detail->is_object()) return std::nullopt;
  const json::object& object = detail->get_object();
  GatewayErrorBody error;
  const json::value* reason = object.if_contains("reason");
  auto parsed = reason && reason->is_string() ? parse_gateway_error_reason(reason->get_string()) : std::nullopt;
  error.reason = parsed.value_or(GatewayErrorReason::bad_request);
  if (const auto* message = object.if_contains("message"); message && message->is_string()) {
    error.message = std::string(message->get_string());
  }
  if (const auto* method = object.if_contains("method"); method && method->is_string()) {
    error.method = std::string(method->get_string());
  }
  if (const auto* retry = object.if_contains("retryAfterSeconds"); retry && retry->is_int64()) {
    error.retry_after_seconds = int(retry->get_int64());
  }
  if (const auto* ordinals = object.if_contains("existingOrdinals"); ordinals && ordinals->is_array()) {
    for (const auto& ordinal : ordinals->get_array()) {
      if (ordinal.is_int64()) error.existing_ordinals.push_back(int(ordinal.get_int64()));
    }
  }
  return error;
}

InspectedRequest inspect_request(std::string_view body) {
  json::value value;
  try {
    value = parse_json_without_duplicate_keys(body);
  } catch (const DuplicateKeyError& error) {
    throw BadRpcBody(-32600, error.what());
  } catch (const std::invalid_argument& error) {
    throw BadRpcBody(-32700, error.what());
  }
  auto call_of = [](const json::value& request) {
    const json::object* object = request.if_object();
    const json::value* method = object ? object->if_contains("method") : nullptr;
    if (method == nullptr || !method->is_string() || method->get_string().empty()) {
      throw BadRpcBody(-32600, "a JSON-RPC request needs a string \"method\"");
    }
    RpcCallView call{std::string(method->get_string()), nullptr, nullptr};
    if (const auto* params = object->if_contains("params")) call.params = *params;
    if (const auto* id = object->if_contains("id")) call.id = *id;
    return call;
  };
  InspectedRequest request;
  if (const auto* batch = value.if_array()) {
    if (batch->empty()) throw BadRpcBody(-32600, "an empty batch");
    request.batch = true;
    for (const auto& element : *batch) request.calls.push_back(call_of(element));
  } else {
    request.calls.push_back(call_of(value));
  }
  return request;
}

bool caller_credentials_match(std::string_view header_value, const UserPassword& expected) {
  constexpr std::string_view scheme = "basic ";
  if (header_value.size() <= scheme.size() || base::ascii_lower(header_value.substr(0, scheme.size())) != scheme)
    return false;
  auto presented = base::base64_decode(header_value.substr(scheme.size()));
  if (!presented) return false;
  Digest got = sha256(*presented);
  Digest want = sha256(expected.user + ":" + expected.password);
  return CRYPTO_memcmp(got.data(), want.data(), got.size()) == 0;
}

}  // namespace kb::bitcoin
