#include "pkg/cli/app.hpp"

#include "pkg/cli/command.hpp"
#include "pkg/cli/completion_command.hpp"
#include "pkg/cli/create_command.hpp"
#include "pkg/cli/dashboard_command.hpp"
#include "pkg/cli/delete_command.hpp"
#include "pkg/cli/install_command.hpp"
#include "pkg/cli/logs_command.hpp"
#include "pkg/cli/partition_command.hpp"
#include "pkg/cli/rpc_command.hpp"
#include "pkg/cli/scale_command.hpp"
#include "pkg/cli/serve_command.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/cli/version_command.hpp"

#include <CLI/CLI.hpp>

#include <array>
#include <string_view>

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

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
  root.add_option("-s,--server", global.server, "The address and port of the Kubernetes API server")
      ->group("Global flags");
  root.add_option("--token", global.token, "Bearer token for authentication to the API server")->group("Global flags");
  root.add_option("--certificate-authority", global.certificate_authority,
                  "Path to a cert file for the certificate authority")
      ->group("Global flags");
  root.add_flag("--insecure-skip-tls-verify", global.insecure_skip_tls_verify,
                "Do not check the server's certificate (insecure)")
      ->group("Global flags");
  root.add_option("--tls-server-name", global.tls_server_name, "Server name to use for certificate validation")
      ->group("Global flags");
}

// Edit distance, for "did you mean" suggestions.
std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diagonal = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      std::size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// When no command was recognised: the first word that is neither a flag nor a flag's value is
// what the user meant as one. Returns the message (like kubectl's), or "" when that is not the case.
std::string unknown_command_message(const CLI::App& root, int argc, const char* const* argv) {
  if (!root.get_subcommands().empty()) return "";
  for (int i = 1; i < argc; ++i) {
    std::string word = argv[i];
    if (word.size() > 1 && word[0] == '-') {
      const auto* option = root.get_option_no_throw(word);
      if (word.find('=') == std::string::npos && option && option->get_expected_min() > 0) ++i;
      continue;
    }
    std::string message = "unknown command \"" + word + "\" for \"kubectl bitcoin\"";
    std::vector<std::string> suggestions;
    for (const auto* sub : root.get_subcommands([](const CLI::App* app) { return !app->get_group().empty(); })) {
      const auto& name = sub->get_name();
      if (edit_distance(word, name) <= 2 || (word.size() >= 2 && name.rfind(word, 0) == 0)) suggestions.push_back(name);
    }
    if (!suggestions.empty()) {
      message += "\n\nDid you mean this?";
      for (const auto& name : suggestions) message += "\n\t" + name;
    }
    return message;
  }
  return "";
}

// CLI11's wording for a mistake in a command's own flags, rewritten the way kubectl says it: an
// unknown flag is "unknown flag: --x", a value of the wrong type names the flag, the value and the
// type wanted. Anything else keeps CLI11's message.
std::string usage_message(const CLI::ParseError& e, const CLI::App* command) {
  const std::string what = e.what();
  if (dynamic_cast<const CLI::ExtrasError*>(&e)) {
    // "The following argument(s) was/were not expected: " then the words, last first.
    auto colon = what.find(": ");
    if (colon == std::string::npos) return what;
    std::vector<std::string> words;
    std::string rest = what.substr(colon + 2);
    for (std::size_t start = 0; start <= rest.size();) {
      auto space = rest.find(' ', start);
      if (space == std::string::npos) space = rest.size();
      if (space > start) words.insert(words.begin(), rest.substr(start, space - start));
      start = space + 1;
    }
    std::string message;
    for (const auto& word : words) {
      if (!message.empty()) message += "; ";
      message += word.size() > 1 && word[0] == '-' ? "unknown flag: " + word : "unexpected argument \"" + word + "\"";
    }
    return message;
  }
  if (dynamic_cast<const CLI::ConversionError*>(&e) && what.starts_with("Could not convert: ")) {
    // "Could not convert: NAME = VALUE"
    auto rest = what.substr(std::string_view("Could not convert: ").size());
    auto equals = rest.find(" = ");
    if (equals == std::string::npos) return what;
    std::string name = rest.substr(0, equals);
    std::string value = rest.substr(equals + 3);
    std::string wanted = "a valid value";
    const CLI::Option* option = nullptr;
    for (const auto* app = command; app && !option; app = app->get_parent()) option = app->get_option_no_throw(name);
    if (option) {
      const auto type = option->get_type_name();
      if (type == "INT" || type == "UINT") wanted = "a whole number";
      if (type == "FLOAT") wanted = "a number";
    }
    return name + " \"" + value + "\" is not " + wanted;
  }
  return what;
}

using Registrar = void (*)(CLI::App&, Context&);
struct CommandGroup {
  std::array<std::string_view, 4> names;  // the subcommands the registrar adds
  Registrar add;
};

// Every command, in the order --help lists them.
// (std::to_array counts them, so adding a command is one line.)
const auto& command_groups() {
  static const auto groups = std::to_array<CommandGroup>({
      {{"install", "upgrade", "uninstall", "template"}, add_install_commands},
      {{"rpc"}, add_rpc_command},
      {{"mine"}, add_mine_command},
      {{"serve"}, add_serve_command},
      {{"status"}, add_status_command},
      {{"create"}, add_create_command},
      {{"scale"}, add_scale_command},
      {{"partition", "heal"}, add_partition_commands},
      {{"delete"}, add_delete_command},
      {{"logs"}, add_logs_command},
      {{"dashboard"}, add_dashboard_command},
      {{"completion"}, add_completion_command},
      {{"version"}, add_version_command},
  });
  return groups;
}

}  // namespace

int run(int argc, const char* const* argv, std::ostream& out, std::ostream& err) {
  Context context{.global = {}, .out = out, .err = err};
  CLI::App root{"kubectl bitcoin: run Bitcoin regtest networks on Kubernetes", "kubectl bitcoin"};
  root.fallthrough();  // global flags may come after the subcommand, as with kubectl
  root.require_subcommand(1);
  root.footer("Use \"kubectl bitcoin <command> --help\" for more information about a command.");
  add_global_flags(root, context.global);
  // CLI11 builds every option of every registered command up front, which costs more than a quick
  // command's own work (`template` renders the chart in about a millisecond). So when the first
  // word names a command, only its group is registered; for anything else (help, global flags
  // first, a typo, completion) every command is, so help, "did you mean" and completion see all.
  const std::string_view first = argc > 1 ? argv[1] : "";
  bool registered = false;
  for (const auto& group : command_groups()) {
    if (!first.empty() && std::find(group.names.begin(), group.names.end(), first) != group.names.end()) {
      group.add(root, context);
      registered = true;
    }
  }
  if (!registered) {
    for (const auto& group : command_groups()) group.add(root, context);
  }

  if (argc <= 1) {  // like kubectl: no command prints the help
    out << root.help();
    return kExitSuccess;
  }
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
    if (auto unknown = unknown_command_message(root, argc, argv); !unknown.empty()) {
      err << "error: " << unknown << "\n";
      err << "Run \"kubectl bitcoin --help\" for the list of commands.\n";
      return kExitUsage;
    }
    const auto selected = root.get_subcommands();
    err << "error: " << usage_message(e, selected.empty() ? &root : selected.front()) << "\n";
    err << "Run \"kubectl bitcoin " << (selected.empty() ? "" : selected.front()->get_name() + " ")
        << "--help\" for usage.\n";
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
