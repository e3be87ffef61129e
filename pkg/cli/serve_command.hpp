#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `kubectl bitcoin serve`: the controller, as it runs in its pod.
void add_serve_command(CLI::App& root, Context& context);
}  // namespace kb::cli
