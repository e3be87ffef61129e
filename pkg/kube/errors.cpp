#include "pkg/kube/errors.hpp"

#include "pkg/base/json_path.hpp"

#include <boost/json/parse.hpp>

namespace kb::kube {
namespace json = boost::json;

namespace {

std::string api_error_text(int code, const std::string& reason, const std::string& message, const std::string& method,
                           const std::string& path) {
  std::string text = message.empty() ? "the server returned an error" : message;
  text += " (";
  if (!reason.empty()) text += reason + ", ";
  text += "HTTP " + std::to_string(code) + " on " + method + " " + path + ")";
  return text;
}

std::string transport_text(TransportError::Kind kind, const std::string& server, const std::string& detail) {
  switch (kind) {
    case TransportError::Kind::Resolve:
      return "cannot resolve the API server " + server + ": " + detail;
    case TransportError::Kind::Connect:
      return "cannot connect to the API server " + server + ": " + detail;
    case TransportError::Kind::Tls:
      return "TLS handshake with the API server " + server + " failed: " + detail;
    case TransportError::Kind::TlsVerify:
      return "TLS certificate verification of the API server " + server + " failed: " + detail +
             " (pass --certificate-authority, or set certificate-authority/certificate-authority-data for this "
             "cluster in the kubeconfig)";
    case TransportError::Kind::Timeout:
      return "the API server " + server + " did not answer in time: " + detail;
    case TransportError::Kind::Protocol:
      return "unexpected answer from the API server " + server + ": " + detail;
    case TransportError::Kind::Closed:
      return "the API server " + server + " closed the connection: " + detail;
    case TransportError::Kind::Cancelled:
      return "request to the API server " + server + " was cancelled";
  }
  return detail;
}

const ApiError* as_api(const std::exception& e) { return dynamic_cast<const ApiError*>(&e); }

bool has_reason_or_code(const std::exception& e, std::string_view reason, int code) {
  auto* api = as_api(e);
  if (!api) return false;
  if (api->reason() == reason) return true;
  // Only fall back to the code when the server gave no reason at all.
  return api->reason().empty() && api->code() == code;
}

}  // namespace

ApiError::ApiError(int code, std::string reason, std::string message, std::vector<StatusCause> causes,
                   json::value status, std::string method, std::string path,
                   std::optional<std::chrono::seconds> retry_after)
    : KubeError(api_error_text(code, reason, message, method, path)),
      code_(code),
      reason_(std::move(reason)),
      message_(std::move(message)),
      causes_(std::move(causes)),
      status_(std::move(status)),
      method_(std::move(method)),
      path_(std::move(path)),
      retry_after_(retry_after) {}

TransportError::TransportError(Kind kind, std::string server, std::string detail)
    : KubeError(transport_text(kind, server, detail)),
      kind_(kind),
      server_(std::move(server)),
      detail_(std::move(detail)) {}

ConfigError::ConfigError(std::string source, std::string field, std::string problem)
    : KubeError(source + (field.empty() ? "" : ": " + field) + ": " + problem),
      source_(std::move(source)),
      field_(std::move(field)),
      problem_(std::move(problem)) {}

std::string_view reason_for_code(int http_status) {
  switch (http_status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Gone";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return "";
  }
}

ApiError api_error_from_status(const json::value& status, std::string_view method, std::string_view path) {
  int code = 0;
  std::string reason, message;
  std::vector<StatusCause> causes;
  std::optional<std::chrono::seconds> retry_after;
  if (auto* o = status.if_object()) {
    code = static_cast<int>(base::int_at(*o, "code").value_or(0));
    reason = base::string_at(*o, "reason").value_or("");
    message = base::string_at(*o, "message").value_or("");
    if (auto seconds = base::int_at(*o, "details", "retryAfterSeconds"); seconds && *seconds > 0)
      retry_after = std::chrono::seconds(*seconds);
    if (auto* cs = base::json_at(*o, "details", "causes"); cs && cs->is_array()) {
      for (auto& cause : cs->as_array()) {
        if (!cause.is_object()) continue;
        causes.push_back({base::string_at(cause, "reason").value_or(""), base::string_at(cause, "message").value_or(""),
                          base::string_at(cause, "field").value_or("")});
      }
    }
  }
  return ApiError(code, std::move(reason), std::move(message), std::move(causes), status, std::string(method),
                  std::string(path), retry_after);
}

ApiError decode_api_error(int http_status, std::string_view body, std::string_view method, std::string_view path,
                          std::optional<std::chrono::seconds> retry_after) {
  json::error_code ec;
  json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object() && base::string_at(parsed.as_object(), "kind").value_or("") == "Status") {
    ApiError from_status = api_error_from_status(parsed, method, path);
    int code = from_status.code() != 0 ? from_status.code() : http_status;
    std::string reason =
        from_status.reason().empty() ? std::string(reason_for_code(http_status)) : from_status.reason();
    return ApiError(code, std::move(reason), from_status.server_message(), from_status.causes(), std::move(parsed),
                    std::string(method), std::string(path), retry_after ? retry_after : from_status.retry_after());
  }
  // Not a Status (a proxy, a load balancer, or an aggregated API answered): keep a short excerpt.
  std::string excerpt(body.substr(0, 300));
  while (!excerpt.empty() && (excerpt.back() == '\n' || excerpt.back() == ' ')) excerpt.pop_back();
  if (body.size() > 300) excerpt += "...";
  if (excerpt.empty()) excerpt = "the server returned HTTP " + std::to_string(http_status);
  return ApiError(http_status, std::string(reason_for_code(http_status)), std::move(excerpt), {}, nullptr,
                  std::string(method), std::string(path), retry_after);
}

bool is_not_found(const std::exception& e) { return has_reason_or_code(e, "NotFound", 404); }
bool is_already_exists(const std::exception& e) {
  auto* api = as_api(e);
  return api && api->reason() == "AlreadyExists";
}
bool is_conflict(const std::exception& e) {
  auto* api = as_api(e);
  return api && (api->reason() == "Conflict" || (api->code() == 409 && api->reason() != "AlreadyExists"));
}
bool is_forbidden(const std::exception& e) { return has_reason_or_code(e, "Forbidden", 403); }
bool is_unauthorized(const std::exception& e) { return has_reason_or_code(e, "Unauthorized", 401); }
bool is_invalid(const std::exception& e) { return has_reason_or_code(e, "Invalid", 422); }
bool is_bad_request(const std::exception& e) { return has_reason_or_code(e, "BadRequest", 400); }
bool is_gone(const std::exception& e) {
  auto* api = as_api(e);
  return api && (api->code() == 410 || api->reason() == "Gone" || api->reason() == "Expired");
}
bool is_resource_expired(const std::exception& e) {
  auto* api = as_api(e);
  return api && api->reason() == "Expired";
}
bool is_too_many_requests(const std::exception& e) {
  auto* api = as_api(e);
  return api && (api->reason() == "TooManyRequests" || api->code() == 429);
}
bool is_server_timeout(const std::exception& e) {
  auto* api = as_api(e);
  return api && api->reason() == "ServerTimeout";
}
bool is_timeout(const std::exception& e) { return has_reason_or_code(e, "Timeout", 504); }
bool is_service_unavailable(const std::exception& e) { return has_reason_or_code(e, "ServiceUnavailable", 503); }
bool is_internal_error(const std::exception& e) { return has_reason_or_code(e, "InternalError", 500); }
bool is_method_not_supported(const std::exception& e) { return has_reason_or_code(e, "MethodNotAllowed", 405); }
bool is_transport_error(const std::exception& e) { return dynamic_cast<const TransportError*>(&e) != nullptr; }

}  // namespace kb::kube
