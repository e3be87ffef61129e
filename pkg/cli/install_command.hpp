#pragma once
#include "pkg/cli/command.hpp"

namespace kb::cli {
// `install` (and its alias `upgrade`), `uninstall` and `template`: the embedded Helm chart,
// rendered by the plugin itself and applied with server-side apply; no Helm binary needed.
void add_install_commands(CLI::App& root, Context& context);
}  // namespace kb::cli
