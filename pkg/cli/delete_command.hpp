#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `kubectl bitcoin delete NETWORK [--wait]`: deletes the network; Kubernetes' garbage collector
// removes what the controller created for it (owner references). --wait returns once the
// network and its pods are gone.
void add_delete_command(CLI::App& root, Context& context);
}  // namespace kb::cli
