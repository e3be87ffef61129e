#pragma once
// Helpers for the pkg/kube integration tests, which run against the REAL local cluster
// (hack/local-cluster.sh; KUBECONFIG from `hack/local-cluster.sh env`).
//
//   admin_config()        the admin kubeconfig resolved (client-certificate auth)
//   TestNamespace ns(c)   a fresh namespace, deleted at the end of the test
//   TcpProxy proxy(...)   a byte pipe in front of the API server that a test can cut, to play
//                         "the API server restarted / the network dropped" without touching the cluster
//   compact_etcd()        compacts etcd at its current revision (old resourceVersions expire)
#include "pkg/kube/client.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <thread>

namespace kb::kube::itest {

ClusterConfig admin_config();
Client admin_client();
std::string random_suffix();

class TestNamespace {
 public:
  explicit TestNamespace(Client client, const std::string& prefix = "kb-kube-it");
  ~TestNamespace();
  const std::string& name() const { return name_; }

 private:
  Client client_;
  std::string name_;
};

class TcpProxy {
 public:
  TcpProxy(std::string target_host, int target_port);
  ~TcpProxy();
  int port() const;
  void sever();                    // close every connection now open
  void set_refusing(bool refuse);  // new connections are closed at once while true
  std::size_t accepted() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

// The revision etcd compacted to.
std::int64_t compact_etcd();

// A namespaced CRD "widgets.<group>" (kind Widget, version v1, status and scale subresources, a
// schema with spec.replicas >= 0); returns once the API server serves it. A fresh CRD also means a
// fresh watch cache on the API server: resourceVersions from before it are expired there.
ResourceRef install_widget_crd(const Client& client, const std::string& group);
// Deletes the CRD and waits until it (and every Widget) is gone.
void uninstall_widget_crd(const Client& client, const std::string& group);
// A group name unique to this run, under kubectl-bitcoin.test.
std::string unique_test_group();

template <class P>
bool eventually(P predicate, std::chrono::milliseconds timeout,
                std::chrono::milliseconds step = std::chrono::milliseconds(50)) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (predicate()) return true;
    std::this_thread::sleep_for(step);
  }
  return predicate();
}

}  // namespace kb::kube::itest
