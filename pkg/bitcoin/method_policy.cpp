#include "pkg/bitcoin/method_policy.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <stdexcept>
#include <utility>

#include "pkg/base/ascii.hpp"

namespace kb::bitcoin {
namespace json = boost::json;

namespace {

bool matches(const std::string& pattern, const std::string& method) {
  if (!pattern.empty() && pattern.back() == '*') return method.rfind(pattern.substr(0, pattern.size() - 1), 0) == 0;
  return pattern == method;
}

bool any_matches(const std::vector<std::string>& patterns, const std::string& method) {
  return std::any_of(patterns.begin(), patterns.end(), [&](const auto& pattern) { return matches(pattern, method); });
}

std::vector<std::string> normalized(std::vector<std::string> patterns) {
  for (auto& pattern : patterns) {
    pattern = base::ascii_lower(pattern);
    std::string_view name(pattern);
    if (!name.empty() && name.back() == '*') name.remove_suffix(1);
    bool word =
        std::all_of(name.begin(), name.end(), [](char c) { return std::isalnum((unsigned char)c) || c == '_'; });
    if (!word || (name.empty() && pattern != "*")) {
      throw std::invalid_argument("\"" + pattern +
                                  "\" is not an RPC method name (letters, digits, '_', and an optional "
                                  "trailing '*')");
    }
  }
  return patterns;
}

// Why the default policy refuses the methods people are most likely to try.
struct KnownRefusal {
  std::string_view method;
  std::string_view why;
};
constexpr std::string_view kFile = "it reads or writes a file on the node's filesystem";
constexpr std::string_view kKeys = "it can export the wallet's private keys";
constexpr std::string_view kLock = "it would lock the network's other users out of the wallet";
constexpr std::string_view kPeers = "it changes the node's peers, which the controller manages";
constexpr std::string_view kChain = "it changes which chain the node follows, for every user of the network";
constexpr std::string_view kWait = "it holds a gateway worker until a block arrives";
constexpr std::string_view kTest = "it is a regtest test hook that changes node-wide state (peers, time or scheduler)";
constexpr std::array<KnownRefusal, 33> kKnownRefusals{{
    {"stop", "it would stop the node for every user of the network"},
    {"dumptxoutset", kFile},
    {"loadtxoutset", kFile},
    {"importmempool", kFile},
    {"savemempool", kFile},
    {"backupwallet", kFile},
    {"dumpwallet", kFile},
    {"importwallet", kFile},
    {"restorewallet", kFile},
    {"dumpprivkey", kKeys},
    {"listdescriptors", kKeys},
    {"gethdkeys", kKeys},
    {"encryptwallet", kLock},
    {"walletpassphrase", kLock},
    {"walletpassphrasechange", kLock},
    {"setnetworkactive", kPeers},
    {"addnode", kPeers},
    {"disconnectnode", kPeers},
    {"setban", kPeers},
    {"clearbanned", kPeers},
    {"logging", "it changes the node's logging for every user of the network"},
    {"invalidateblock", kChain},
    {"reconsiderblock", kChain},
    {"preciousblock", kChain},
    {"pruneblockchain", "it deletes block files"},
    {"waitforblock", kWait},
    {"waitforblockheight", kWait},
    {"waitfornewblock", kWait},
    {"addconnection", kTest},
    {"addpeeraddress", kTest},
    {"sendmsgtopeer", kTest},
    {"mockscheduler", kTest},
    {"setmocktime", kTest},
}};

// Methods whose first argument names a wallet that bitcoind resolves as a path under -walletdir.
struct WalletNameArgument {
  std::string_view method;
  std::string_view parameter;  // its name, for named parameters
};
constexpr std::array<WalletNameArgument, 4> kWalletNameArguments{{
    {"createwallet", "wallet_name"},
    {"loadwallet", "filename"},
    {"unloadwallet", "wallet_name"},
    {"migratewallet", "wallet_name"},
}};

// The wallet name a call passes, positionally or by name (nullptr when none is given).
const json::value* wallet_argument(const json::value& params, std::string_view parameter) {
  if (const auto* positional = params.if_array()) return positional->empty() ? nullptr : &positional->front();
  if (const auto* named = params.if_object()) {
    if (const auto* value = named->if_contains(parameter)) return value;
    // bitcoind also takes positional arguments inside named ones, as "args".
    if (const auto* args = named->if_contains("args"); args && args->is_array() && !args->get_array().empty()) {
      return &args->get_array().front();
    }
  }
  return nullptr;
}
}  // namespace

const std::vector<std::string>& default_allowed_methods() {
  static const std::vector<std::string> methods = [] {
    std::vector<std::string> list{
        // Reading the chain and the node.
        "getbestblockhash", "getblock", "getblockchaininfo", "getblockcount", "getblockfilter", "getblockhash",
        "getblockheader", "getblockstats", "getchainstates", "getchaintips", "getchaintxstats", "getdeploymentinfo",
        "getdifficulty", "gettxout", "gettxoutproof", "gettxoutsetinfo", "gettxspendingprevout", "verifytxoutproof",
        "scantxoutset", "scanblocks", "getindexinfo", "getmemoryinfo", "getrpcinfo", "uptime", "help", "echo",
        "echojson",
        // The mempool.
        "getmempoolancestors", "getmempooldescendants", "getmempoolentry", "getmempoolinfo", "getrawmempool",
        "prioritisetransaction", "getprioritisedtransactions",
        // Mining.
        "getmininginfo", "getnetworkhashps", "getblocktemplate", "submitblock", "submitheader", "generatetoaddress",
        "generateblock", "generatetodescriptor", "generate",
        // The P2P network, read only.
        "getnetworkinfo", "getpeerinfo", "getconnectioncount", "getaddednodeinfo", "getnettotals", "getnodeaddresses",
        "getaddrmaninfo", "listbanned", "ping",
        // Raw transactions and PSBTs.
        "getrawtransaction", "decoderawtransaction", "decodescript", "createrawtransaction", "sendrawtransaction",
        "testmempoolaccept", "submitpackage", "signrawtransactionwithkey", "signrawtransactionwithwallet",
        "fundrawtransaction", "combinerawtransaction", "createpsbt", "decodepsbt", "analyzepsbt", "combinepsbt",
        "converttopsbt", "finalizepsbt", "joinpsbts", "utxoupdatepsbt", "descriptorprocesspsbt",
        "walletcreatefundedpsbt", "walletprocesspsbt",
        // Utilities.
        "createmultisig", "deriveaddresses", "estimatesmartfee", "getdescriptorinfo", "validateaddress",
        "verifymessage", "signmessagewithprivkey",
        // Using a wallet (not taking it or its keys out of the node).
        "createwallet", "loadwallet", "unloadwallet", "migratewallet", "listwallets", "listwalletdir", "getwalletinfo",
        "getnewaddress", "getrawchangeaddress", "getaddressinfo", "getaddressesbylabel", "getbalance", "getbalances",
        "getunconfirmedbalance", "getreceivedbyaddress", "getreceivedbylabel", "listunspent", "listtransactions",
        "listsinceblock", "listreceivedbyaddress", "listreceivedbylabel", "listaddressgroupings", "listlabels",
        "listlockunspent", "lockunspent", "gettransaction", "abandontransaction", "abortrescan", "rescanblockchain",
        "sendtoaddress", "sendmany", "send", "sendall", "bumpfee", "psbtbumpfee", "settxfee", "setlabel", "signmessage",
        "simulaterawtransaction", "keypoolrefill", "newkeypool", "importaddress", "importpubkey", "importprivkey",
        "importdescriptors", "importmulti", "importprunedfunds", "removeprunedfunds", "addmultisigaddress",
        "createwalletdescriptor", "sethdseed", "setwalletflag", "upgradewallet", "walletlock"};
    std::sort(list.begin(), list.end());
    list.erase(std::unique(list.begin(), list.end()), list.end());
    return list;
  }();
  return methods;
}

std::string wallet_name_problem(std::string_view name) {
  if (name.find('/') != std::string_view::npos) return "contains '/'";
  if (name.find('\\') != std::string_view::npos) return "contains '\\'";
  if (name.find("..") != std::string_view::npos) return "contains \"..\"";
  if (std::any_of(name.begin(), name.end(), [](unsigned char c) { return c < 0x20 || c == 0x7f; })) {
    return "contains a control character";
  }
  return {};
}

MethodPolicy::MethodPolicy(std::vector<std::string> allow, std::vector<std::string> deny)
    : allow_(normalized(std::move(allow))), deny_(normalized(std::move(deny))) {}

MethodDecision MethodPolicy::decide(std::string_view method_name, const json::value& params) const {
  const std::string method = base::ascii_lower(method_name);
  if (any_matches(deny_, method)) return {false, "the operator's policy denies it", true};
  const auto& defaults = default_allowed_methods();
  bool allowed = any_matches(allow_, method) || std::binary_search(defaults.begin(), defaults.end(), method);
  if (!allowed) {
    for (const auto& known : kKnownRefusals) {
      if (known.method == method) return {false, std::string(known.why), true};
    }
    return {false, "it is not on the gateway's allow-list", true};
  }
  // Whoever allowed the method, its wallet name must stay a name: bitcoind resolves it as a path.
  for (const auto& argument : kWalletNameArguments) {
    if (argument.method != method) continue;
    const json::value* name = wallet_argument(params, argument.parameter);
    if (name == nullptr || !name->is_string()) break;
    if (auto problem = wallet_name_problem(name->get_string()); !problem.empty()) {
      return {false,
              "the wallet name \"" + std::string(name->get_string()) + "\" " + problem +
                  ": through the gateway a wallet is named, not given as a path",
              false};
    }
  }
  return {true, {}, true};
}

}  // namespace kb::bitcoin
