#pragma once
// Durations as Kubernetes tools spell them (Go's time.ParseDuration): "30s", "1m30s", "500ms",
// "2h"; a bare "0" is zero. Used by every flag that takes a duration.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kb::base {
// nullopt when the text is not a duration (the caller names the flag in its message).
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds duration);  // "1m30s", "500ms", "0s"
}  // namespace kb::base
