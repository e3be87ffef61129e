#pragma once
// spec.args as bitcoind will read them, and which of them the controller refuses.
//
// Bitcoin Core (src/common/args.cpp, ParseParameters) reads each token as `-name[=value]`:
// `--name` is `-name`, `-noname` is `-name=0` and `-noname=0` is `-name=1`, and the last value of
// a name wins. It refuses to start on a token that does not begin with '-', on an unknown name,
// and on a name with a section (`-regtest.rpcport=1` belongs in bitcoin.conf, not on the
// command line). The user's arguments come after the controller's, so any spelling of an option
// the controller sets would override it: every spelling of those is refused here (and by the
// CRD's rules on spec.args, which name the same options; a unit test keeps the two lists equal).
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kb::controller {

// One command-line token as bitcoind reads it.
struct CoreOption {
  std::string name;                  // "rpcport" for -rpcport=1, --rpcport, -norpcport, -regtest.rpcport=1
  std::string section;               // "regtest" for -regtest.rpcport=1; empty otherwise
  bool negated = false;              // -norpcport
  std::optional<std::string> value;  // the text after the first '='
};

// nullopt when bitcoind does not read the token as an option ("txindex", "", "-": it stops there).
std::optional<CoreOption> parse_core_option(std::string_view token);

enum class ArgRefusal {
  not_an_option,   // bitcoind would not start: no leading '-', no name, or "---name"
  section_prefix,  // bitcoind would not start: "Invalid parameter -regtest.rpcport=1"
  managed,         // the chain, RPC access, ports, data directory or configuration files
  runs_command,    // a *notify option: a shell command run inside the pod
  foreground,      // -daemon: the container's only process must stay in the foreground
};
std::string_view to_string(ArgRefusal refusal);

// Options refused in every spelling, and why.
struct LockedOption {
  std::string_view name;
  ArgRefusal refusal;
};
std::span<const LockedOption> locked_options();

struct RefusedArg {
  std::size_t index = 0;  // in spec.args
  std::string arg;        // as written
  std::string option;     // "-rpcport": the option bitcoind would set (the token itself for not_an_option)
  ArgRefusal refusal = ArgRefusal::not_an_option;
  // One sentence naming the entry and the option, e.g.
  // `spec.args[1] "--norpcport" sets -rpcport, which the controller manages (...)`.
  std::string message() const;
};

// Every entry of spec.args the controller refuses, in order; empty when all are acceptable.
std::vector<RefusedArg> refused_args(const std::vector<std::string>& args);

// The messages of `refused` in one sentence (for a condition or an Event).
std::string describe(const std::vector<RefusedArg>& refused);

}  // namespace kb::controller
