#include "pkg/cli/completion_command.hpp"

#include "pkg/api/topology.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/output_format.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/kube/client.hpp"
#include "pkg/kube/object_meta.hpp"

#include <CLI/CLI.hpp>

#include <algorithm>
#include <ostream>
#include <set>

namespace kb::cli {
namespace {

// cobra's ShellCompDirectiveNoFileComp: never fall back to file names.
constexpr int kNoFileCompletion = 4;

// Commands whose first argument is an existing network.
const std::set<std::string, std::less<>> kNetworkCommands = {"status", "scale", "delete",    "logs",
                                                             "rpc",    "mine",  "partition", "heal"};

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

const CLI::Option* find_option(const CLI::App& root, const CLI::App& current, const std::string& name) {
  if (const auto* option = current.get_option_no_throw(name)) return option;
  return root.get_option_no_throw(name);
}

bool takes_value(const CLI::Option* option) { return option && option->get_expected_min() > 0; }

bool is_visible(const CLI::App* app) { return !app->get_group().empty() && !app->get_name().empty(); }

std::vector<std::string> value_candidates(const CLI::App& current, const std::string& option_name,
                                          const GlobalOptions& global, const CompletionSources& sources) {
  if (option_name == "-n" || option_name == "--namespace")
    return sources.namespaces ? sources.namespaces(global) : std::vector<std::string>{};
  if (option_name == "--topology") return api::topology_names();
  if (option_name == "-o" || option_name == "--output") {
    if (current.get_name() == "status") return {"wide", "json", "yaml", "name"};
    return {"json", "yaml"};
  }
  return {};
}

void flag_candidates(const CLI::App& app, std::vector<std::string>& out) {
  for (const auto* option : app.get_options()) {
    if (option->get_group().empty()) continue;
    std::string description = first_line(option->get_description());
    for (const auto& name : option->get_lnames()) out.push_back("--" + name + "\t" + description);
    for (const auto& name : option->get_snames()) out.push_back("-" + name + "\t" + description);
  }
}

// Records the global flags seen so far, so names are listed from the right cluster and namespace.
void remember_global(GlobalOptions& global, const std::string& name, const std::string& value) {
  if (name == "-n" || name == "--namespace")
    global.namespace_name = value;
  else if (name == "--context")
    global.context = value;
  else if (name == "--kubeconfig")
    global.kubeconfig = value;
  else if (name == "--cluster")
    global.cluster = value;
  else if (name == "--user")
    global.user = value;
}

std::vector<std::string> list_networks(const GlobalOptions& given) {
  GlobalOptions global = given;
  global.request_timeout = "5s";
  try {
    auto client = make_client(global);
    return network_names(client, effective_namespace(global, client));
  } catch (const std::exception&) {
    return {};
  }
}

std::vector<std::string> list_namespaces(const GlobalOptions& given) {
  GlobalOptions global = given;
  global.request_timeout = "5s";
  std::vector<std::string> names;
  try {
    auto client = make_client(global);
    for (const auto& item : client.list(kube::refs::namespaces()).items) {
      names.push_back(kube::name_of(item));
    }
  } catch (const std::exception&) {
    return {};
  }
  return names;
}

}  // namespace

std::vector<std::string> complete_words(const CLI::App& root, const std::vector<std::string>& args,
                                        const std::string& to_complete, const CompletionSources& sources) {
  const CLI::App* current = &root;
  GlobalOptions global;
  std::size_t positionals = 0;
  std::string pending_option;  // an option whose value is the word being completed
  for (std::size_t i = 0; i < args.size(); ++i) {
    const auto& word = args[i];
    if (word == "--") continue;
    if (starts_with(word, "-") && word.size() > 1) {
      auto equals = word.find('=');
      std::string name = word.substr(0, equals);
      const auto* option = find_option(root, *current, name);
      if (equals != std::string::npos) {
        remember_global(global, name, word.substr(equals + 1));
      } else if (takes_value(option)) {
        if (i + 1 < args.size()) {
          remember_global(global, name, args[i + 1]);
          ++i;
        } else {
          pending_option = name;
        }
      }
      continue;
    }
    if (current == &root) {
      const CLI::App* found = nullptr;
      for (const auto* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_name() == word) found = sub;
      }
      if (found) {
        current = found;
        continue;
      }
    }
    ++positionals;
  }

  std::vector<std::string> candidates;
  if (!pending_option.empty()) {
    candidates = value_candidates(*current, pending_option, global, sources);
  } else if (starts_with(to_complete, "-")) {
    flag_candidates(*current, candidates);
    if (current != &root) flag_candidates(root, candidates);
  } else if (current == &root) {
    for (const auto* sub : root.get_subcommands([](const CLI::App*) { return true; })) {
      if (is_visible(sub)) candidates.push_back(sub->get_name() + "\t" + first_line(sub->get_description()));
    }
  } else if (current->get_name() == "completion" && positionals == 0) {
    candidates = {"bash", "zsh", "fish"};
  } else if (kNetworkCommands.contains(current->get_name()) && positionals == 0 && sources.networks) {
    candidates = sources.networks(global);
  }

  std::vector<std::string> matching;
  for (auto& candidate : candidates) {
    if (starts_with(candidate, to_complete)) matching.push_back(std::move(candidate));
  }
  std::sort(matching.begin(), matching.end());
  matching.erase(std::unique(matching.begin(), matching.end()), matching.end());
  return matching;
}

std::string completion_script(std::string_view shell) {
  if (shell == "bash") {
    return R"(# bash completion for kubectl-bitcoin
# Load it in the current shell:   source <(kubectl bitcoin completion bash)
# Or for every shell:             kubectl bitcoin completion bash > ~/.local/share/bash-completion/completions/kubectl-bitcoin
# For "kubectl bitcoin <TAB>" (kubectl's own completion) put kubectl_complete-bitcoin on PATH instead.
__kubectl_bitcoin_complete() {
    local cur="${COMP_WORDS[COMP_CWORD]}"
    local -a args=("${COMP_WORDS[@]:1:COMP_CWORD-1}")
    local out line
    out=$(kubectl-bitcoin __complete "${args[@]}" "$cur" 2>/dev/null) || return 0
    local -a candidates=()
    while IFS= read -r line; do
        [[ -z "$line" || "$line" == :* ]] && continue
        candidates+=("${line%%$'\t'*}")
    done <<< "$out"
    COMPREPLY=($(compgen -W "${candidates[*]}" -- "$cur"))
}
complete -F __kubectl_bitcoin_complete kubectl-bitcoin
)";
  }
  if (shell == "zsh") {
    return R"(#compdef kubectl-bitcoin
# zsh completion for kubectl-bitcoin
# Load it in the current shell:   source <(kubectl bitcoin completion zsh)
# Or for every shell:             kubectl bitcoin completion zsh > "${fpath[1]}/_kubectl-bitcoin"
# For "kubectl bitcoin <TAB>" (kubectl's own completion) put kubectl_complete-bitcoin on PATH instead.
_kubectl_bitcoin() {
    local -a candidates descriptions
    local line
    for line in "${(@f)$(kubectl-bitcoin __complete "${(@)words[2,CURRENT-1]}" "${words[CURRENT]}" 2>/dev/null)}"; do
        [[ -z "$line" || "$line" == :* ]] && continue
        candidates+=("${line%%$'\t'*}")
        descriptions+=("${line/$'\t'/ -- }")
    done
    compadd -l -d descriptions -a candidates
}
if (( $+functions[compdef] )); then
    compdef _kubectl_bitcoin kubectl-bitcoin
fi
)";
  }
  if (shell == "fish") {
    return R"(# fish completion for kubectl-bitcoin
# Load it in the current shell:   kubectl bitcoin completion fish | source
# Or for every shell:             kubectl bitcoin completion fish > ~/.config/fish/completions/kubectl-bitcoin.fish
# For "kubectl bitcoin <TAB>" (kubectl's own completion) put kubectl_complete-bitcoin on PATH instead.
function __kubectl_bitcoin_complete
    set -l args (commandline -opc)
    set -e args[1]
    kubectl-bitcoin __complete $args (commandline -ct) 2>/dev/null | string match -v -r '^:'
end
complete -c kubectl-bitcoin -f -a '(__kubectl_bitcoin_complete)'
)";
  }
  throw UsageError("completion: unknown shell \"" + std::string(shell) + "\"; use bash, zsh or fish");
}

void add_completion_command(CLI::App& root, Context& context) {
  auto shell = std::make_shared<std::string>();
  auto* command = root.add_subcommand("completion", "Print a shell completion script (bash, zsh or fish)");
  command->footer(
      "Examples:\n"
      "  # Complete kubectl-bitcoin in this bash session\n"
      "  source <(kubectl bitcoin completion bash)\n\n"
      "  # zsh, for every new shell\n"
      "  kubectl bitcoin completion zsh > \"${fpath[1]}/_kubectl-bitcoin\"\n\n"
      "  # fish\n"
      "  kubectl bitcoin completion fish > ~/.config/fish/completions/kubectl-bitcoin.fish\n\n"
      "  # \"kubectl bitcoin <TAB>\" through kubectl's own completion (kubectl 1.26+):\n"
      "  # put hack/kubectl_complete-bitcoin (or a script running \"kubectl-bitcoin __complete \\\"$@\\\"\") on PATH");
  command->add_option("SHELL", *shell, "bash, zsh or fish")->required()->check(CLI::IsMember({"bash", "zsh", "fish"}));
  command->callback([&context, shell] { context.out << completion_script(*shell); });

  // Hidden: the completion engine the scripts (and kubectl's plugin completion) call.
  auto* engine = root.add_subcommand("__complete", "Complete a command line (used by the completion scripts)");
  engine->group("");
  engine->set_help_flag();
  engine->prefix_command();
  engine->allow_extras();
  engine->fallthrough(false);
  engine->callback([&context, &root, engine] {
    auto args = engine->remaining();
    std::string word;
    if (!args.empty()) {
      word = args.back();
      args.pop_back();
    }
    CompletionSources sources{.networks = list_networks, .namespaces = list_namespaces};
    for (const auto& candidate : complete_words(root, args, word, sources)) context.out << candidate << "\n";
    context.out << ":" << kNoFileCompletion << "\n";
  });
}

}  // namespace kb::cli
