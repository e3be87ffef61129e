#include "pkg/cli/version_command.hpp"

#include "pkg/base/version_info.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <ostream>

namespace kb::cli {

void add_version_command(CLI::App& root, Context& context) {
  auto* command = root.add_subcommand("version", "Print the version, git commit and build date");
  command->footer("Examples:\n  kubectl bitcoin version\n  kubectl bitcoin version -o json");
  auto output = std::make_shared<std::string>();
  command->add_option("-o,--output", *output, "Output format: json or yaml (default: human-readable)")
      ->check(CLI::IsMember({"json", "yaml"}));
  command->callback([&context, output] {
    boost::json::object info{{"version", std::string(version::project())},
                             {"gitCommit", std::string(version::git_commit())},
                             {"buildDate", std::string(version::build_date())},
                             {"platform", "linux/amd64"}};
    if (*output == "json") {
      context.out << boost::json::serialize(info) << "\n";
    } else if (*output == "yaml") {
      for (const auto& [key, value] : info) context.out << key << ": " << value.as_string().c_str() << "\n";
    } else {
      context.out << "kubectl-bitcoin " << version::project() << " (commit " << version::git_commit() << ", built "
                  << version::build_date() << ")\n";
    }
  });
}

}  // namespace kb::cli
