#pragma once
// ASCII-only text helpers for protocol tokens (HTTP header names, auth schemes, RPC method
// names), where locale-dependent case rules must not apply.
#include <string>
#include <string_view>

namespace kb::base {

inline std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (auto& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace kb::base
