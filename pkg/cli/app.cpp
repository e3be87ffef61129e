#include "pkg/cli/app.hpp"

#include "pkg/cli/command.hpp"
#include "pkg/cli/rpc_command.hpp"
#include "pkg/cli/serve_command.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/cli/version_command.hpp"

#include <CLI/CLI.hpp>

#include <ostream>

namespace kb::cli {
namespace {

void add_global_flags(CLI::App& root, GlobalOptions& global) {
  root.add_option("--kubeconfig", global.kubeconfig, "Path to the kubeconfig file to use")->group("Global flags");
  root.add_option("--context", global.context, "The name of the kubeconfig context to use")->group("Global flags");
  root.add_option("--cluster", global.cluster, "The name of the kubeconfig cluster to use")->group("Global flags");
  root.add_option("--user", global.user, "The name of the kubeconfig user to use")->group("Global flags");
  root.add_option("-n,--namespace", global.namespace_name, "If present, the namespace scope for this request")
      ->group("Global flags");
  root.add_option("--request-timeout", global.request_timeout,
                  "How long to wait for a single server request (e.g. 1s, 2m); 0 means no limit")
      ->group("Global flags");
  root.add_option("-v,--v", global.verbosity, "Log level verbosity (0-9)")->group("Global flags");
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context context{.global = {}, .out = out, .err = err};
  CLI::App root{"kubectl bitcoin: run Bitcoin regtest networks on Kubernetes", "kubectl bitcoin"};
  root.fallthrough();  // global flags may come after the subcommand, as with kubectl
  root.require_subcommand(1);
  root.footer("Use \"kubectl bitcoin <command> --help\" for more information about a command.");
  add_global_flags(root, context.global);
  add_rpc_command(root, context);
  add_mine_command(root, context);
  add_serve_command(root, context);
  add_status_command(root, context);
  add_version_command(root, context);

  try {
    root.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    out << root.help();
    return kExitSuccess;
  } catch (const CLI::CallForAllHelp&) {
    out << root.help("", CLI::AppFormatMode::All);
    return kExitSuccess;
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return kExitSuccess;
    err << "error: " << e.what() << "\n";
    err << "Run \"kubectl bitcoin --help\" for usage.\n";
    return kExitUsage;
  } catch (const CommandError& e) {
    err << "error: " << e.what() << "\n";
    return e.exit_code();
  } catch (const std::exception& e) {
    err << "error: " << e.what() << "\n";
    return kExitFailure;
  }
  return context.exit_code;
}

}  // namespace kb::cli
