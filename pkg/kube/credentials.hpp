#pragma once
// Credentials for requests, kept fresh: a static token, a token file re-read when it changes
// (service-account tokens rotate), or an exec credential plugin run when its cached credential
// expires or the server answers 401. Thread-safe. Used by Client; exposed for tests.
//
//   CredentialProvider creds(config);
//   Credentials c = creds.current();        // may run the plugin
//   if (creds.refresh_after_unauthorized(c)) retry;   // 401: plugin re-run / token re-read
#include "pkg/kube/cluster_config.hpp"

#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kb::kube {

struct Credentials {
  std::string authorization;    // the Authorization header value ("Bearer ..."), or ""
  std::string client_cert_pem;  // from the exec plugin (else the kubeconfig's, in TlsConfig)
  std::string client_key_pem;
  std::uint64_t generation = 0;  // changes whenever the credentials change
};

struct ExecCredential {
  std::string token;
  std::string client_cert_pem;
  std::string client_key_pem;
  std::optional<std::chrono::system_clock::time_point> expiry;
};

// Runs the plugin once and parses its ExecCredential. Throws ConfigError naming the command.
ExecCredential run_exec_plugin(const ExecConfig& exec, const ClusterConfig& cluster);
// Reads what a plugin printed: an ExecCredential of `api_version` with a token or a client
// certificate and key. Throws ConfigError naming `source` and the field; never quotes the output.
ExecCredential parse_exec_credential(std::string_view output, const std::string& api_version,
                                     const std::string& source);

class CredentialProvider {
 public:
  explicit CredentialProvider(const ClusterConfig& config);
  Credentials current();
  // After a 401 with `used`: refreshes what can change. True when a retry may succeed.
  bool refresh_after_unauthorized(const Credentials& used);
  std::uint64_t exec_runs() const;

 private:
  Credentials from_exec_locked(bool force);
  std::string token_from_file_locked();

  mutable std::mutex mutex_;
  ClusterConfig config_;
  std::optional<ExecCredential> cached_;
  std::uint64_t exec_runs_ = 0;
  std::uint64_t generation_ = 1;
  std::string last_token_;
  std::filesystem::file_time_type token_mtime_{};
  std::chrono::steady_clock::time_point token_read_at_{};
};

}  // namespace kb::kube
