#pragma once
// RFC 3339 timestamps in UTC as Kubernetes writes them: metav1.Time ("2024-01-02T03:04:05Z") and
// metav1.MicroTime ("2024-01-02T03:04:05.000000Z"), and with milliseconds for log records
// ("2024-01-02T03:04:05.000Z"). In base, not kube, so that the logger shares them.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace kb::base {
std::string format_time(std::chrono::system_clock::time_point t);
std::string format_micro_time(std::chrono::system_clock::time_point t);
std::string format_milli_time(std::chrono::system_clock::time_point t);
// Accepts fractional seconds and "Z" or "+hh:mm" offsets; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_time(std::string_view text);
}  // namespace kb::base
