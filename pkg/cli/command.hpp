#pragma once
// What every command shares: the global flags kubectl users expect, the output streams,
// and the exit-code contract (0 success, 1 failure, 2 usage error).
#include <chrono>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>

namespace CLI {
class App;
}

namespace kb::cli {

enum ExitCode : int { kExitSuccess = 0, kExitFailure = 1, kExitUsage = 2 };

// kubectl's global flags, parsed once at the root and read by every command.
struct GlobalOptions {
  std::string kubeconfig;
  std::string context;
  std::string cluster;
  std::string user;
  std::string namespace_name;  // -n/--namespace; empty means "from the kubeconfig context"
  std::string request_timeout = "0";
  std::string server;                 // --server
  std::string token;                  // --token
  std::string certificate_authority;  // --certificate-authority
  bool insecure_skip_tls_verify = false;
  std::string tls_server_name;
  int verbosity = 0;
};

struct Context {
  GlobalOptions global;
  std::ostream& out;
  std::ostream& err;
  int exit_code = kExitSuccess;
};

// A failure a command reports as one sentence (with the next step) and an exit code.
class CommandError : public std::runtime_error {
 public:
  explicit CommandError(const std::string& message, int exit_code = kExitFailure)
      : std::runtime_error(message), exit_code_(exit_code) {}
  int exit_code() const { return exit_code_; }

 private:
  int exit_code_;
};

// A usage mistake the parser cannot see (e.g. a flag value out of range): exit code 2.
class UsageError : public CommandError {
 public:
  explicit UsageError(const std::string& message) : CommandError(message, kExitUsage) {}
};

}  // namespace kb::cli
