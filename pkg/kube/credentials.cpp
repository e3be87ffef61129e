#include "pkg/kube/credentials.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/kube/errors.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

extern char** environ;

namespace kb::kube {
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

std::string exec_info(const ExecConfig& exec, const ClusterConfig& cluster, bool interactive) {
  json::object spec{{"interactive", interactive}};
  if (exec.provide_cluster_info) {
    json::object info{{"server", cluster.server}};
    if (!cluster.tls.server_name.empty()) info["tls-server-name"] = cluster.tls.server_name;
    if (cluster.tls.insecure_skip_verify) info["insecure-skip-tls-verify"] = true;
    if (!cluster.tls.ca_pem.empty()) info["certificate-authority-data"] = base::base64_encode(cluster.tls.ca_pem);
    spec["cluster"] = std::move(info);
  }
  return json::serialize(json::object{{"apiVersion", exec.api_version}, {"kind", "ExecCredential"}, {"spec", spec}});
}

struct ProcessResult {
  int exit_status = 0;
  std::string out;
  std::string err;
};

ProcessResult run_process(const ExecConfig& exec, const std::string& info, bool interactive) {
  std::string source = "exec plugin " + exec.command;
  int out_pipe[2], err_pipe[2];
  if (pipe2(out_pipe, O_CLOEXEC) != 0) throw ConfigError(source, "", std::string("pipe: ") + std::strerror(errno));
  if (pipe2(err_pipe, O_CLOEXEC) != 0) {
    close(out_pipe[0]);
    close(out_pipe[1]);
    throw ConfigError(source, "", std::string("pipe: ") + std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!interactive) posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);

  // The plugin's environment: ours, then the kubeconfig's entries, then KUBERNETES_EXEC_INFO.
  std::vector<std::string> env_storage;
  auto overridden = [&](std::string_view entry) {
    auto eq = entry.find('=');
    std::string_view name = entry.substr(0, eq);
    if (name == "KUBERNETES_EXEC_INFO") return true;
    for (auto& [n, v] : exec.env)
      if (n == name) return true;
    return false;
  };
  for (char** e = environ; e && *e; ++e)
    if (!overridden(*e)) env_storage.emplace_back(*e);
  for (auto& [n, v] : exec.env) env_storage.push_back(n + "=" + v);
  env_storage.push_back("KUBERNETES_EXEC_INFO=" + info);
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);
  std::vector<std::string> arg_storage{exec.command};
  arg_storage.insert(arg_storage.end(), exec.args.begin(), exec.args.end());
  std::vector<char*> argv;
  for (auto& a : arg_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  pid_t pid = 0;
  int rc = posix_spawnp(&pid, exec.command.c_str(), &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(out_pipe[1]);
  close(err_pipe[1]);
  if (rc != 0) {
    close(out_pipe[0]);
    close(err_pipe[0]);
    std::string problem = "cannot run \"" + exec.command + "\": " + std::strerror(rc);
    if (!exec.install_hint.empty()) problem += "\n" + exec.install_hint;
    throw ConfigError(source, "", problem);
  }
  ProcessResult result;
  pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
  int open_fds = 2;
  char buffer[4096];
  while (open_fds > 0) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buffer, std::size_t(n));
      } else if (n == 0 || errno != EINTR) {
        close(fds[i].fd);
        fds[i].fd = -1;
        --open_fds;
      }
    }
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
  return result;
}

std::string trimmed_excerpt(std::string text) {
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.pop_back();
  if (text.size() > 500) text = text.substr(0, 500) + "...";
  return text;
}

}  // namespace

ExecCredential parse_exec_credential(std::string_view output, const std::string& api_version_wanted,
                                     const std::string& source) {
  json::error_code ec;
  json::value parsed = json::parse(output, ec);
  // Never quote the output: it holds the credential.
  if (ec || !parsed.is_object())
    throw ConfigError(source, "", "printed something that is not an ExecCredential JSON object");
  const auto& root = parsed.as_object();
  if (base::string_at(root, "kind").value_or("") != "ExecCredential")
    throw ConfigError(source, "kind",
                      "expected ExecCredential, got \"" + base::string_at(root, "kind").value_or("") + "\"");
  const std::string api_version = base::string_at(root, "apiVersion").value_or("");
  if (api_version != api_version_wanted)
    throw ConfigError(
        source, "apiVersion",
        "the plugin answered with \"" + api_version + "\" but the kubeconfig asks for \"" + api_version_wanted + "\"");
  auto* status_value = root.if_contains("status");
  if (!status_value || !status_value->is_object()) throw ConfigError(source, "status", "is missing");
  const auto& status = status_value->as_object();
  ExecCredential credential;
  credential.token = base::string_at(status, "token").value_or("");
  credential.client_cert_pem = base::string_at(status, "clientCertificateData").value_or("");
  credential.client_key_pem = base::string_at(status, "clientKeyData").value_or("");
  if (credential.token.empty() && credential.client_cert_pem.empty())
    throw ConfigError(source, "status", "has neither a token nor clientCertificateData");
  if (credential.client_cert_pem.empty() != credential.client_key_pem.empty())
    throw ConfigError(source, "status", "clientCertificateData and clientKeyData must be set together");
  std::string expiry = base::string_at(status, "expirationTimestamp").value_or("");
  if (!expiry.empty()) {
    credential.expiry = base::parse_time(expiry);
    if (!credential.expiry)
      throw ConfigError(source, "status.expirationTimestamp", "\"" + expiry + "\" is not an RFC 3339 time");
  }
  return credential;
}

ExecCredential run_exec_plugin(const ExecConfig& exec, const ClusterConfig& cluster) {
  const std::string source = "exec plugin " + exec.command;
  bool terminal = isatty(0) == 1;
  if (exec.interactive_mode == "Always" && !terminal)
    throw ConfigError(source, "interactiveMode",
                      "the plugin needs an interactive terminal (interactiveMode: Always) but stdin is not one");
  bool interactive = exec.interactive_mode != "Never" && terminal;
  ProcessResult result = run_process(exec, exec_info(exec, cluster, interactive), interactive);
  if (result.exit_status != 0) {
    std::string problem = "exited with status " + std::to_string(result.exit_status);
    if (!result.err.empty()) problem += ": " + trimmed_excerpt(result.err);
    if (result.exit_status == 127 && !exec.install_hint.empty()) problem += "\n" + exec.install_hint;
    throw ConfigError(source, "", problem);
  }
  return parse_exec_credential(result.out, exec.api_version, source);
}

CredentialProvider::CredentialProvider(const ClusterConfig& config) : config_(config) {}

std::string CredentialProvider::token_from_file_locked() {
  std::error_code ec;
  auto mtime = fs::last_write_time(config_.auth.token_file, ec);
  auto now = std::chrono::steady_clock::now();
  // Re-read when the file changed, and at least once a minute (like client-go's cached token source).
  if (!last_token_.empty() && !ec && mtime == token_mtime_ &&
      token_read_at_ != std::chrono::steady_clock::time_point{} && now - token_read_at_ < std::chrono::minutes(1))
    return last_token_;
  std::ifstream in(config_.auth.token_file, std::ios::binary);
  if (!in) {
    if (!last_token_.empty()) return last_token_;  // keep the last good token during a rotation
    throw ConfigError(config_.auth.token_file.string(), "", "cannot read the token file");
  }
  std::ostringstream text;
  text << in.rdbuf();
  std::string token = text.str();
  while (!token.empty() && (token.back() == '\n' || token.back() == '\r' || token.back() == ' ')) token.pop_back();
  if (token != last_token_) ++generation_;
  last_token_ = std::move(token);
  token_mtime_ = mtime;
  token_read_at_ = now;
  return last_token_;
}

Credentials CredentialProvider::from_exec_locked(bool force) {
  auto now = std::chrono::system_clock::now();
  // Refresh a little before expiry so a request does not race the deadline.
  bool expired = cached_ && cached_->expiry && *cached_->expiry - std::chrono::seconds(10) <= now;
  if (force || !cached_ || expired) {
    cached_ = run_exec_plugin(*config_.auth.exec, config_);
    ++exec_runs_;
    ++generation_;
  }
  Credentials c;
  if (!cached_->token.empty()) c.authorization = "Bearer " + cached_->token;
  c.client_cert_pem = cached_->client_cert_pem;
  c.client_key_pem = cached_->client_key_pem;
  c.generation = generation_;
  return c;
}

Credentials CredentialProvider::current() {
  std::lock_guard lock(mutex_);
  if (config_.auth.exec) return from_exec_locked(false);
  Credentials c;
  if (!config_.auth.token_file.empty()) {
    std::string token = token_from_file_locked();
    if (!token.empty()) c.authorization = "Bearer " + token;
  }
  if (c.authorization.empty() && !config_.auth.token.empty()) c.authorization = "Bearer " + config_.auth.token;
  if (c.authorization.empty() && !config_.auth.username.empty())
    c.authorization = "Basic " + base::base64_encode(config_.auth.username + ":" + config_.auth.password);
  c.generation = generation_;
  return c;
}

bool CredentialProvider::refresh_after_unauthorized(const Credentials& used) {
  std::lock_guard lock(mutex_);
  if (config_.auth.exec) {
    // Another thread may already have refreshed; only re-run when we still hold what failed.
    if (generation_ == used.generation) from_exec_locked(true);
    return true;
  }
  if (!config_.auth.token_file.empty()) {
    token_read_at_ = {};  // force a re-read; the generation moves only if the content changed
    token_from_file_locked();
    return generation_ != used.generation;
  }
  return false;
}

std::uint64_t CredentialProvider::exec_runs() const {
  std::lock_guard lock(mutex_);
  return exec_runs_;
}

}  // namespace kb::kube
