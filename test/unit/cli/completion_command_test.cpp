// The completion engine answers in cobra's protocol; the scripts are valid shell.
#include "pkg/cli/completion_command.hpp"
#include "pkg/cli/create_command.hpp"
#include "pkg/cli/scale_command.hpp"
#include "pkg/cli/status_command.hpp"
#include "test/unit/cli/support/run_cli.hpp"

#include <doctest/doctest.h>
#include <CLI/CLI.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

using kb::test::run_cli;

namespace {
std::vector<std::string> complete(std::vector<std::string> args) {
  args.insert(args.begin(), "__complete");
  auto result = run_cli(args);
  REQUIRE(result.code == 0);
  std::vector<std::string> values;
  std::string line;
  for (char c : result.out) {
    if (c != '\n') {
      line += c;
      continue;
    }
    values.push_back(line.substr(0, line.find('\t')));
    line.clear();
  }
  REQUIRE_FALSE(values.empty());
  CHECK(values.back() == ":4");  // cobra's "no file completion" directive ends every answer
  values.pop_back();
  return values;
}

bool contains(const std::vector<std::string>& values, const std::string& value) {
  return std::find(values.begin(), values.end(), value) != values.end();
}

bool shell_accepts(const std::string& shell, const std::string& script) {
  char path[] = "/tmp/kb-completion-XXXXXX";
  int fd = ::mkstemp(path);
  REQUIRE(fd >= 0);
  ::close(fd);
  std::ofstream(path) << script;
  int status = std::system((shell + " -n " + path + " 2>/dev/null").c_str());
  std::remove(path);
  return status == 0;
}
}  // namespace

TEST_CASE("subcommands complete at the start, hidden ones never") {
  auto all = complete({""});
  for (auto name : {"status", "create", "scale", "delete", "logs", "completion", "version"}) {
    INFO(name);
    CHECK(contains(all, name));
  }
  CHECK_FALSE(contains(all, "__complete"));
  CHECK(complete({"s"}) == std::vector<std::string>{"scale", "serve", "status"});
  CHECK(complete({"-n", "lab", "st"}) == std::vector<std::string>{"status"});
}

TEST_CASE("flags of the command and the global flags complete after a dash") {
  auto flags = complete({"create", "demo", "--"});
  CHECK(contains(flags, "--nodes"));
  CHECK(contains(flags, "--topology"));
  CHECK(contains(flags, "--namespace"));
  CHECK(contains(flags, "--kubeconfig"));
  CHECK(complete({"status", "--ch"}) == std::vector<std::string>{"--check"});
}

TEST_CASE("flag values complete from fixed sets") {
  CHECK(complete({"create", "demo", "--topology", ""}) ==
        std::vector<std::string>{"custom", "mesh", "random", "ring", "star"});
  CHECK(complete({"status", "-o", ""}) == std::vector<std::string>{"json", "name", "wide", "yaml"});
  CHECK(complete({"create", "x", "--output", "y"}) == std::vector<std::string>{"yaml"});
  CHECK(complete({"completion", ""}) == std::vector<std::string>{"bash", "fish", "zsh"});
}

TEST_CASE("network names come from the cluster for the commands that take an existing network") {
  // A small tree with the real commands; the cluster is replaced by fixed lists.
  std::ostringstream out;
  std::ostringstream err;
  kb::cli::Context context{.global = {}, .out = out, .err = err};
  CLI::App root;
  root.add_option("-n,--namespace", context.global.namespace_name)->group("Global flags");
  kb::cli::add_status_command(root, context);
  kb::cli::add_create_command(root, context);
  kb::cli::add_scale_command(root, context);
  kb::cli::CompletionSources sources{.networks =
                                         [](const kb::cli::GlobalOptions& global) {
                                           return global.namespace_name == "lab"
                                                      ? std::vector<std::string>{"demo", "dev"}
                                                      : std::vector<std::string>{"other"};
                                         },
                                     .namespaces =
                                         [](const kb::cli::GlobalOptions&) {
                                           return std::vector<std::string>{"default", "lab"};
                                         }};
  using V = std::vector<std::string>;
  CHECK(kb::cli::complete_words(root, {"status"}, "", sources) == V{"other"});
  CHECK(kb::cli::complete_words(root, {"-n", "lab", "status"}, "d", sources) == V{"demo", "dev"});
  CHECK(kb::cli::complete_words(root, {"scale", "--namespace=lab"}, "de", sources) == V{"demo", "dev"});
  CHECK(kb::cli::complete_words(root, {"status", "demo"}, "", sources).empty());  // one network only
  CHECK(kb::cli::complete_words(root, {"create"}, "", sources).empty());          // a new name: nothing to offer
  CHECK(kb::cli::complete_words(root, {"status", "-n"}, "", sources) == V{"default", "lab"});
}

TEST_CASE("the scripts are valid shell and call the engine") {
  for (std::string shell : {"bash", "zsh", "fish"}) {
    auto result = run_cli({"completion", shell});
    INFO(shell);
    CHECK(result.code == 0);
    CHECK(result.out.find("kubectl-bitcoin __complete") != std::string::npos);
  }
  CHECK(shell_accepts("bash", run_cli({"completion", "bash"}).out));
  if (std::system("command -v zsh >/dev/null 2>&1") == 0)
    CHECK(shell_accepts("zsh", run_cli({"completion", "zsh"}).out));
  if (std::system("command -v fish >/dev/null 2>&1") == 0) {
    CHECK(shell_accepts("fish", run_cli({"completion", "fish"}).out));
  }
  auto bad = run_cli({"completion", "powershell"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("SHELL") != std::string::npos);
}
