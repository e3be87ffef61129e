#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `kubectl bitcoin scale NETWORK --nodes N`: changes spec.nodes through the scale subresource.
void add_scale_command(CLI::App& root, Context& context);
}  // namespace kb::cli
