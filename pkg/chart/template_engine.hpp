#pragma once
// A set of named templates sharing {{define}}s, executed with Go text/template semantics and Helm's
// options: missing map keys yield nil (missingkey=zero) and "<no value>" is removed from output.
#include "pkg/chart/function_registry.hpp"
#include "pkg/chart/template_ast.hpp"
#include "pkg/chart/template_error.hpp"
#include "pkg/chart/value.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>

namespace kb::chart {

struct EngineOptions {
  // Random source for randAlphaNum, uuidv4...: returns a uniform value in [0, bound). Defaults to a
  // std::random_device-seeded generator owned by the engine.
  std::function<std::uint64_t(std::uint64_t bound)> random;
  // Clock for `now`; defaults to the system clock.
  std::function<std::chrono::system_clock::time_point()> clock;
  // Helm's include recursion limit.
  int max_include_depth = 1000;
  // Bounds of one render, so that no template can take unbounded memory or time (Go's engine has
  // none; a chart needs a tiny fraction of either). Exceeding one is a TemplateError naming it.
  // The bytes any one template (or function result) may produce, and what functions that generate
  // lists or strings from a count (until, repeat, indent, randAlphaNum...) may generate.
  std::size_t max_output_bytes = std::size_t{64} << 20;
  // Actions, loop iterations and function calls of the whole render.
  std::uint64_t max_steps = 100'000'000;
};

class Engine {
 public:
  explicit Engine(EngineOptions options = {});
  Engine(EngineOptions options, FunctionRegistry functions);

  // Parses `text` as the template `name`; its {{define}}s join the set, replacing earlier ones of
  // the same name unless they are empty. Throws TemplateError.
  void add_template(const std::string& name, std::string text);
  bool has_template(const std::string& name) const { return trees_.count(name) != 0; }

  // Executes the template `name` with `data` as dot (and $). Throws TemplateError.
  std::string render(const std::string& name, const Value& data);

  FunctionRegistry& functions() { return functions_; }
  const FunctionRegistry& functions() const { return functions_; }

 private:
  friend class Executor;
  EngineOptions options_;
  FunctionRegistry functions_;
  std::map<std::string, std::shared_ptr<const Tree>, std::less<>> trees_;
  std::function<std::uint64_t(std::uint64_t)> default_random_;
  std::uint64_t steps_ = 0;  // of the render under way
};

}  // namespace kb::chart
