#include "pkg/bitcoin/rpc_error.hpp"

namespace kb::bitcoin {

std::string_view rpc_code_name(int code) {
  switch (code) {
    case rpc_code::kMiscError:
      return "RPC_MISC_ERROR";
    case rpc_code::kTypeError:
      return "RPC_TYPE_ERROR";
    case rpc_code::kWalletError:
      return "RPC_WALLET_ERROR";
    case rpc_code::kInvalidAddressOrKey:
      return "RPC_INVALID_ADDRESS_OR_KEY";
    case rpc_code::kInvalidParameter:
      return "RPC_INVALID_PARAMETER";
    case rpc_code::kClientNotConnected:
      return "RPC_CLIENT_NOT_CONNECTED";
    case rpc_code::kClientInInitialDownload:
      return "RPC_CLIENT_IN_INITIAL_DOWNLOAD";
    case rpc_code::kWalletNotFound:
      return "RPC_WALLET_NOT_FOUND";
    case rpc_code::kNodeAlreadyAdded:
      return "RPC_CLIENT_NODE_ALREADY_ADDED";
    case rpc_code::kNodeNotAdded:
      return "RPC_CLIENT_NODE_NOT_ADDED";
    case rpc_code::kVerifyError:
      return "RPC_VERIFY_ERROR";
    case rpc_code::kInWarmup:
      return "RPC_IN_WARMUP";
    case rpc_code::kNodeNotConnected:
      return "RPC_CLIENT_NODE_NOT_CONNECTED";
    case rpc_code::kInvalidIpOrSubnet:
      return "RPC_CLIENT_INVALID_IP_OR_SUBNET";
    case rpc_code::kInvalidRequest:
      return "RPC_INVALID_REQUEST";
    case rpc_code::kMethodNotFound:
      return "RPC_METHOD_NOT_FOUND";
    case rpc_code::kInvalidParams:
      return "RPC_INVALID_PARAMS";
    case rpc_code::kInternalError:
      return "RPC_INTERNAL_ERROR";
    case rpc_code::kParseError:
      return "RPC_PARSE_ERROR";
    default:
      return {};
  }
}

namespace {
std::string describe_rpc_error(int code, const std::string& message, const std::string& method) {
  std::string text = method.empty() ? message : method + ": " + message;
  text += " (code " + std::to_string(code);
  if (auto name = rpc_code_name(code); !name.empty()) text += ", " + std::string(name);
  return text + ")";
}

std::string describe_http_error(int status, const std::string& endpoint, const std::string& excerpt) {
  std::string who = "bitcoind at " + endpoint;
  switch (status) {
    case 401:
      return who + " rejected the RPC credentials (HTTP 401): bad RPC credentials";
    case 403:
      return who + " refused the connection (HTTP 403): this address is not in its rpcallowip";
    case 404:
      return who + " has no JSON-RPC service at this path (HTTP 404)";
    default: {
      std::string text = who + " answered HTTP " + std::to_string(status);
      if (!excerpt.empty()) text += ": " + excerpt;
      return text;
    }
  }
}
}  // namespace

RpcError::RpcError(int code, std::string message, std::string method)
    : RpcFailure(describe_rpc_error(code, message, method)),
      code_(code),
      message_(std::move(message)),
      method_(std::move(method)) {}

RpcHttpError::RpcHttpError(int status, std::string endpoint, std::string method, std::string body_excerpt)
    : RpcFailure(describe_http_error(status, endpoint, body_excerpt)),
      status_(status),
      endpoint_(std::move(endpoint)),
      method_(std::move(method)),
      body_excerpt_(std::move(body_excerpt)) {}

std::string_view to_string(RpcTransportError::Kind kind) {
  using Kind = RpcTransportError::Kind;
  switch (kind) {
    case Kind::resolve_failed:
      return "cannot resolve the host";
    case Kind::connect_refused:
      return "connection refused";
    case Kind::connect_timeout:
      return "connect timed out";
    case Kind::call_timeout:
      return "call timed out";
    case Kind::connection_closed:
      return "connection closed before an answer";
    case Kind::truncated_response:
      return "answer cut short";
    case Kind::malformed_response:
      return "malformed answer";
    case Kind::response_too_large:
      return "answer too large";
    case Kind::io_error:
      return "I/O error";
  }
  return "transport error";
}

RpcTransportError::RpcTransportError(Kind kind, std::string endpoint, std::string method, std::string detail)
    : RpcFailure("bitcoind at " + endpoint + (method.empty() ? "" : " (" + method + ")") + ": " +
                 std::string(to_string(kind)) + (detail.empty() ? "" : ": " + detail)),
      kind_(kind),
      endpoint_(std::move(endpoint)),
      method_(std::move(method)) {}

}  // namespace kb::bitcoin
