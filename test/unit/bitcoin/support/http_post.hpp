#pragma once
// A minimal blocking HTTP/1.1 client for tests (POSIX sockets, Content-Length bodies only):
// what a test uses to talk to the gateway the way the API server's proxy would.
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace kb::bitcoin::testing {

struct HttpAnswer {
  int status = 0;
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;
};

HttpAnswer http_request(std::uint16_t port, const std::string& verb, const std::string& target,
                        const std::vector<std::pair<std::string, std::string>>& headers, const std::string& body);

}  // namespace kb::bitcoin::testing
