#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `kubectl bitcoin rpc NETWORK METHOD [PARAMS...] [--node N]` through the controller's RPC gateway.
void add_rpc_command(CLI::App& root, Context& context);
// `kubectl bitcoin mine NETWORK [BLOCKS] [--node N]`.
void add_mine_command(CLI::App& root, Context& context);
}  // namespace kb::cli
