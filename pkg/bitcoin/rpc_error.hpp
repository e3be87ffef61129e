#pragma once
// What can go wrong when calling bitcoind, as types that keep what the node (or the network)
// said. Catch RpcFailure for "any RPC problem"; the subclasses tell the layers apart:
//   RpcError          the node answered with a JSON-RPC error (code + message)
//   RpcHttpError      the node answered at the HTTP level without a JSON-RPC error (401, 403, ...)
//   RpcTransportError no usable answer at all (refused, timed out, cut short, not JSON)
// No message ever contains credentials.
#include <stdexcept>
#include <string>
#include <string_view>

namespace kb::bitcoin {

// bitcoind's error codes (src/rpc/protocol.h) that callers branch on.
namespace rpc_code {
inline constexpr int kMiscError = -1;
inline constexpr int kTypeError = -3;
inline constexpr int kWalletError = -4;
inline constexpr int kInvalidAddressOrKey = -5;
inline constexpr int kInvalidParameter = -8;
inline constexpr int kClientNotConnected = -9;
inline constexpr int kClientInInitialDownload = -10;
inline constexpr int kWalletNotFound = -18;
inline constexpr int kNodeAlreadyAdded = -23;
inline constexpr int kNodeNotAdded = -24;
inline constexpr int kVerifyError = -25;
inline constexpr int kInWarmup = -28;
inline constexpr int kNodeNotConnected = -29;
inline constexpr int kInvalidIpOrSubnet = -30;
inline constexpr int kInvalidRequest = -32600;
inline constexpr int kMethodNotFound = -32601;
inline constexpr int kInvalidParams = -32602;
inline constexpr int kInternalError = -32603;
inline constexpr int kParseError = -32700;
}  // namespace rpc_code

// "RPC_IN_WARMUP" for -28 and so on (the names bitcoind's sources use); empty when unknown.
std::string_view rpc_code_name(int code);

class RpcFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class RpcError : public RpcFailure {
 public:
  RpcError(int code, std::string message, std::string method);
  int code() const { return code_; }
  // bitcoind's own words, e.g. "Error: Node already added".
  const std::string& message() const { return message_; }
  const std::string& method() const { return method_; }

 private:
  int code_;
  std::string message_;
  std::string method_;
};

class RpcHttpError : public RpcFailure {
 public:
  RpcHttpError(int status, std::string endpoint, std::string method, std::string body_excerpt);
  int status() const { return status_; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& method() const { return method_; }
  // The first bytes of a non-JSON body (bitcoind's 403/405 pages are one line of text).
  const std::string& body_excerpt() const { return body_excerpt_; }

 private:
  int status_;
  std::string endpoint_;
  std::string method_;
  std::string body_excerpt_;
};

class RpcTransportError : public RpcFailure {
 public:
  enum class Kind {
    resolve_failed,
    connect_refused,
    connect_timeout,
    call_timeout,
    connection_closed,   // closed before any byte of the answer
    truncated_response,  // closed in the middle of the answer
    malformed_response,  // an answer that is not HTTP, or a body that is not JSON-RPC
    response_too_large,
    io_error,
  };
  RpcTransportError(Kind kind, std::string endpoint, std::string method, std::string detail);
  Kind kind() const { return kind_; }
  const std::string& endpoint() const { return endpoint_; }
  const std::string& method() const { return method_; }

 private:
  Kind kind_;
  std::string endpoint_;
  std::string method_;
};

std::string_view to_string(RpcTransportError::Kind kind);

// The credentials themselves are unusable (e.g. the cookie file is missing).
class RpcCredentialsError : public RpcFailure {
 public:
  using RpcFailure::RpcFailure;
};

}  // namespace kb::bitcoin
