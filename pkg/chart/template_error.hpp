#pragma once
// Errors from parsing or executing a template, located the way Go's text/template locates them.
#include <stdexcept>
#include <string>

namespace kb::chart {

class TemplateError : public std::runtime_error {
 public:
  enum class Phase { Parse, Execute };

  // A parse error: "template: NAME:LINE:COL: MESSAGE" (Go prints no column; we add it).
  static TemplateError parse(std::string template_name, int line, int column, std::string message);
  // An execution error: "template: NAME:LINE:COL: executing "EXECUTING" at <EXPRESSION>: MESSAGE",
  // where NAME is the file holding the failing node and EXECUTING the template (or define) running.
  static TemplateError execute(std::string template_name, int line, int column, std::string executing,
                               std::string expression, std::string message);

  Phase phase() const { return phase_; }
  const std::string& template_name() const { return template_name_; }
  int line() const { return line_; }      // 1-based
  int column() const { return column_; }  // 0-based byte offset in the line, as Go reports it
  const std::string& executing() const { return executing_; }
  const std::string& expression() const { return expression_; }
  const std::string& message() const { return message_; }
  // When the error comes from Helm's `required` or `fail` (possibly inside include), their text:
  // Helm then reports "execution error at (LOCATION): TEXT" instead of Go's message.
  const std::string& failure() const { return failure_; }
  void set_failure(std::string failure) { failure_ = std::move(failure); }
  // The message as `helm template` prints it.
  std::string helm_message() const;

 private:
  TemplateError(std::string what, Phase phase, std::string template_name, int line, int column, std::string executing,
                std::string expression, std::string message);
  Phase phase_;
  std::string template_name_;
  int line_;
  int column_;
  std::string executing_;
  std::string expression_;
  std::string message_;
  std::string failure_;
};

}  // namespace kb::chart
