#include "pkg/kube/credentials.hpp"

#include "pkg/base/time_format.hpp"
#include "pkg/kube/errors.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>

using namespace kb::kube;
using kb::kube::testing::TempDir;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

ClusterConfig exec_cluster(const TempDir& dir, std::vector<std::pair<std::string, std::string>> extra_env = {},
                           std::string api = "client.authentication.k8s.io/v1") {
  ClusterConfig c;
  c.server = "https://127.0.0.1:6443";
  c.tls.ca_pem = "CA";
  ExecConfig exec;
  exec.api_version = api;
  exec.command = "/bin/sh";
  exec.args = {std::string(KB_TEST_DATA) + "/exec-plugin.sh"};
  exec.interactive_mode = "Never";
  exec.provide_cluster_info = true;
  exec.env = {{"KB_COUNTER", (dir.path() / "count").string()}, {"KB_API", api}, {"FOO", "bar"}};
  for (auto& e : extra_env) exec.env.push_back(e);
  c.auth.exec = exec;
  return c;
}
}  // namespace

TEST_CASE("exec plugin: env, args and KUBERNETES_EXEC_INFO reach the plugin; the token is cached") {
  TempDir dir;
  CredentialProvider creds(exec_cluster(dir));
  Credentials first = creds.current();
  CHECK(first.authorization == "Bearer token-bar-1");
  Credentials again = creds.current();
  CHECK(again.authorization == "Bearer token-bar-1");
  CHECK(creds.exec_runs() == 1);
  std::string info = slurp(dir.path() / "count.info");
  CHECK(info.find(R"("kind":"ExecCredential")") != std::string::npos);
  CHECK(info.find(R"("interactive":false)") != std::string::npos);
  CHECK(info.find(R"("server":"https://127.0.0.1:6443")") != std::string::npos);  // provideClusterInfo
  CHECK(info.find(R"("certificate-authority-data":"Q0E=")") != std::string::npos);
}

TEST_CASE("exec plugin: re-run on 401 and when the credential expires") {
  TempDir dir;
  CredentialProvider creds(exec_cluster(dir));
  Credentials used = creds.current();
  CHECK(creds.refresh_after_unauthorized(used));
  CHECK(creds.current().authorization == "Bearer token-bar-2");
  // A second thread reporting the same stale credential does not trigger another run.
  CHECK(creds.refresh_after_unauthorized(used));
  CHECK(creds.exec_runs() == 2);

  TempDir soon_dir;
  auto soon = kb::base::format_time(std::chrono::system_clock::now() + std::chrono::seconds(5));
  CredentialProvider expiring(exec_cluster(soon_dir, {{"KB_EXPIRY", soon}}));
  expiring.current();
  expiring.current();  // within 10 s of expiry: refreshed
  CHECK(expiring.exec_runs() == 2);

  TempDir later_dir;
  auto later = kb::base::format_time(std::chrono::system_clock::now() + std::chrono::hours(1));
  CredentialProvider lasting(exec_cluster(later_dir, {{"KB_EXPIRY", later}}, "client.authentication.k8s.io/v1beta1"));
  lasting.current();
  lasting.current();
  CHECK(lasting.exec_runs() == 1);
}

TEST_CASE("exec plugin failures say which command and why, without quoting credentials") {
  TempDir dir;
  CredentialProvider failing(exec_cluster(dir, {{"KB_MODE", "fail"}}));
  CHECK_THROWS_WITH_AS(failing.current(), doctest::Contains("exited with status 3: login required"), ConfigError);

  CredentialProvider garbage(exec_cluster(dir, {{"KB_MODE", "garbage"}}));
  try {
    garbage.current();
    FAIL("expected an error");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).find("secret-looking") == std::string::npos);
    CHECK(std::string(e.what()).find("not an ExecCredential") != std::string::npos);
  }

  ClusterConfig missing = exec_cluster(dir);
  missing.auth.exec->command = "kb-no-such-plugin";
  missing.auth.exec->args.clear();
  missing.auth.exec->install_hint = "install it with: apt install kb-no-such-plugin";
  CredentialProvider absent(missing);
  CHECK_THROWS_WITH_AS(absent.current(), doctest::Contains("install it with"), ConfigError);

  ClusterConfig wrong_api = exec_cluster(dir, {{"KB_API", "client.authentication.k8s.io/v1beta1"}});
  CredentialProvider mismatch(wrong_api);
  CHECK_THROWS_WITH_AS(mismatch.current(), doctest::Contains("answered with"), ConfigError);
}

TEST_CASE("exec plugin: interactiveMode Always without a terminal is refused") {
  TempDir dir;
  ClusterConfig c = exec_cluster(dir);
  c.auth.exec->interactive_mode = "Always";
  if (!isatty(0)) CHECK_THROWS_WITH_AS(CredentialProvider(c).current(), doctest::Contains("interactive"), ConfigError);
}

TEST_CASE("token file is re-read when it changes; static token and basic auth") {
  TempDir dir;
  auto file = dir.write("token", "first\n");
  ClusterConfig c;
  c.server = "https://h:1";
  c.auth.token_file = file;
  c.auth.token = "static-loses-to-file";
  CredentialProvider creds(c);
  Credentials used = creds.current();
  CHECK(used.authorization == "Bearer first");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  dir.write("token", "second");
  CHECK(creds.refresh_after_unauthorized(used));
  CHECK(creds.current().authorization == "Bearer second");
  CHECK_FALSE(creds.refresh_after_unauthorized(creds.current()));  // nothing changed: retrying is pointless

  ClusterConfig s;
  s.auth.token = "static";
  CHECK(CredentialProvider(s).current().authorization == "Bearer static");
  ClusterConfig basic;
  basic.auth.username = "admin";
  basic.auth.password = "pw";
  CHECK(CredentialProvider(basic).current().authorization == "Basic YWRtaW46cHc=");
  CHECK(CredentialProvider(ClusterConfig{}).current().authorization.empty());
}
