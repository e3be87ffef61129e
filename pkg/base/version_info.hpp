#pragma once
// What `kubectl bitcoin version` prints; stamped at build time by hack/cmake/write_version.cmake.
#include <string_view>

namespace kb::version {
std::string_view project();     // e.g. "0.1.0"
std::string_view git_commit();  // short hash, "-dirty" when built from a modified tree, or "unknown"
std::string_view build_date();  // RFC 3339, UTC
}  // namespace kb::version
