#include "pkg/kube/kubeconfig.hpp"

#include "pkg/base/base64.hpp"
#include "pkg/kube/errors.hpp"
#include "support/temp_dir.hpp"

#include <doctest/doctest.h>

#include <cstdlib>

using namespace kb::kube;
using kb::kube::testing::TempDir;

namespace {
const char* kFirst = R"(apiVersion: v1
kind: Config
current-context: ctx-a
clusters:
- name: c1
  cluster:
    server: https://first.example:6443
    certificate-authority: certs/ca.crt
contexts:
- name: ctx-a
  context: {cluster: c1, user: alice, namespace: team-a}
users:
- name: alice
  user:
    token: alice-token
)";

const char* kSecond = R"(apiVersion: v1
kind: Config
current-context: ctx-b
clusters:
- name: c1
  cluster: {server: https://second.example:6443}
- name: c2
  cluster:
    server: https://c2.example/
    insecure-skip-tls-verify: true
    tls-server-name: api.internal
contexts:
- name: ctx-a
  context: {cluster: c2, user: bob}
- name: ctx-b
  context: {cluster: c2, user: bob}
users:
- name: alice
  user: {token: overridden}
- name: bob
  user:
    tokenFile: tokens/bob
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: ./bin/get-token
      args: [--cluster, c2]
      env: [{name: FOO, value: bar}]
- name: carol
  user:
    exec: {apiVersion: client.authentication.k8s.io/v1, command: aws, interactiveMode: Never}
)";
}  // namespace

TEST_CASE("which files: --kubeconfig, else KUBECONFIG in order, else ~/.kube/config") {
  TempDir dir;
  auto a = dir.write("a", "");
  auto b = dir.write("b", "");
  auto home_config = dir.write("home/.kube/config", "");
  CHECK(kubeconfig_paths(a.string(), b.string(), dir.path() / "home") == std::vector{a});
  CHECK_THROWS_AS(kubeconfig_paths((dir.path() / "missing").string(), std::nullopt, ""), ConfigError);
  std::string env = b.string() + "::" + (dir.path() / "missing").string() + ":" + a.string() + ":" + b.string();
  CHECK(kubeconfig_paths("", env, dir.path() / "home") == std::vector{b, a});
  CHECK(kubeconfig_paths("", std::nullopt, dir.path() / "home") == std::vector{home_config});
  CHECK(kubeconfig_paths("", std::nullopt, dir.path() / "nohome").empty());
}

TEST_CASE("merge: the first file to define a name or current-context wins") {
  TempDir dir;
  auto first = dir.write("one/config", kFirst);
  auto second = dir.write("two/config", kSecond);
  dir.write("one/certs/ca.crt", "CA-PEM");
  Kubeconfig config = load_kubeconfig({first, second});
  CHECK(config.current_context == "ctx-a");
  CHECK(config.clusters.at("c1").origin == first);
  CHECK(config.contexts.size() == 2);
  CHECK(config.users.size() == 3);
  ClusterConfig resolved = resolve_kubeconfig(config, {});
  CHECK(resolved.server == "https://first.example:6443");
  CHECK(resolved.auth.token == "alice-token");
  CHECK(resolved.namespace_name == "team-a");
  CHECK(resolved.context_name == "ctx-a");
  // certificate-authority is relative to the file that names it (one/), not to the cwd.
  CHECK(resolved.tls.ca_pem == "CA-PEM");
  CHECK(resolved.tls.ca_origin.find("one/certs/ca.crt") != std::string::npos);

  Kubeconfig reversed = load_kubeconfig({second, first});
  CHECK(reversed.current_context == "ctx-b");
  CHECK(resolve_kubeconfig(reversed, {}).server == "https://c2.example");
}

TEST_CASE("overrides: context, cluster, user, namespace") {
  TempDir dir;
  dir.write("one/certs/ca.crt", "CA-PEM");
  Kubeconfig config = load_kubeconfig({dir.write("one/config", kFirst), dir.write("two/config", kSecond)});
  ClientOptions options;
  options.context = "ctx-b";
  ClusterConfig b = resolve_kubeconfig(config, options);
  CHECK(b.server == "https://c2.example");
  CHECK(b.namespace_name == "default");
  CHECK(b.tls.insecure_skip_verify);
  CHECK(b.tls.server_name == "api.internal");
  REQUIRE(b.auth.exec);
  CHECK(b.auth.exec->command == (dir.path() / "two/bin/get-token").string());
  CHECK(b.auth.exec->args == std::vector<std::string>{"--cluster", "c2"});
  CHECK(b.auth.exec->env.at(0) == std::pair<std::string, std::string>{"FOO", "bar"});
  CHECK(b.auth.exec->interactive_mode == "IfAvailable");
  CHECK(b.auth.token_file == dir.path() / "two/tokens/bob");

  options = {};
  options.user = "carol";
  options.cluster = "c2";
  options.namespace_name = "override";
  ClusterConfig carol = resolve_kubeconfig(config, options);
  CHECK(carol.server == "https://c2.example");
  CHECK(carol.namespace_name == "override");
  REQUIRE(carol.auth.exec);
  CHECK(carol.auth.exec->command == "aws");  // no '/': looked up in PATH, not resolved
  CHECK(carol.auth.token.empty());
}

TEST_CASE("an unknown context lists the ones that exist") {
  Kubeconfig config = parse_kubeconfig(kSecond, "/k/config");
  ClientOptions options;
  options.context = "nope";
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(config, options),
                       doctest::Contains("context \"nope\" does not exist; the kubeconfig has: ctx-a, ctx-b"),
                       ConfigError);
  options.context = "";
  options.user = "nobody";
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(config, options), doctest::Contains("user \"nobody\" does not exist"),
                       ConfigError);
}

TEST_CASE("inline data is decoded; bad data names the field") {
  std::string yaml = std::string(R"(
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: )") +
                     kb::base::base64_encode("CA") + R"(}}]
users: [{name: u, user: {client-certificate-data: )" +
                     kb::base::base64_encode("CERT") + ", client-key-data: " + kb::base::base64_encode("KEY") + "}}]\n";
  ClusterConfig c = resolve_kubeconfig(parse_kubeconfig(yaml, "/k"), {});
  CHECK(c.tls.ca_pem == "CA");
  CHECK(c.tls.client_cert_pem == "CERT");
  CHECK(c.tls.client_key_pem == "KEY");

  std::string bad = R"(
current-context: x
contexts: [{name: x, context: {cluster: c}}]
clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: "!!!"}}]
)";
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(parse_kubeconfig(bad, "/k/bad"), {}),
                       doctest::Contains("/k/bad: clusters[c].cluster.certificate-authority-data: is not valid base64"),
                       ConfigError);
}

TEST_CASE("malformed kubeconfigs name the file and the field") {
  CHECK_THROWS_WITH_AS(parse_kubeconfig("clusters: [\n  - name: a\n  bad", "/k/broken"),
                       doctest::Contains("/k/broken: line"), ConfigError);
  CHECK_THROWS_WITH_AS(parse_kubeconfig("clusters: {a: 1}", "/k/c"),
                       doctest::Contains("/k/c: clusters: expected a list"), ConfigError);
  std::string wrong_type = R"(
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: u, user: {token: [1, 2]}}]
)";
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(parse_kubeconfig(wrong_type, "/k/w"), {}),
                       doctest::Contains("/k/w: users[u].user.token: expected a string"), ConfigError);
  std::string no_mode = R"(
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: u, user: {exec: {apiVersion: client.authentication.k8s.io/v1, command: x}}}]
)";
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(parse_kubeconfig(no_mode, "/k/e"), {}),
                       doctest::Contains("users[u].user.exec.interactiveMode: is required"), ConfigError);
  std::string both = R"(
current-context: x
contexts: [{name: x, context: {cluster: c}}]
clusters: [{name: c, cluster: {server: "https://h:1", insecure-skip-tls-verify: true, certificate-authority-data: Q0E=}}]
)";
  CHECK_THROWS_AS(resolve_kubeconfig(parse_kubeconfig(both, "/k/b"), {}), ConfigError);
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(parse_kubeconfig("clusters: []", "/k/empty"), {}),
                       doctest::Contains("no context is set"), ConfigError);
}

TEST_CASE("describe() names the server and context but no secret") {
  Kubeconfig config = parse_kubeconfig(R"(
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h:1"}}]
users: [{name: u, user: {token: s3cr3t-token, username: admin, password: hunter2}}]
)",
                                       "/k/config");
  ClusterConfig c = resolve_kubeconfig(config, {});
  CHECK(c.describe() == "https://h:1 (context x from kubeconfig /k/config)");
  CHECK(c.describe().find("s3cr3t") == std::string::npos);
}

// A kubeconfig for the KUBECONFIG tests: one context, one cluster at https://env.example:6443.
const char* const kEnvConfig = R"(
current-context: x
contexts: [{name: x, context: {cluster: c}}]
clusters: [{name: c, cluster: {server: "https://env.example:6443"}}]
)";

TEST_CASE("load_cluster_config: KUBECONFIG from the environment, then in-cluster") {
  TempDir dir;
  auto file = dir.write("cfg", kEnvConfig);
  setenv("KUBECONFIG", file.string().c_str(), 1);
  ClientOptions options;
  options.qps = 50;
  options.burst = 100;
  ClusterConfig c = load_cluster_config(options);
  CHECK(c.server == "https://env.example:6443");
  CHECK(c.qps == 50);
  CHECK(c.burst == 100);
  unsetenv("KUBECONFIG");
}

TEST_CASE(
    "load_cluster_config: KUBECONFIG naming only missing files is an error naming them; one missing entry is skipped") {
  TempDir dir;
  auto file = dir.write("cfg", kEnvConfig);
  const std::string missing = (dir.path() / "missing.yaml").string();
  const std::string also_missing = (dir.path() / "also-missing.yaml").string();
  setenv("KUBECONFIG", (missing + ":" + also_missing).c_str(), 1);
  try {
    load_cluster_config({});
    FAIL("no error for a KUBECONFIG naming only missing files");
  } catch (const ConfigError& e) {
    CHECK(e.source() == "KUBECONFIG");
    CHECK(std::string(e.what()).find(missing) != std::string::npos);
    CHECK(std::string(e.what()).find(also_missing) != std::string::npos);
  }
  setenv("KUBECONFIG", (missing + ":" + file.string()).c_str(), 1);  // kubectl skips the missing entry
  CHECK(load_cluster_config({}).server == "https://env.example:6443");
  unsetenv("KUBECONFIG");
}

TEST_CASE("in-cluster config: service host/port, token file, CA and namespace") {
  TempDir dir;
  dir.write("sa/token", "sa-token\n");
  dir.write("sa/ca.crt", "CLUSTER-CA");
  dir.write("sa/namespace", "kube-bitcoin\n");
  setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
  setenv("KUBERNETES_SERVICE_PORT", "443", 1);
  ClusterConfig c = load_in_cluster_config(dir.path() / "sa");
  CHECK(c.server == "https://[fd00::1]:443");
  CHECK(c.namespace_name == "kube-bitcoin");
  CHECK(c.tls.ca_pem == "CLUSTER-CA");
  CHECK(c.auth.token_file == dir.path() / "sa/token");
  CHECK(c.origin == "in-cluster");
  unsetenv("KUBERNETES_SERVICE_HOST");
  CHECK_THROWS_AS(load_in_cluster_config(dir.path() / "sa"), ConfigError);
  unsetenv("KUBERNETES_SERVICE_PORT");
}

TEST_CASE("kubectl's connection flags override the kubeconfig") {
  TempDir dir;
  auto ca = dir.write("flag-ca.crt", "FLAG-CA");
  Kubeconfig config = parse_kubeconfig(R"(
current-context: x
contexts: [{name: x, context: {cluster: c, user: u}}]
clusters: [{name: c, cluster: {server: "https://h:1", certificate-authority-data: Q0E=}}]
users: [{name: u, user: {client-certificate-data: Q0VSVA==, client-key-data: S0VZ}}]
)",
                                       "/k/config");
  ClientOptions options;
  options.server = "https://other:6443/";
  options.certificate_authority = ca.string();
  options.tls_server_name = "api.example";
  options.token = "flag-token";
  ClusterConfig c = resolve_kubeconfig(config, options);
  CHECK(c.server == "https://other:6443");
  CHECK(c.tls.ca_pem == "FLAG-CA");
  CHECK(c.tls.ca_origin.find("--certificate-authority") == 0);
  CHECK(c.tls.server_name == "api.example");
  CHECK(c.auth.token == "flag-token");
  CHECK(c.tls.client_cert_pem.empty());  // --token replaces the user's credentials

  ClientOptions insecure;
  insecure.insecure_skip_tls_verify = true;
  ClusterConfig i = resolve_kubeconfig(config, insecure);
  CHECK(i.tls.insecure_skip_verify);
  CHECK(i.tls.ca_pem.empty());
  CHECK(i.tls.client_cert_pem == "CERT");

  ClientOptions bad;
  bad.certificate_authority = (dir.path() / "missing.crt").string();
  CHECK_THROWS_WITH_AS(resolve_kubeconfig(config, bad), doctest::Contains("--certificate-authority"), ConfigError);
}
