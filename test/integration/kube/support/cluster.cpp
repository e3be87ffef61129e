#include "cluster.hpp"

#include "pkg/kube/discovery.hpp"
#include "pkg/kube/kubeconfig.hpp"

#include <boost/json/parse.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <stdexcept>
#include <vector>

namespace kb::kube::itest {
namespace json = boost::json;

ClusterConfig admin_config() {
  std::string path;
  if (const char* env = std::getenv("KUBECONFIG"); env && *env) {
    path = env;
  } else if (std::filesystem::exists(std::string(KB_SOURCE_DIR) + "/.local-cluster/admin.kubeconfig")) {
    path = std::string(KB_SOURCE_DIR) + "/.local-cluster/admin.kubeconfig";
  } else {
    throw std::runtime_error("no cluster: run `hack/local-cluster.sh up` and `eval \"$(hack/local-cluster.sh env)\"`");
  }
  ClientOptions options;
  options.kubeconfig = path;
  options.qps = 100;
  options.burst = 200;
  options.request_timeout = std::chrono::seconds(30);
  return load_cluster_config(options);
}

Client admin_client() { return Client(admin_config()); }

std::string random_suffix() {
  static std::mt19937 rng(std::random_device{}());
  static const char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::string s;
  for (int i = 0; i < 6; ++i) s.push_back(kAlphabet[rng() % 36]);
  return s;
}

TestNamespace::TestNamespace(Client client, const std::string& prefix)
    : client_(std::move(client)), name_(prefix + "-" + random_suffix()) {
  client_.create(refs::namespaces(), json::object{{"apiVersion", "v1"},
                                                  {"kind", "Namespace"},
                                                  {"metadata", {{"name", name_}, {"labels", {{"kb-test", "kube"}}}}}});
}

TestNamespace::~TestNamespace() {
  try {
    client_.remove(refs::namespaces(name_), {.propagation_policy = "Background"});
  } catch (...) {
  }
}

// ---------------------------------------------------------------- TcpProxy

struct TcpProxy::Impl {
  std::string host;
  int target_port;
  int listen_fd = -1;
  int port = 0;
  int wake[2] = {-1, -1};
  std::atomic<bool> stopping{false};
  std::atomic<bool> refusing{false};
  mutable std::mutex mutex;
  std::set<int> fds;
  std::vector<std::thread> pumps;
  std::thread acceptor;
  std::size_t accepted = 0;

  void pump(int client, int upstream) {
    pollfd p[2] = {{client, POLLIN, 0}, {upstream, POLLIN, 0}};
    char buffer[16384];
    for (;;) {
      if (poll(p, 2, 200) < 0) break;
      if (stopping) break;
      bool done = false;
      for (int i = 0; i < 2 && !done; ++i) {
        if (!(p[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t n = ::recv(p[i].fd, buffer, sizeof buffer, 0);
        if (n <= 0) {
          done = true;
          break;
        }
        int to = p[1 - i].fd;
        for (ssize_t off = 0; off < n;) {
          ssize_t w = ::send(to, buffer + off, std::size_t(n - off), MSG_NOSIGNAL);
          if (w <= 0) {
            done = true;
            break;
          }
          off += w;
        }
      }
      if (done) break;
    }
    std::lock_guard lock(mutex);
    fds.erase(client);
    fds.erase(upstream);
    close(client);
    close(upstream);
  }
};

TcpProxy::TcpProxy(std::string target_host, int target_port) : impl_(std::make_unique<Impl>()) {
  auto& impl = *impl_;
  impl.host = std::move(target_host);
  impl.target_port = target_port;
  impl.listen_fd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(impl.listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(impl.listen_fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || listen(impl.listen_fd, 64) != 0)
    throw std::runtime_error("proxy: cannot listen");
  socklen_t len = sizeof addr;
  getsockname(impl.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len);
  impl.port = ntohs(addr.sin_port);
  if (pipe(impl.wake) != 0) throw std::runtime_error("proxy: pipe");
  impl.acceptor = std::thread([&impl] {
    for (;;) {
      pollfd p[2] = {{impl.listen_fd, POLLIN, 0}, {impl.wake[0], POLLIN, 0}};
      if (poll(p, 2, -1) < 0 || impl.stopping) return;
      if (!(p[0].revents & POLLIN)) continue;
      int client = accept(impl.listen_fd, nullptr, nullptr);
      if (client < 0) continue;
      if (impl.refusing) {
        close(client);
        continue;
      }
      int upstream = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in target{};
      target.sin_family = AF_INET;
      target.sin_port = htons(std::uint16_t(impl.target_port));
      inet_pton(AF_INET, impl.host.c_str(), &target.sin_addr);
      if (connect(upstream, reinterpret_cast<sockaddr*>(&target), sizeof target) != 0) {
        close(client);
        close(upstream);
        continue;
      }
      std::lock_guard lock(impl.mutex);
      ++impl.accepted;
      impl.fds.insert(client);
      impl.fds.insert(upstream);
      impl.pumps.emplace_back([&impl, client, upstream] { impl.pump(client, upstream); });
    }
  });
}

TcpProxy::~TcpProxy() {
  auto& impl = *impl_;
  impl.stopping = true;
  if (write(impl.wake[1], "x", 1) < 0) {
  }
  impl.acceptor.join();
  sever();
  std::vector<std::thread> pumps;
  {
    std::lock_guard lock(impl.mutex);
    pumps.swap(impl.pumps);
  }
  for (auto& t : pumps) t.join();
  close(impl.listen_fd);
  close(impl.wake[0]);
  close(impl.wake[1]);
}

int TcpProxy::port() const { return impl_->port; }

void TcpProxy::sever() {
  std::lock_guard lock(impl_->mutex);
  for (int fd : impl_->fds) shutdown(fd, SHUT_RDWR);
}

void TcpProxy::set_refusing(bool refuse) { impl_->refusing = refuse; }

std::size_t TcpProxy::accepted() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->accepted;
}

// ---------------------------------------------------------------- etcd

std::int64_t compact_etcd() {
  // etcd's JSON gateway over plain HTTP; our own Client speaks http:// as well.
  ClusterConfig etcd;
  const char* port = std::getenv("LOCAL_CLUSTER_ETCD_PORT");
  etcd.server = std::string("http://127.0.0.1:") + (port ? port : "23790");
  etcd.qps = 0;
  Client client(etcd);
  auto range = json::parse(client.request("POST", "/v3/kv/range", R"({"key":"AA==","range_end":"AA=="})"));
  std::int64_t revision = std::stoll(std::string(range.at("header").at("revision").as_string()));
  client.request("POST", "/v3/kv/compaction", R"({"revision":")" + std::to_string(revision) + R"(","physical":true})");
  return revision;
}

// ---------------------------------------------------------------- CRDs

std::string unique_test_group() { return "kube-it-" + random_suffix() + ".kubectl-bitcoin.test"; }

ResourceRef install_widget_crd(const Client& client, const std::string& group) {
  json::value crd = json::parse(R"({
    "apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
    "metadata": {"name": ""},
    "spec": {"group": "", "scope": "Namespaced",
      "names": {"plural": "widgets", "singular": "widget", "kind": "Widget", "listKind": "WidgetList"},
      "versions": [{"name": "v1", "served": true, "storage": true,
        "subresources": {"status": {}, "scale": {"specReplicasPath": ".spec.replicas", "statusReplicasPath": ".status.replicas"}},
        "schema": {"openAPIV3Schema": {"type": "object", "properties": {
          "spec": {"type": "object", "properties": {"replicas": {"type": "integer", "minimum": 0}, "color": {"type": "string"}}},
          "status": {"type": "object", "properties": {"replicas": {"type": "integer"}, "phase": {"type": "string"}}}}}}}]}})");
  crd.at("metadata").as_object()["name"] = "widgets." + group;
  crd.at("spec").as_object()["group"] = group;
  client.create(refs::custom_resource_definitions(), crd);
  ResourceRef widgets = ResourceRef::of(group, "v1", "widgets");
  Discovery discovery(client);
  bool served = eventually(
      [&] {
        discovery.invalidate();
        if (!discovery.has_resource(group, "v1", "widgets")) return false;
        try {
          client.list(widgets);
          return true;
        } catch (const ApiError&) {
          return false;
        }
      },
      std::chrono::seconds(60), std::chrono::milliseconds(200));
  if (!served) throw std::runtime_error("the CRD widgets." + group + " was not served within 60 s");
  return widgets;
}

void uninstall_widget_crd(const Client& client, const std::string& group) {
  auto ref = refs::custom_resource_definitions("widgets." + group);
  try {
    client.remove(ref);
  } catch (const ApiError& e) {
    if (!is_not_found(e)) throw;
  }
  if (!eventually([&] { return !client.get_if_exists(ref); }, std::chrono::seconds(60), std::chrono::milliseconds(200)))
    throw std::runtime_error("the CRD widgets." + group + " was not deleted within 60 s");
}

}  // namespace kb::kube::itest
