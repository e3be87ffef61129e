#include "pkg/controller/controller.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/bitcoin/rpc_client.hpp"
#include "pkg/controller/applied_fields.hpp"
#include "pkg/controller/cached_pod.hpp"
#include "pkg/kube/resource_ref.hpp"

#include <boost/json.hpp>

#include <thread>

namespace kb::controller {
namespace json = boost::json;

RpcFactory real_rpc_factory() {
  return [](const std::string& host, int port, const RpcCredentials& creds,
            std::chrono::milliseconds call_timeout) -> std::unique_ptr<bitcoin::RpcCaller> {
    bitcoin::RpcEndpoint endpoint{host, static_cast<std::uint16_t>(port),
                                  bitcoin::UserPassword{creds.user, creds.password}, "/"};
    bitcoin::RpcClientOptions options;
    options.connect_timeout = std::min<std::chrono::milliseconds>(std::chrono::seconds(3), call_timeout);
    options.call_timeout = call_timeout;
    return std::make_unique<bitcoin::RpcClient>(std::move(endpoint), options);
  };
}

namespace {
const std::string kManagedSelector = "app.kubernetes.io/managed-by=kubectl-bitcoin";
}

Controller::Controller(kube::Client client, ControllerSettings settings, observe::Logger& log,
                       observe::MetricsRegistry& metrics, kube::EventRecorder* events, RpcFactory rpc_factory)
    : client_(std::move(client)),
      settings_(std::move(settings)),
      log_(log),
      metrics_(metrics),
      queue_(kube::WorkQueueOptions{.name = "bitcoinnetworks"}) {
  const auto& ns = settings_.watch_namespace;
  auto on_error = [this](const std::string& what) { log_.warn("watch failed; retrying", {{"error", what}}); };
  auto make = [&](kube::ResourceRef collection, std::string selector,
                  std::function<void(json::value&)> transform = kube::drop_managed_fields) {
    kube::InformerOptions options;
    options.collection = std::move(collection);
    options.label_selector = std::move(selector);
    options.on_error = on_error;
    options.transform = std::move(transform);
    return std::make_unique<kube::Informer>(client_, std::move(options));
  };
  // What the controller applies keeps its own managedFields entry (see holds_applied).
  const auto applied = keep_own_applied_fields(std::string(api::kFieldManager));
  networks_ = make(
      kube::ResourceRef::of(std::string(api::kGroup), std::string(api::kVersion), std::string(api::kPlural)).in(ns),
      "");
  statefulsets_ = make(kube::refs::stateful_sets(ns), kManagedSelector, applied);
  services_ = make(kube::refs::services(ns), kManagedSelector, applied);
  pods_ = make(kube::refs::pods(ns), std::string(api::kNetworkLabel), keep_pod_fields_read);
  network_policies_ = make(kube::refs::network_policies(ns), kManagedSelector, applied);
  pods_->store().add_index(kPodsByNetworkIndex, index_by_network());

  // What users do to a network (create, change its spec, delete) goes before routine work: polls of
  // nodes that do not answer can keep both workers busy, and a new network must not wait for them.
  // Updates of the status alone (the controller's own writes) are routine.
  networks_->add_handlers({.on_add = [this](const kube::ObjectPtr& o) { enqueue_object(o, kube::Priority::High); },
                           .on_update =
                               [this](const kube::ObjectPtr& old_object, const kube::ObjectPtr& o) {
                                 enqueue_object(o, kube::spec_or_lifecycle_changed(*old_object, *o)
                                                       ? kube::Priority::High
                                                       : kube::Priority::Normal);
                               },
                           .on_delete = [this](const kube::ObjectPtr& o) { enqueue_object(o, kube::Priority::High); }});
  for (auto* informer : {statefulsets_.get(), services_.get(), pods_.get(), network_policies_.get()}) {
    informer->add_handlers({.on_add = [this](const kube::ObjectPtr& o) { enqueue_owner(o); },
                            .on_update = [this](const kube::ObjectPtr&, const kube::ObjectPtr& o) { enqueue_owner(o); },
                            .on_delete = [this](const kube::ObjectPtr& o) { enqueue_owner(o); }});
  }
  ReconcilerCaches caches{&networks_->store(), &statefulsets_->store(), &services_->store(), &pods_->store(),
                          &network_policies_->store()};
  credentials_ = std::make_unique<NetworkCredentials>(
      settings_.credential_key,
      [client = client_](const std::string& secret_ns, const std::string& name) {
        return client.get_if_exists(kube::refs::secrets(secret_ns, name));
      },
      settings_.reconciler.resync);
  reconciler_ = std::make_unique<Reconciler>(client_, caches, std::move(rpc_factory), events, log_, metrics_,
                                             settings_.reconciler, *credentials_);
}

Controller::~Controller() {
  queue_.shut_down();
  stop_informers();
}

void Controller::enqueue_object(const kube::ObjectPtr& object, kube::Priority priority) {
  queue_.add(kube::object_key(*object), priority);
}

void Controller::enqueue_owner(const kube::ObjectPtr& object) {
  for (const auto& key : index_by_network()(*object)) queue_.add(key);
}

std::array<kube::Informer*, 5> Controller::informers() const {
  return {networks_.get(), statefulsets_.get(), services_.get(), pods_.get(), network_policies_.get()};
}

void Controller::publish_informer_metrics() const {
  for (auto* informer : informers()) {
    observe::Labels labels{{"resource", informer->options().collection.resource}};
    metrics_.gauge("kubectl_bitcoin_informer_lists", "Lists of an informer: the first and every relist.", labels)
        .set(static_cast<double>(informer->reflector().list_count()));
    metrics_.gauge("kubectl_bitcoin_informer_objects", "Objects in an informer's cache.", labels)
        .set(static_cast<double>(informer->store().size()));
  }
}

void Controller::start_informers() {
  for (auto* informer : informers()) {
    informer->start();
  }
}

void Controller::stop_informers() {
  for (auto* informer : informers()) {
    if (informer) informer->stop();
  }
}

bool Controller::synced() const {
  for (auto* informer : informers()) {
    if (!informer->has_synced()) return false;
  }
  return true;
}

bool Controller::wait_for_sync(std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (auto* informer : informers()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || !informer->wait_for_sync(left)) return false;
  }
  return true;
}

const kube::Store& Controller::networks() const { return networks_->store(); }
const kube::Store& Controller::pods() const { return pods_->store(); }
const kube::Store& Controller::statefulsets() const { return statefulsets_->store(); }

void Controller::publish_queue_metrics() {
  auto m = queue_.metrics();
  metrics_.gauge("kubectl_bitcoin_workqueue_depth", "Keys waiting in the work queue.")
      .set(static_cast<double>(m.depth));
  metrics_.gauge("kubectl_bitcoin_workqueue_adds", "Keys added to the work queue (total).")
      .set(static_cast<double>(m.adds));
  metrics_.gauge("kubectl_bitcoin_workqueue_retries", "Rate-limited re-adds (total).")
      .set(static_cast<double>(m.retries));
}

void Controller::worker(std::stop_token stop) {
  while (!stop.stop_requested()) {
    auto key = queue_.get();
    if (!key) return;
    auto started = std::chrono::steady_clock::now();
    std::string result = "success";
    try {
      auto requeue = reconciler_->reconcile(*key);
      queue_.forget(*key);
      if (!requeue.awaits_change()) queue_.add_after(*key, requeue.delay());
    } catch (const std::exception& e) {
      result = "error";
      log_.warn("reconcile failed; will retry with back-off",
                {{"network", *key}, {"error", e.what()}, {"retries", std::to_string(queue_.num_requeues(*key))}});
      queue_.add_rate_limited(*key);
    }
    queue_.done(*key);
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    metrics_.counter("kubectl_bitcoin_reconcile_total", "Reconciles by result.", {{"result", result}}).inc();
    metrics_.histogram("kubectl_bitcoin_reconcile_duration_seconds", "Time spent in one reconcile.").observe(seconds);
    publish_queue_metrics();
  }
}

void Controller::run_workers(std::stop_token stop) {
  log_.info("starting workers", {{"workers", std::to_string(settings_.workers)}});
  // Queue every known network once: after a leader change nothing else would trigger them.
  for (const auto& object : networks_->store().list()) enqueue_object(object, kube::Priority::Normal);
  std::vector<std::jthread> threads;
  for (int i = 0; i < settings_.workers; ++i) {
    threads.emplace_back([this](std::stop_token s) { worker(s); });
  }
  std::stop_callback on_stop(stop, [this] { queue_.shut_down(); });
  for (auto& t : threads) t.join();
  log_.info("workers stopped");
}

}  // namespace kb::controller
