#pragma once
// Controller: the informers, the work queue and the workers around the Reconciler.
//
//   Controller controller(client, settings, log, metrics, &events);
//   controller.start_informers();           // every replica keeps a cache (the RPC gateway reads it)
//   controller.wait_for_sync(timeout);
//   controller.run_workers(stop);           // only the leader: blocks until stop is requested
//
// Owned objects (StatefulSet, Service, Pods, NetworkPolicy) map back to their network through the
// network label, so any change to them queues that network. Secrets are not watched: the
// controller's RBAC has no list/watch on Secrets (see network_credentials.hpp).
#include "pkg/controller/reconciler.hpp"
#include "pkg/kube/informer.hpp"
#include "pkg/kube/work_queue.hpp"

#include <array>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

namespace kb::controller {

struct ControllerSettings {
  int workers = 2;
  std::string watch_namespace;  // empty: all namespaces
  ReconcilerSettings reconciler;
  CredentialKey credential_key;  // load_or_create_credential_key(); user Secrets are remembered for reconciler.resync
};

class Controller {
 public:
  Controller(kube::Client client, ControllerSettings settings, observe::Logger& log, observe::MetricsRegistry& metrics,
             kube::EventRecorder* events, RpcFactory rpc_factory);
  ~Controller();

  void start_informers();
  bool wait_for_sync(std::chrono::milliseconds timeout) const;
  bool synced() const;
  void run_workers(std::stop_token stop);
  void stop_informers();

  // Read access for the RPC gateway and tests.
  const kube::Store& networks() const;
  const kube::Store& pods() const;
  const kube::Store& statefulsets() const;
  const NetworkCredentials& credentials() const { return *credentials_; }
  // Per informer (label resource): kubectl_bitcoin_informer_lists (initial list and every relist,
  // e.g. after a watch expired) and kubectl_bitcoin_informer_objects (objects in its cache).
  void publish_informer_metrics() const;
  Reconciler& reconciler() { return *reconciler_; }
  kube::WorkQueue& queue() { return queue_; }

 private:
  void enqueue_object(const kube::ObjectPtr& object, kube::Priority priority);
  void enqueue_owner(const kube::ObjectPtr& object);
  void worker(std::stop_token stop);
  void publish_queue_metrics();
  std::array<kube::Informer*, 5> informers() const;

  kube::Client client_;
  ControllerSettings settings_;
  observe::Logger& log_;
  observe::MetricsRegistry& metrics_;
  std::unique_ptr<kube::Informer> networks_;
  std::unique_ptr<kube::Informer> statefulsets_;
  std::unique_ptr<kube::Informer> services_;
  std::unique_ptr<kube::Informer> pods_;
  std::unique_ptr<kube::Informer> network_policies_;
  kube::WorkQueue queue_;
  std::unique_ptr<NetworkCredentials> credentials_;
  std::unique_ptr<Reconciler> reconciler_;
};

// The RpcFactory that opens real bitcoind connections (bitcoin::RpcClient).
RpcFactory real_rpc_factory();

}  // namespace kb::controller
