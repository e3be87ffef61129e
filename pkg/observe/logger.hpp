#pragma once
// Structured logging for the controller: one line per record, as JSON (for log pipelines) or as
// `key=value` text (for people). Thread-safe; owned by whoever wires the program and passed down.
// Values are escaped; callers never pass credentials (the field names that look like secrets are
// redacted anyway, as a second line of defence).
#include <initializer_list>
#include <mutex>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace kb::observe {

enum class LogLevel { debug = 0, info = 1, warn = 2, error = 3 };
enum class LogFormat { text, json };

LogLevel parse_log_level(std::string_view text);  // throws std::invalid_argument naming the value
LogFormat parse_log_format(std::string_view text);

using LogField = std::pair<std::string_view, std::string>;

class Logger {
 public:
  Logger(std::ostream& out, LogLevel level, LogFormat format);

  void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
  void debug(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::debug, m, f); }
  void info(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::info, m, f); }
  void warn(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::warn, m, f); }
  void error(std::string_view m, std::initializer_list<LogField> f = {}) { log(LogLevel::error, m, f); }
  bool enabled(LogLevel level) const { return level >= level_; }

 private:
  std::mutex mutex_;
  std::ostream& out_;
  LogLevel level_;
  LogFormat format_;
};

// Formats one record (exposed for tests). `timestamp` is RFC 3339 with milliseconds.
std::string format_log_record(LogFormat format, std::string_view timestamp, LogLevel level, std::string_view message,
                              std::initializer_list<LogField> fields);

}  // namespace kb::observe
