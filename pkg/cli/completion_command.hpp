#pragma once
// `kubectl bitcoin completion bash|zsh|fish` prints a completion script; the hidden
// `kubectl-bitcoin __complete ARGS... WORD` answers in cobra's protocol (one candidate per line,
// optionally "candidate<TAB>description", then ":<directive>"), which is what kubectl's plugin
// completion expects from hack/kubectl_complete-bitcoin. The scripts use the same call, so one
// engine completes subcommands, flags, flag values and network names.
#include "pkg/cli/command.hpp"

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kb::cli {

void add_completion_command(CLI::App& root, Context& context);

// Names that need the cluster: networks or namespaces, listed with the global flags given so far.
struct CompletionSources {
  std::function<std::vector<std::string>(const GlobalOptions&)> networks;
  std::function<std::vector<std::string>(const GlobalOptions&)> namespaces;
};

// Candidates ("value" or "value\tdescription") for `to_complete`, given the words before it
// (without the program name). Filtered by prefix.
std::vector<std::string> complete_words(const CLI::App& root, const std::vector<std::string>& args,
                                        const std::string& to_complete, const CompletionSources& sources);

// The script for "bash", "zsh" or "fish".
std::string completion_script(std::string_view shell);

}  // namespace kb::cli
