#include "pkg/bitcoin/rpc_endpoint.hpp"

#include <fstream>
#include <sstream>

#include "pkg/base/base64.hpp"
#include "pkg/bitcoin/rpc_error.hpp"

namespace kb::bitcoin {

std::string describe(const std::string& host, std::uint16_t port) {
  bool ipv6_literal = host.find(':') != std::string::npos;
  return (ipv6_literal ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

std::string describe(const RpcEndpoint& endpoint) { return describe(endpoint.host, endpoint.port); }

std::string basic_authorization(const UserPassword& credentials) {
  return "Basic " + base::base64_encode(credentials.user + ":" + credentials.password);
}

namespace {
UserPassword read_cookie(const CookieFile& cookie) {
  std::ifstream in(cookie.path, std::ios::binary);
  if (!in) throw RpcCredentialsError("cannot read the RPC cookie file " + cookie.path);
  std::ostringstream content;
  content << in.rdbuf();
  std::string text = content.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto colon = text.find(':');
  if (colon == std::string::npos || colon == 0) {
    throw RpcCredentialsError("the RPC cookie file " + cookie.path + " is not of the form user:password");
  }
  return UserPassword{text.substr(0, colon), text.substr(colon + 1)};
}
}  // namespace

std::string basic_authorization(const RpcCredentials& credentials) {
  if (const auto* cookie = std::get_if<CookieFile>(&credentials)) return basic_authorization(read_cookie(*cookie));
  return basic_authorization(std::get<UserPassword>(credentials));
}

}  // namespace kb::bitcoin
