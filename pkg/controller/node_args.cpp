#include "pkg/controller/node_args.hpp"

#include <algorithm>
#include <array>

namespace kb::controller {

namespace {

using enum ArgRefusal;

// Why each is locked: the chain (regtest is the product: no spelling may leave it), the RPC
// access the controller and the gateway use (port, credentials, bind and allow lists, the
// server itself), the P2P listener the peers dial, where the node keeps its data and which
// files it reads settings from (a conf file could set any of the others).
constexpr std::array kLocked{
    LockedOption{"chain", managed},
    LockedOption{"regtest", managed},
    LockedOption{"testnet", managed},
    LockedOption{"testnet4", managed},
    LockedOption{"signet", managed},
    LockedOption{"conf", managed},
    LockedOption{"includeconf", managed},
    LockedOption{"datadir", managed},
    LockedOption{"settings", managed},
    LockedOption{"pid", managed},
    LockedOption{"rpcport", managed},
    LockedOption{"rpcauth", managed},
    LockedOption{"rpcuser", managed},
    LockedOption{"rpcpassword", managed},
    LockedOption{"rpccookiefile", managed},
    LockedOption{"rpccookieperms", managed},
    LockedOption{"rpcbind", managed},
    LockedOption{"rpcallowip", managed},
    LockedOption{"server", managed},
    LockedOption{"bind", managed},
    LockedOption{"whitebind", managed},
    LockedOption{"listen", managed},
    LockedOption{"port", managed},
    LockedOption{"blocknotify", runs_command},
    LockedOption{"alertnotify", runs_command},
    LockedOption{"walletnotify", runs_command},
    LockedOption{"startupnotify", runs_command},
    LockedOption{"shutdownnotify", runs_command},
    LockedOption{"daemon", foreground},
    LockedOption{"daemonwait", foreground},
};

std::string_view explanation(ArgRefusal refusal) {
  switch (refusal) {
    case not_an_option:
      return "is not a bitcoind option; bitcoind would refuse to start (options are -name or -name=value)";
    case section_prefix:
      return "has a section prefix, which bitcoind accepts only in bitcoin.conf and refuses on its command line";
    case managed:
      return "which the controller manages (regtest, RPC access, ports, data directory, configuration files)";
    case runs_command:
      return "which runs a shell command inside the node's pod";
    case foreground:
      return "which would send bitcoind to the background and end the container";
  }
  return "";
}

}  // namespace

std::string_view to_string(ArgRefusal refusal) {
  switch (refusal) {
    case not_an_option:
      return "NotAnOption";
    case section_prefix:
      return "SectionPrefix";
    case managed:
      return "Managed";
    case runs_command:
      return "RunsCommand";
    case foreground:
      return "Foreground";
  }
  return "";
}

std::span<const LockedOption> locked_options() { return kLocked; }

std::optional<CoreOption> parse_core_option(std::string_view token) {
  if (!token.starts_with('-') || token == "-") return std::nullopt;
  CoreOption option;
  std::string_view key = token;
  if (auto equals = token.find('='); equals != std::string_view::npos) {
    key = token.substr(0, equals);
    option.value = std::string(token.substr(equals + 1));
  }
  if (key.size() > 1 && key[1] == '-') key.remove_prefix(1);  // --name reads as -name
  key.remove_prefix(1);
  if (auto dot = key.find('.'); dot != std::string_view::npos) {
    option.section = std::string(key.substr(0, dot));
    key.remove_prefix(dot + 1);
  }
  if (key.starts_with("no")) {
    option.negated = true;
    key.remove_prefix(2);
  }
  option.name = std::string(key);
  return option;
}

std::string RefusedArg::message() const {
  std::string text = "spec.args[" + std::to_string(index) + "] \"" + arg + "\" ";
  if (refusal == not_an_option || refusal == section_prefix) return text + std::string(explanation(refusal));
  return text + "sets " + option + ", " + std::string(explanation(refusal));
}

std::vector<RefusedArg> refused_args(const std::vector<std::string>& args) {
  std::vector<RefusedArg> refused;
  for (std::size_t i = 0; i < args.size(); ++i) {
    auto option = parse_core_option(args[i]);
    RefusedArg entry{i, args[i], args[i], not_an_option};
    // "---x" reads as the name "-x", and "-", "-=1", "-no" have no name: bitcoind knows none.
    if (!option || option->name.empty() || option->name.starts_with('-')) {
      refused.push_back(std::move(entry));
      continue;
    }
    entry.option = "-" + option->name;
    if (!option->section.empty()) {
      entry.refusal = section_prefix;
      refused.push_back(std::move(entry));
      continue;
    }
    auto locked =
        std::find_if(kLocked.begin(), kLocked.end(), [&](const LockedOption& l) { return l.name == option->name; });
    if (locked != kLocked.end()) {
      entry.refusal = locked->refusal;
      refused.push_back(std::move(entry));
    }
  }
  return refused;
}

std::string describe(const std::vector<RefusedArg>& refused) {
  std::string text;
  for (const auto& entry : refused) {
    if (!text.empty()) text += "; ";
    text += entry.message();
  }
  return text;
}

}  // namespace kb::controller
