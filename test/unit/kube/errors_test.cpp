#include "pkg/kube/errors.hpp"

#include <doctest/doctest.h>

using namespace kb::kube;

TEST_CASE("a metav1.Status becomes an ApiError with reason, message and causes") {
  std::string body = R"({"kind":"Status","apiVersion":"v1","status":"Failure",
    "message":"StatefulSet.apps \"n\" is invalid: spec.replicas: Invalid value: -1: must be >= 0",
    "reason":"Invalid","code":422,
    "details":{"name":"n","group":"apps","kind":"StatefulSet",
      "causes":[{"reason":"FieldValueInvalid","message":"Invalid value: -1: must be >= 0","field":"spec.replicas"}]}})";
  ApiError e = decode_api_error(422, body, "POST", "/apis/apps/v1/namespaces/x/statefulsets");
  CHECK(e.code() == 422);
  CHECK(e.reason() == "Invalid");
  REQUIRE(e.causes().size() == 1);
  CHECK(e.causes()[0].field == "spec.replicas");
  CHECK(e.causes()[0].reason == "FieldValueInvalid");
  CHECK(is_invalid(e));
  CHECK_FALSE(is_not_found(e));
  CHECK(std::string(e.what()).find("spec.replicas") != std::string::npos);
  CHECK(std::string(e.what()).find("HTTP 422 on POST") != std::string::npos);
  CHECK(e.status().is_object());
}

TEST_CASE("predicates follow client-go") {
  auto make = [](int code, const char* reason) {
    return decode_api_error(code,
                            std::string(R"({"kind":"Status","reason":")") + reason + R"(","code":)" +
                                std::to_string(code) + R"(,"message":"m"})",
                            "GET", "/x");
  };
  CHECK(is_not_found(make(404, "NotFound")));
  CHECK(is_already_exists(make(409, "AlreadyExists")));
  CHECK_FALSE(is_conflict(make(409, "AlreadyExists")));
  CHECK(is_conflict(make(409, "Conflict")));
  CHECK(is_forbidden(make(403, "Forbidden")));
  CHECK(is_unauthorized(make(401, "Unauthorized")));
  CHECK(is_gone(make(410, "Gone")));
  CHECK(is_gone(make(410, "Expired")));
  CHECK(is_resource_expired(make(410, "Expired")));
  CHECK(is_too_many_requests(make(429, "TooManyRequests")));
  CHECK(is_server_timeout(make(500, "ServerTimeout")));
  CHECK(is_timeout(make(504, "Timeout")));
  CHECK(is_service_unavailable(make(503, "ServiceUnavailable")));
  CHECK(is_internal_error(make(500, "InternalError")));
  CHECK(is_bad_request(make(400, "BadRequest")));
  CHECK(is_method_not_supported(make(405, "MethodNotAllowed")));
  std::runtime_error other("x");
  CHECK_FALSE(is_not_found(other));
  CHECK_FALSE(is_transport_error(other));
  CHECK(is_transport_error(TransportError(TransportError::Kind::Connect, "https://h:1", "refused")));
}

TEST_CASE("a body that is not a Status keeps the code and a short excerpt") {
  ApiError e = decode_api_error(404, "404 page not found\n", "GET", "/apis/nope/v1");
  CHECK(e.reason() == "NotFound");
  CHECK(is_not_found(e));
  CHECK(e.server_message() == "404 page not found");
  CHECK(e.status().is_null());
  ApiError big = decode_api_error(502, std::string(5000, 'x'), "GET", "/");
  CHECK(big.server_message().size() < 400);
}

TEST_CASE("a watch ERROR event's Status is decoded") {
  boost::json::value status = {
      {"kind", "Status"}, {"code", 410}, {"reason", "Expired"}, {"message", "too old resource version: 1 (5)"}};
  ApiError e = api_error_from_status(status, "WATCH", "/api/v1/pods");
  CHECK(e.code() == 410);
  CHECK(is_gone(e));
}

TEST_CASE("Retry-After from details.retryAfterSeconds") {
  ApiError e = decode_api_error(
      429, R"({"kind":"Status","reason":"TooManyRequests","code":429,"details":{"retryAfterSeconds":3}})", "GET", "/");
  REQUIRE(e.retry_after());
  CHECK(e.retry_after()->count() == 3);
}

TEST_CASE("transport and config errors say where and why") {
  TransportError tls(TransportError::Kind::TlsVerify, "https://10.0.0.1:6443",
                     "unable to get local issuer certificate");
  std::string text = tls.what();
  CHECK(text.find("https://10.0.0.1:6443") != std::string::npos);
  CHECK(text.find("certificate-authority") != std::string::npos);
  ConfigError config("/home/u/.kube/config", "users[a].user.token", "expected a string");
  CHECK(std::string(config.what()) == "/home/u/.kube/config: users[a].user.token: expected a string");
}
