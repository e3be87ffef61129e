#pragma once
// Which JSON-RPC methods the RPC gateway forwards: an allow-list. By default the read, mining,
// mempool, raw-transaction and wallet-use methods a regtest network needs; everything else is
// refused, in particular what stops the node, touches its filesystem, exports keys, changes peers
// behind the controller's back, or holds a worker for long. The operator widens or narrows the
// list (chart values gateway.methods.allow / .deny → serve --gateway-allow-method /
// --gateway-deny-method). Pure. docs/rpc-gateway.md has the table.
#include <boost/json/value.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace kb::bitcoin {

struct MethodDecision {
  bool allowed = false;
  // For a refusal: why, as a clause ("it would stop the node for every user of the network").
  std::string why;
  // Whether the operator's allow list could let it through (false for refused arguments).
  bool policy_can_allow = true;
};

// The methods allowed when the operator configures nothing (lower case, sorted).
const std::vector<std::string>& default_allowed_methods();

// Whether a wallet name would make bitcoind look outside its wallet directory: '/', '\\', "..",
// control characters. Returns the problem, or "" for a plain name.
std::string wallet_name_problem(std::string_view name);

class MethodPolicy {
 public:
  // Entries are method names or prefixes ending in '*' ("getblock*"), matched case-insensitively;
  // `deny` wins over `allow`, `allow` over the defaults. Throws std::invalid_argument for an entry
  // that is not a method name.
  explicit MethodPolicy(std::vector<std::string> allow = {}, std::vector<std::string> deny = {});

  // `params` is the request's "params" (null when absent): a few methods are allowed only with
  // harmless arguments (createwallet with a plain wallet name, not a path).
  MethodDecision decide(std::string_view method, const boost::json::value& params) const;

  const std::vector<std::string>& extra_allowed() const { return allow_; }
  const std::vector<std::string>& extra_denied() const { return deny_; }

 private:
  std::vector<std::string> allow_;
  std::vector<std::string> deny_;
};

}  // namespace kb::bitcoin
