#pragma once
// Standard base64 (RFC 4648, with padding), as Kubernetes uses it for Secret data and
// kubeconfig *-data fields.
#include <optional>
#include <string>
#include <string_view>

namespace kb::base {
std::string base64_encode(std::string_view bytes);
// nullopt when the input is not valid base64 (whitespace and newlines are ignored).
std::optional<std::string> base64_decode(std::string_view text);
}  // namespace kb::base
