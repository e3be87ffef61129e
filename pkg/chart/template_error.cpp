#include "pkg/chart/template_error.hpp"

namespace kb::chart {

TemplateError::TemplateError(std::string what, Phase phase, std::string template_name, int line, int column,
                             std::string executing, std::string expression, std::string message)
    : std::runtime_error(std::move(what)),
      phase_(phase),
      template_name_(std::move(template_name)),
      line_(line),
      column_(column),
      executing_(std::move(executing)),
      expression_(std::move(expression)),
      message_(std::move(message)) {}

TemplateError TemplateError::parse(std::string template_name, int line, int column, std::string message) {
  std::string what =
      "template: " + template_name + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
  return TemplateError(std::move(what), Phase::Parse, std::move(template_name), line, column, "", "",
                       std::move(message));
}

TemplateError TemplateError::execute(std::string template_name, int line, int column, std::string executing,
                                     std::string expression, std::string message) {
  std::string what = "template: " + template_name + ":" + std::to_string(line) + ":" + std::to_string(column) +
                     ": executing \"" + executing + "\" at <" + expression + ">: " + message;
  return TemplateError(std::move(what), Phase::Execute, std::move(template_name), line, column, std::move(executing),
                       std::move(expression), std::move(message));
}

std::string TemplateError::helm_message() const {
  std::string location = template_name_ + ":" + std::to_string(line_) + ":" + std::to_string(column_);
  // Go's parse errors carry no column, so Helm's message has none either.
  if (phase_ == Phase::Parse)
    return "parse error at (" + template_name_ + ":" + std::to_string(line_) + "): " + message_;
  if (!failure_.empty()) return "execution error at (" + location + "): " + failure_;
  return what();
}

}  // namespace kb::chart
