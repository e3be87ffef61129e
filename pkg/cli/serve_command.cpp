#include "pkg/cli/serve_command.hpp"

#include "pkg/base/duration.hpp"
#include "pkg/base/version_info.hpp"
#include "pkg/bitcoin/gateway_handler.hpp"
#include "pkg/bitcoin/method_policy.hpp"
#include "pkg/bitcoin/rpc_gateway.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/controller/cached_node_directory.hpp"
#include "pkg/controller/controller.hpp"
#include "pkg/controller/credential_key.hpp"
#include "pkg/kube/event_recorder.hpp"
#include "pkg/kube/leader_elector.hpp"
#include "pkg/observe/http_server.hpp"
#include "pkg/observe/logger.hpp"
#include "pkg/observe/metrics.hpp"

#include <CLI/CLI.hpp>

#include <sys/prctl.h>
#include <unistd.h>
#include <condition_variable>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <thread>

namespace kb::cli {
namespace {

struct ServeOptions {
  int workers = 2;
  std::string resync = "30s";
  std::string log_level = "info";
  std::string log_format = "json";
  std::string watch_namespace;
  bool leader_elect = false;
  std::string leader_election_namespace;
  std::string leader_election_id = "kubectl-bitcoin-controller";
  std::string metrics_address = ":8080";
  std::string gateway_address = ":8334";
  std::vector<std::string> gateway_allow_methods;
  std::vector<std::string> gateway_deny_methods;
  int gateway_max_calls = 16;
  int gateway_max_calls_per_network = 4;
  std::string gateway_call_timeout = "30s";
  int gateway_max_connections = 256;
  // No client-side limit by default: a controller's concurrency is already bounded (one request
  // at a time per worker, plus the watches, the event recorder and the Lease), and API priority
  // and fairness (on by default since Kubernetes 1.20) protects the API server; SIG API
  // Machinery's advice, and controller-runtime's default since v0.21. 50 QPS was the bottleneck
  // of a 1000-network burst. A positive --kube-api-qps brings the token bucket back.
  double qps = 0;
  int burst = 100;
  bool network_policy = true;
  std::vector<std::string> allowed_images;
  std::string credential_key_secret = "bitcoin-controller-credential-key";
};

std::string env_or(const char* name, std::string fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::string(value) : std::move(fallback);
}

// The namespace of the controller's pod: where its credential key and Lease live, and the only
// namespace whose pods the per-network NetworkPolicies admit to bitcoind's RPC port. The downward
// API's POD_NAMESPACE (the chart sets it), else the service account's namespace file; nullopt
// outside a cluster (development).
std::optional<std::string> pod_namespace() {
  if (auto ns = env_or("POD_NAMESPACE", ""); !ns.empty()) return ns;
  std::ifstream file("/var/run/secrets/kubernetes.io/serviceaccount/namespace");
  std::string ns;
  if (file && std::getline(file, ns) && !ns.empty()) return ns;
  return std::nullopt;
}

std::string host_name() {
  char buffer[256] = {};
  ::gethostname(buffer, sizeof buffer - 1);
  return buffer;
}

// This process's name in the Lease, Events and the User-Agent: the pod (or host) name and a random
// suffix, as client-go's controllers do. The suffix makes each process a new candidate: two
// processes on one host never share an identity, and a restarted pod does not silently resume the
// term its crashed predecessor held.
std::string process_identity() {
  std::random_device random;
  char suffix[9] = {};
  std::snprintf(suffix, sizeof suffix, "%08x", static_cast<unsigned>(random()));
  return env_or("POD_NAME", host_name()) + "_" + suffix;
}

// Turns SIGTERM/SIGINT into a stop request. The signals are blocked in every thread (this must be
// constructed before any other thread starts) and received by one thread with sigwait; the
// destructor wakes that thread so that an early return or an exception never hangs on it.
//
// An orderly shutdown takes a second or two; one held up by a hung connection (a request to an API
// server that stopped answering waits up to the request timeout) must not outlast the 10 s a
// replica is given: after kShutdownLimit the process exits at once with kExitFailure, without
// releasing the Lease. That is safe: it writes nothing more, and the standby takes the Lease when
// it expires, as after a crash.
class SignalStopper {
 public:
  static constexpr std::chrono::seconds kShutdownLimit{9};

  SignalStopper(std::stop_source& source, observe::Logger& log) {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    thread_ = std::thread([this, signals, &source, &log] {
      int received = 0;
      sigwait(&signals, &received);
      if (closing_) return;
      log.info("signal received; shutting down", {{"signal", received == SIGTERM ? "SIGTERM" : "SIGINT"}});
      source.request_stop();
      std::unique_lock lock(mutex_);
      if (finished_.wait_for(lock, kShutdownLimit, [this] { return closing_.load(); })) return;
      log.error("shutdown did not finish in time; exiting without releasing the Lease (it expires by itself)",
                {{"limit", std::to_string(kShutdownLimit.count()) + "s"}});
      std::_Exit(kExitFailure);
    });
  }
  ~SignalStopper() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
    }
    finished_.notify_all();
    pthread_kill(thread_.native_handle(), SIGTERM);  // wakes sigwait; blocked (pending) otherwise
    thread_.join();
  }
  SignalStopper(const SignalStopper&) = delete;
  SignalStopper& operator=(const SignalStopper&) = delete;

 private:
  std::atomic<bool> closing_{false};
  std::mutex mutex_;
  std::condition_variable finished_;
  std::thread thread_;
};

bitcoin::RpcGatewayOptions gateway_options_from(const ServeOptions& options) {
  bitcoin::RpcGatewayOptions gateway;
  auto [host, port] = observe::parse_listen_address(options.gateway_address);
  gateway.bind_address = host;
  gateway.port = port;
  try {
    gateway.policy.methods = bitcoin::MethodPolicy(options.gateway_allow_methods, options.gateway_deny_methods);
  } catch (const std::invalid_argument& e) {
    throw UsageError(std::string("--gateway-allow-method/--gateway-deny-method: ") + e.what());
  }
  if (options.gateway_max_calls < 1 || options.gateway_max_calls > 256) {
    throw UsageError("--gateway-max-calls must be between 1 and 256");
  }
  if (options.gateway_max_calls_per_network < 1 || options.gateway_max_calls_per_network > options.gateway_max_calls) {
    throw UsageError("--gateway-max-calls-per-network must be between 1 and --gateway-max-calls");
  }
  if (options.gateway_max_connections < 8 || options.gateway_max_connections > 10000) {
    throw UsageError("--gateway-max-connections must be between 8 and 10000");
  }
  auto call_timeout = base::parse_duration(options.gateway_call_timeout);
  if (!call_timeout || call_timeout->count() < 1000) {
    throw UsageError("--gateway-call-timeout must be a duration of at least 1s, e.g. 30s");
  }
  gateway.limits = {.total = std::size_t(options.gateway_max_calls),
                    .per_network = std::size_t(options.gateway_max_calls_per_network)};
  gateway.max_connections = std::size_t(options.gateway_max_connections);
  gateway.node.call_timeout = *call_timeout;
  return gateway;
}

controller::ControllerSettings controller_settings(const ServeOptions& options, std::chrono::milliseconds resync,
                                                   std::string controller_namespace,
                                                   controller::CredentialKey credential_key) {
  controller::ControllerSettings settings;
  settings.workers = options.workers;
  settings.watch_namespace = options.watch_namespace;
  settings.reconciler.resync = resync;
  settings.reconciler.network_policy = options.network_policy;
  settings.reconciler.controller_namespace = std::move(controller_namespace);
  settings.reconciler.images.allowed_repositories = options.allowed_images;
  settings.credential_key = std::move(credential_key);
  return settings;
}

// /metrics, /healthz, /livez and /readyz (ready once the informers have synced).
observe::HttpHandler health_handler(observe::MetricsRegistry& metrics, const std::atomic<bool>& leading,
                                    const controller::Controller& controller) {
  return [&metrics, &leading, &controller](const observe::HttpRequest& request) -> observe::HttpResponse {
    auto path = request.target.substr(0, request.target.find('?'));
    if (path == "/metrics") {
      metrics.gauge("kubectl_bitcoin_leader", "1 when this replica runs the workers.").set(leading ? 1 : 0);
      controller.publish_informer_metrics();
      return {200, "text/plain; version=0.0.4; charset=utf-8", metrics.expose(), {}};
    }
    if (path == "/healthz" || path == "/livez") return {200, "text/plain; charset=utf-8", "ok\n", {}};
    if (path == "/readyz") {
      if (controller.synced()) return {200, "text/plain; charset=utf-8", "ok\n", {}};
      return {503, "text/plain; charset=utf-8", "informers not synced\n", {}};
    }
    return {404, "text/plain; charset=utf-8", "not found\n", {}};
  };
}

// The RPC gateway runs on every replica: it reads the caches, which every replica keeps.
std::unique_ptr<bitcoin::RpcGateway> start_gateway(const ServeOptions& options,
                                                   const bitcoin::RpcGatewayOptions& gateway_options,
                                                   controller::CachedNodeDirectory& directory, observe::Logger& log) {
  auto gateway = std::make_unique<bitcoin::RpcGateway>(gateway_options, directory, bitcoin::log_gateway_calls_to(log));
  gateway->start();
  std::string allowed, denied;
  for (const auto& m : gateway_options.policy.methods.extra_allowed()) allowed += (allowed.empty() ? "" : ",") + m;
  for (const auto& m : gateway_options.policy.methods.extra_denied()) denied += (denied.empty() ? "" : ",") + m;
  log.info("serving the RPC gateway", {{"address", options.gateway_address},
                                       {"extraAllowedMethods", allowed},
                                       {"extraDeniedMethods", denied},
                                       {"maxCalls", std::to_string(options.gateway_max_calls)},
                                       {"maxCallsPerNetwork", std::to_string(options.gateway_max_calls_per_network)}});
  return gateway;
}

// Runs the workers while this replica leads. Returns false when leadership was lost (the process
// should exit), true when stopped. `fence` is the write fence of the controller's and the event
// recorder's client: open only within this replica's terms.
bool run_elected(const ServeOptions& options, const kube::Client& client, const std::string& lease_namespace,
                 const std::string& identity, controller::Controller& controller, kube::EventRecorder& events,
                 std::shared_ptr<kube::WriteFence> fence, std::atomic<bool>& leading, std::stop_source& stop,
                 observe::Logger& log) {
  kube::LeaderElector elector(client,
                              {.lease_namespace = lease_namespace,
                               .lease_name = options.leader_election_id,
                               .identity = identity,
                               .exit_on_loss = true,  // like kube-controller-manager: a fresh process campaigns again
                               .write_fence = std::move(fence),
                               .on_started_leading =
                                   [&](std::stop_token lead) {
                                     leading = true;
                                     log.info("became leader", {{"identity", identity}});
                                     controller.run_workers(lead);
                                     // On shutdown the term is still open: post the last Events
                                     // before the Lease is released (after a loss they are refused).
                                     if (stop.stop_requested()) events.flush();
                                   },
                               .on_stopped_leading =
                                   [&] {
                                     leading = false;
                                     log.info("stopped leading", {{"identity", identity}});
                                   },
                               .on_new_leader =
                                   [&](const std::string& leader) {
                                     log.info("leader is", {{"identity", leader}});
                                   },
                               .on_error =
                                   [&](const std::string& e) {
                                     log.warn("leader election", {{"error", e}});
                                   }});
  elector.run(stop.get_token());
  if (!stop.stop_requested()) {
    log.error("lost leadership; exiting so that a fresh process can campaign again");
    return false;
  }
  return true;
}

int run_serve(Context& context, const ServeOptions& options) {
  // The controller caches every network's Secret (RPC credentials); a core dump or a ptrace by
  // another process of the same user must not be a way to read them.
  const bool undumpable = ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == 0;
  auto level = observe::parse_log_level(options.log_level);
  auto format = observe::parse_log_format(options.log_format);
  if (options.workers < 1 || options.workers > 64) throw UsageError("--workers must be between 1 and 64");
  if (auto problem = client_rate_limit_problem(options.qps, options.burst); !problem.empty()) throw UsageError(problem);
  auto resync = base::parse_duration(options.resync);
  if (!resync || resync->count() < 1000) throw UsageError("--resync must be a duration of at least 1s, e.g. 30s");
  std::optional<bitcoin::RpcGatewayOptions> gateway_options;
  if (options.gateway_address != "0") gateway_options = gateway_options_from(options);

  observe::Logger log(context.err, level, format);
  if (!undumpable) log.warn("could not mark the process undumpable (prctl PR_SET_DUMPABLE)");
  observe::MetricsRegistry metrics;
  std::stop_source stop;
  SignalStopper signals(stop, log);

  // A long-running process must not wait forever on a half-dead connection: unless the user set
  // --request-timeout, each request (not watches, which have their own idle timeout) gets 30 s.
  GlobalOptions global = context.global;
  if (auto timeout = base::parse_duration(global.request_timeout); timeout && timeout->count() == 0) {
    global.request_timeout = "30s";
  }
  const auto identity = process_identity();
  auto client = make_client(global, options.qps, options.burst,
                            "kubectl-bitcoin/" + std::string(version::project()) + " (serve; " + identity + ")");
  log.info("starting controller", {{"version", std::string(version::project())},
                                   {"commit", std::string(version::git_commit())},
                                   {"server", client.config().describe()},
                                   {"watchNamespace", options.watch_namespace.empty() ? "*" : options.watch_namespace},
                                   {"workers", std::to_string(options.workers)},
                                   {"clientRateLimit", describe_client_rate_limit(options.qps, options.burst)},
                                   {"identity", identity}});

  auto in_pod_namespace = pod_namespace();
  auto own_namespace = in_pod_namespace.value_or(effective_namespace(context.global, client));
  auto credential_key = controller::load_or_create_credential_key(client, own_namespace, options.credential_key_secret,
                                                                  controller::system_random());
  log.info("credential key ready", {{"secret", own_namespace + "/" + options.credential_key_secret}});
  // With leader election every write of the controller goes through the elector's fence: a replica
  // that is not leading, or whose term ended (a renew did not succeed within the renew deadline),
  // cannot write, even from a reconcile that is still running.
  auto fence = std::make_shared<kube::WriteFence>();
  const kube::Client acting = options.leader_elect ? client.with_write_fence(fence) : client;
  auto settings = controller_settings(options, *resync, in_pod_namespace.value_or(""), std::move(credential_key));
  if (options.leader_elect) settings.reconciler.write_fence = fence;
  kube::EventRecorder events(acting, {.controller = "bitcoin.kubectl-bitcoin.dev/controller",
                                      .instance = identity,
                                      .on_error = [&log](const std::string& e) {
                                        log.warn("posting an event failed", {{"error", e}});
                                      }});
  controller::Controller controller(acting, std::move(settings), log, metrics, &events, controller::real_rpc_factory());

  std::atomic<bool> leading{!options.leader_elect};
  auto [metrics_host, metrics_port] = observe::parse_listen_address(options.metrics_address);
  observe::HttpServer health_server({.address = metrics_host, .port = metrics_port, .name = "metrics server"},
                                    health_handler(metrics, leading, controller));
  log.info("serving metrics and health", {{"address", options.metrics_address}});

  controller::CachedNodeDirectory directory(controller);
  auto gateway = gateway_options ? start_gateway(options, *gateway_options, directory, log) : nullptr;

  controller.start_informers();
  while (!controller.wait_for_sync(std::chrono::seconds(5))) {
    if (stop.stop_requested()) return kExitSuccess;
    log.info("waiting for informer caches to sync");
  }
  log.info("caches synced");

  if (options.leader_elect) {
    auto lease_namespace =
        options.leader_election_namespace.empty() ? own_namespace : options.leader_election_namespace;
    if (!run_elected(options, client, lease_namespace, identity, controller, events, fence, leading, stop, log))
      return kExitFailure;
  } else {
    controller.run_workers(stop.get_token());
  }
  events.flush();
  if (gateway) gateway->stop();
  health_server.stop();
  log.info("controller stopped");
  return kExitSuccess;
}

}  // namespace

std::string client_rate_limit_problem(double qps, int burst) {
  if (!(qps >= 0))  // NaN too
    return "--kube-api-qps must be 0 (no client-side limit) or a positive rate, e.g. 50";
  if (qps > 0 && burst < 1) return "--kube-api-burst must be at least 1 when --kube-api-qps is set";
  return "";
}

std::string describe_client_rate_limit(double qps, int burst) {
  if (qps <= 0) return "off (API priority and fairness)";
  std::ostringstream out;
  out << qps << "/s, burst " << burst;
  return out.str();
}

void add_serve_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<ServeOptions>();
  auto* command = root.add_subcommand("serve", "Run the BitcoinNetwork controller (inside the cluster)");
  command->footer(
      "Examples:\n"
      "  # What the chart's Deployment runs:\n"
      "  kubectl bitcoin serve --leader-elect --workers 4 --log-format json\n"
      "  # Against the cluster of your kubeconfig, for development:\n"
      "  kubectl bitcoin serve --log-format text --metrics-bind-address 127.0.0.1:8080\n"
      "  # Widen and narrow the RPC gateway's method policy:\n"
      "  kubectl bitcoin serve --gateway-allow-method setmocktime --gateway-deny-method 'send*'");
  command->add_option("--workers", options->workers, "Networks reconciled in parallel")->capture_default_str();
  command->add_option("--resync", options->resync, "How often a steady network is looked at again")
      ->capture_default_str();
  command->add_option("--log-level", options->log_level, "debug, info, warn or error")->capture_default_str();
  command->add_option("--log-format", options->log_format, "json or text")->capture_default_str();
  command->add_option("--watch-namespace", options->watch_namespace, "Only this namespace (default: all)");
  command->add_flag("--leader-elect", options->leader_elect, "Elect one active replica through a Lease");
  command->add_option("--leader-election-namespace", options->leader_election_namespace,
                      "Namespace of the Lease (default: $POD_NAMESPACE)");
  command->add_option("--leader-election-id", options->leader_election_id, "Name of the Lease")->capture_default_str();
  command->add_option("--metrics-bind-address", options->metrics_address, "Address of /metrics, /healthz, /readyz")
      ->capture_default_str();
  command
      ->add_option("--gateway-bind-address", options->gateway_address, "Address of the RPC gateway (\"0\" disables it)")
      ->capture_default_str();
  command
      ->add_option("--gateway-allow-method", options->gateway_allow_methods,
                   "RPC methods the gateway allows beyond its defaults (repeat or comma-separate; 'prefix*' matches "
                   "a prefix)")
      ->delimiter(',');
  command
      ->add_option("--gateway-deny-method", options->gateway_deny_methods,
                   "RPC methods the gateway refuses even if allowed (repeat or comma-separate; wins over allow)")
      ->delimiter(',');
  command->add_option("--gateway-max-calls", options->gateway_max_calls, "RPC gateway calls in flight, in total")
      ->capture_default_str();
  command
      ->add_option("--gateway-max-calls-per-network", options->gateway_max_calls_per_network,
                   "RPC gateway calls in flight for one network")
      ->capture_default_str();
  command->add_option("--gateway-call-timeout", options->gateway_call_timeout, "Longest a node may take to answer")
      ->capture_default_str();
  command
      ->add_option("--gateway-max-connections", options->gateway_max_connections,
                   "Open connections the RPC gateway keeps")
      ->capture_default_str();
  command
      ->add_option("--kube-api-qps", options->qps,
                   "Client-side rate limit towards the API server, requests per second; 0: none (the API "
                   "server's priority and fairness decides)")
      ->capture_default_str();
  command
      ->add_option("--kube-api-burst", options->burst, "Burst of the client-side rate limit (with --kube-api-qps > 0)")
      ->capture_default_str();
  command->add_flag("!--no-network-policy", options->network_policy,
                    "Do not create a NetworkPolicy per network (for clusters without a policy controller)");
  command->add_option("--allowed-image", options->allowed_images,
                      "An image repository networks may run (repeatable; e.g. bitcoin/bitcoin). None: any image");
  command
      ->add_option("--credential-key-secret", options->credential_key_secret,
                   "Secret in the controller's namespace holding the key generated credentials are derived from")
      ->capture_default_str();
  command->callback([&context, options] { context.exit_code = run_serve(context, *options); });
}

}  // namespace kb::cli
