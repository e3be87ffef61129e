#include "pkg/observe/logger.hpp"

#include "pkg/base/time_format.hpp"

#include <boost/json.hpp>

#include <cctype>
#include <chrono>
#include <stdexcept>

namespace kb::observe {

LogLevel parse_log_level(std::string_view text) {
  if (text == "debug") return LogLevel::debug;
  if (text == "info") return LogLevel::info;
  if (text == "warn" || text == "warning") return LogLevel::warn;
  if (text == "error") return LogLevel::error;
  throw std::invalid_argument("log level must be one of debug, info, warn, error (got \"" + std::string(text) + "\")");
}

LogFormat parse_log_format(std::string_view text) {
  if (text == "text") return LogFormat::text;
  if (text == "json") return LogFormat::json;
  throw std::invalid_argument("log format must be text or json (got \"" + std::string(text) + "\")");
}

namespace {

std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::debug:
      return "debug";
    case LogLevel::info:
      return "info";
    case LogLevel::warn:
      return "warn";
    case LogLevel::error:
      return "error";
  }
  return "info";
}

bool looks_secret(std::string_view key) {
  std::string lower(key);
  for (auto& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (std::string_view word : {"password", "token", "secret", "authorization", "credential", "rpcauth"}) {
    if (lower.find(word) != std::string::npos) return true;
  }
  return false;
}

bool needs_quotes(std::string_view value) {
  if (value.empty()) return true;
  for (char c : value) {
    if (c == ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

}  // namespace

std::string format_log_record(LogFormat format, std::string_view timestamp, LogLevel level, std::string_view message,
                              std::initializer_list<LogField> fields) {
  if (format == LogFormat::json) {
    boost::json::object record{{"ts", timestamp}, {"level", level_name(level)}, {"msg", message}};
    for (const auto& [key, value] : fields) {
      record[key] = looks_secret(key) ? std::string("<redacted>") : value;
    }
    return boost::json::serialize(record);
  }
  std::string line = std::string(timestamp) + " " + std::string(level_name(level)) + " " + std::string(message);
  for (const auto& [key, value] : fields) {
    std::string shown = looks_secret(key) ? std::string("<redacted>") : value;
    line += " " + std::string(key) + "=";
    line += needs_quotes(shown) ? boost::json::serialize(boost::json::string(shown)) : shown;
  }
  return line;
}

Logger::Logger(std::ostream& out, LogLevel level, LogFormat format) : out_(out), level_(level), format_(format) {}

void Logger::log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  auto line =
      format_log_record(format_, base::format_milli_time(std::chrono::system_clock::now()), level, message, fields);
  std::lock_guard lock(mutex_);
  out_ << line << '\n' << std::flush;
}

}  // namespace kb::observe
