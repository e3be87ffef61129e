#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `kubectl bitcoin dashboard [NETWORK] [--address 127.0.0.1] [--port 0]`: a local page with the
// network's topology, tips, forks, partition, heights over time and Events.
void add_dashboard_command(CLI::App& root, Context& context);
}  // namespace kb::cli
