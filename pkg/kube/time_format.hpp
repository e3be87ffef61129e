#pragma once
// RFC 3339 timestamps as Kubernetes writes them: metav1.Time ("2024-01-02T03:04:05Z") and
// metav1.MicroTime ("2024-01-02T03:04:05.000000Z").
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kb::kube {
std::string format_time(std::chrono::system_clock::time_point t);
std::string format_micro_time(std::chrono::system_clock::time_point t);
// Accepts fractional seconds and "Z" or "+hh:mm" offsets; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view text);
}  // namespace kb::kube
