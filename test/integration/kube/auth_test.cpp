// Authentication and TLS against the REAL local cluster: client certificate (the admin
// kubeconfig), bearer token, token file, exec plugin, in-cluster layout; TLS verification failure.
#include "pkg/kube/client.hpp"
#include "pkg/kube/kubeconfig.hpp"
#include "support/cluster.hpp"

#include <doctest/doctest.h>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <fstream>

using namespace kb::kube;
using namespace kb::kube::itest;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {
std::string whoami(const Client& client) {
  json::value review = {{"apiVersion", "authentication.k8s.io/v1"}, {"kind", "SelfSubjectReview"}};
  auto answer = client.create(ResourceRef::of("authentication.k8s.io", "v1", "selfsubjectreviews"), review);
  return std::string(answer.at("status").at("userInfo").at("username").as_string());
}

struct ScratchDir {
  fs::path path = fs::temp_directory_path() / ("kb-kube-it-" + random_suffix());
  ScratchDir() { fs::create_directories(path); }
  ~ScratchDir() { fs::remove_all(path); }
  fs::path write(const std::string& name, const std::string& content, bool executable = false) const {
    std::ofstream(path / name) << content;
    if (executable) fs::permissions(path / name, fs::perms::owner_all);
    return path / name;
  }
};

std::string service_account_token(const Client& admin, const std::string& ns) {
  admin.create(refs::service_accounts(ns), json::object{{"apiVersion", "v1"},
                                                        {"kind", "ServiceAccount"},
                                                        {"metadata", {{"name", "kb-it"}, {"namespace", ns}}}});
  json::value request = {
      {"apiVersion", "authentication.k8s.io/v1"}, {"kind", "TokenRequest"}, {"spec", {{"expirationSeconds", 600}}}};
  auto answer = admin.create(refs::service_accounts(ns, "kb-it").sub("token"), request);
  return std::string(answer.at("status").at("token").as_string());
}
}  // namespace

TEST_CASE("client certificate from the admin kubeconfig") {
  Client admin = admin_client();
  CHECK(whoami(admin) == "kubernetes-admin");
}

TEST_CASE("bearer token, token file, exec plugin and in-cluster layout") {
  Client admin = admin_client();
  TestNamespace ns(admin);
  std::string token = service_account_token(admin, ns.name());
  const std::string expected = "system:serviceaccount:" + ns.name() + ":kb-it";
  ClusterConfig base = admin_config();
  base.tls.client_cert_pem.clear();
  base.tls.client_key_pem.clear();

  ClusterConfig with_token = base;
  with_token.auth.token = token;
  CHECK(whoami(Client(with_token)) == expected);

  ScratchDir dir;
  ClusterConfig with_file = base;
  with_file.auth.token_file = dir.write("token", token + "\n");
  CHECK(whoami(Client(with_file)) == expected);

  // An exec plugin, written as a kubeconfig would name it, with a relative command.
  dir.write("plugin.sh",
            "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
            "\"status\":{\"token\":\"%s\"}}' \"$(cat \"$TOKEN_FILE\")\"\n",
            true);
  std::string ca_data = base.tls.ca_pem;
  json::value kubeconfig = {
      {"apiVersion", "v1"},
      {"kind", "Config"},
      {"current-context", "exec"},
      {"clusters",
       json::array{{{"name", "c"}, {"cluster", {{"server", base.server}, {"certificate-authority", "ca.crt"}}}}}},
      {"contexts",
       json::array{{{"name", "exec"}, {"context", {{"cluster", "c"}, {"user", "plugin"}, {"namespace", ns.name()}}}}}},
      {"users",
       json::array{
           {{"name", "plugin"},
            {"user",
             {{"exec",
               {{"apiVersion", "client.authentication.k8s.io/v1"},
                {"command", "./plugin.sh"},
                {"interactiveMode", "Never"},
                {"env", json::array{{{"name", "TOKEN_FILE"}, {"value", (dir.path / "token").string()}}}}}}}}}}}};
  dir.write("ca.crt", ca_data);
  auto kubeconfig_file = dir.write("kubeconfig", json::serialize(kubeconfig));  // JSON is YAML
  Client exec_client = Client::from_options({.kubeconfig = kubeconfig_file.string()});
  CHECK(exec_client.default_namespace() == ns.name());
  CHECK(whoami(exec_client) == expected);

  // In-cluster: the service-account mount layout and KUBERNETES_SERVICE_*.
  fs::create_directories(dir.path / "sa");
  dir.write("sa/token", token);
  dir.write("sa/ca.crt", ca_data);
  dir.write("sa/namespace", ns.name());
  std::string server = base.server.substr(std::string("https://").size());
  setenv("KUBERNETES_SERVICE_HOST", server.substr(0, server.rfind(':')).c_str(), 1);
  setenv("KUBERNETES_SERVICE_PORT", server.substr(server.rfind(':') + 1).c_str(), 1);
  ClusterConfig in_cluster = load_in_cluster_config(dir.path / "sa");
  unsetenv("KUBERNETES_SERVICE_HOST");
  unsetenv("KUBERNETES_SERVICE_PORT");
  Client pod_client(in_cluster);
  CHECK(pod_client.default_namespace() == ns.name());
  CHECK(whoami(pod_client) == expected);
  // The service account may not list secrets: Forbidden, typed.
  try {
    pod_client.list(refs::secrets(ns.name()));
    FAIL("expected Forbidden");
  } catch (const ApiError& e) {
    CHECK(is_forbidden(e));
  }

  ClusterConfig bad_token = base;
  bad_token.auth.token = "not-a-token";
  try {
    Client(bad_token).get(refs::namespaces(ns.name()));
    FAIL("expected Unauthorized");
  } catch (const ApiError& e) {
    CHECK(is_unauthorized(e));
    CHECK(std::string(e.what()).find("not-a-token") == std::string::npos);
  }
}

TEST_CASE("TLS verification failure names the server and suggests the CA option") {
  ClusterConfig wrong = admin_config();
  wrong.tls.ca_pem.clear();  // the system trust store does not know the local cluster's CA
  wrong.tls.ca_origin.clear();
  try {
    Client(wrong).get(refs::namespaces("default"));
    FAIL("expected a TLS verification failure");
  } catch (const TransportError& e) {
    CHECK(e.kind() == TransportError::Kind::TlsVerify);
    CHECK(std::string(e.what()).find(wrong.server) != std::string::npos);
    CHECK(std::string(e.what()).find("certificate-authority") != std::string::npos);
  }
  ClusterConfig insecure = wrong;
  insecure.tls.insecure_skip_verify = true;
  CHECK_NOTHROW(Client(insecure).get(refs::namespaces("default")));
}

TEST_CASE("an unknown context lists the real ones") {
  const char* env = std::getenv("KUBECONFIG");
  std::string path = env ? env : std::string(KB_SOURCE_DIR) + "/.local-cluster/admin.kubeconfig";
  CHECK_THROWS_WITH_AS(Client::from_options({.kubeconfig = path, .context = "nope"}),
                       doctest::Contains("does not exist; the kubeconfig has:"), ConfigError);
}
