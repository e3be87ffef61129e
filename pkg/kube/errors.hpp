#pragma once
// Errors of the Kubernetes client, as types that keep what the other side said.
//
//   KubeError                 base of everything thrown by pkg/kube
//   ├── ApiError              the API server answered with an error (metav1.Status): code, reason, causes
//   ├── TransportError        no usable answer: resolve/connect/TLS/timeout/protocol, naming the server
//   └── ConfigError           kubeconfig / in-cluster configuration is unusable, naming file and field
//
// Predicates mirror client-go's apierrors: is_not_found(e), is_conflict(e), is_gone(e), ...
// They accept any std::exception and are false for anything that is not an ApiError.
// No message produced here contains a token, key or password.
#include <boost/json/value.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace kb::kube {

class KubeError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One entry of Status.details.causes, e.g. {reason: FieldValueInvalid, field: spec.replicas, message: ...}.
struct StatusCause {
  std::string reason;
  std::string message;
  std::string field;
};

class ApiError : public KubeError {
 public:
  // `status` is the server's metav1.Status when it sent one, else null.
  ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes,
           boost::json::value status, std::string method, std::string path,
           std::optional<std::chrono::seconds> retry_after = std::nullopt);

  int code() const { return code_; }                              // HTTP status code
  const std::string& reason() const { return reason_; }           // metav1.StatusReason, e.g. "NotFound"
  const std::string& server_message() const { return message_; }  // Status.message as sent
  const std::vector<StatusCause>& causes() const { return causes_; }
  const boost::json::value& status() const { return status_; }  // the whole Status, or null
  const std::string& method() const { return method_; }
  const std::string& path() const { return path_; }  // request path without query
  std::optional<std::chrono::seconds> retry_after() const { return retry_after_; }

 private:
  int code_;
  std::string reason_;
  std::string message_;
  std::vector<StatusCause> causes_;
  boost::json::value status_;
  std::string method_;
  std::string path_;
  std::optional<std::chrono::seconds> retry_after_;
};

class TransportError : public KubeError {
 public:
  enum class Kind { Resolve, Connect, Tls, TlsVerify, Timeout, Protocol, Closed, Cancelled };
  TransportError(Kind kind, std::string server, std::string detail);
  Kind kind() const { return kind_; }
  const std::string& server() const { return server_; }  // scheme://host:port
  const std::string& detail() const { return detail_; }

 private:
  Kind kind_;
  std::string server_;
  std::string detail_;
};

// A write refused before it was sent: the client's WriteFence was closed (this replica is not, or
// no longer, the leader).
class FenceClosedError : public KubeError {
 public:
  using KubeError::KubeError;
};

class ConfigError : public KubeError {
 public:
  // `source` names the file (or "in-cluster", "options"); `field` the path inside it (may be empty).
  ConfigError(std::string source, std::string field, std::string problem);
  const std::string& source() const { return source_; }
  const std::string& field() const { return field_; }
  const std::string& problem() const { return problem_; }

 private:
  std::string source_;
  std::string field_;
  std::string problem_;
};

// Builds an ApiError from an HTTP error response. Uses the body when it is a metav1.Status,
// else derives the reason from the code (like client-go's NewGenericServerResponse).
ApiError decode_api_error(int http_status, std::string_view body, std::string_view method, std::string_view path,
                          std::optional<std::chrono::seconds> retry_after = std::nullopt);

// An ApiError from a metav1.Status object (e.g. the object of a watch ERROR event).
ApiError api_error_from_status(const boost::json::value& status, std::string_view method, std::string_view path);

// The reason Kubernetes uses for an HTTP status code when the server sent no Status ("" when none).
std::string_view reason_for_code(int http_status);

bool is_not_found(const std::exception& e);
bool is_already_exists(const std::exception& e);
bool is_conflict(const std::exception& e);  // 409 that is not AlreadyExists (e.g. stale resourceVersion)
bool is_forbidden(const std::exception& e);
bool is_unauthorized(const std::exception& e);
bool is_invalid(const std::exception& e);
bool is_bad_request(const std::exception& e);
bool is_gone(const std::exception& e);  // 410 Gone or reason Expired: relist
bool is_resource_expired(const std::exception& e);
bool is_too_many_requests(const std::exception& e);
bool is_server_timeout(const std::exception& e);
bool is_timeout(const std::exception& e);  // 504 / reason Timeout
bool is_service_unavailable(const std::exception& e);
bool is_internal_error(const std::exception& e);
bool is_method_not_supported(const std::exception& e);
bool is_transport_error(const std::exception& e);

}  // namespace kb::kube
