#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `kubectl bitcoin version [-o json|yaml]`: the project version, git commit and build date.
void add_version_command(CLI::App& root, Context& context);
}  // namespace kb::cli
