#include "pkg/cli/dashboard_command.hpp"

#include "pkg/base/duration.hpp"
#include "pkg/base/embedded_assets.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/dashboard_access.hpp"
#include "pkg/cli/dashboard_feed.hpp"
#include "pkg/cli/network_rpc.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/controller/credentials.hpp"
#include "pkg/observe/http_server.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <pthread.h>
#include <atomic>
#include <csignal>
#include <cstdio>
#include <ostream>

namespace kb::cli {
namespace json = boost::json;

namespace {

struct DashboardOptions {
  std::string network;
  std::string address = "127.0.0.1";
  int port = 0;
  std::string refresh = "2s";
  int concurrency = 2;
  GatewayLocation gateway;
};

// The page may load only its own files and talk only to this server; it is never framed and
// never tells another site where it came from (the token is in the URL).
void add_security_headers(observe::HttpResponse& response) {
  response.headers.emplace_back("Cache-Control", "no-store");
  response.headers.emplace_back("X-Content-Type-Options", "nosniff");
  response.headers.emplace_back("Referrer-Policy", "no-referrer");
  response.headers.emplace_back("X-Frame-Options", "DENY");
  response.headers.emplace_back("Content-Security-Policy",
                                "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
                                "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'");
}

observe::HttpResponse json_response(const json::value& body) {
  observe::HttpResponse response;
  response.content_type = "application/json";
  response.body = json::serialize(body);
  return response;
}

observe::HttpResponse answer(const observe::HttpRequest& request, std::uint16_t port, const std::string& token,
                             DashboardFeed& feed) {
  auto route = route_dashboard_request(request.method, request.target, request.header("host"), port, token);
  observe::HttpResponse response;
  switch (route.kind) {
    case DashboardRoute::Kind::asset: {
      auto content = assets::find(route.asset);
      if (!content) {
        response.status = 500;
        response.body = route.asset + " is not embedded in this binary\n";
        break;
      }
      response.content_type = asset_content_type(route.asset);
      response.body = std::string(*content);
      break;
    }
    case DashboardRoute::Kind::state:
      response = json_response(feed.state(route.network));
      break;
    case DashboardRoute::Kind::networks:
      response = json_response(feed.networks());
      break;
    case DashboardRoute::Kind::refused:
      response.status = route.status;
      response.body = route.reason + "\n";
      break;
  }
  add_security_headers(response);
  return response;
}

std::string random_token() {
  auto bytes = controller::system_random()(16);
  std::string hex;
  for (unsigned char byte : bytes) {
    char pair[3];
    std::snprintf(pair, sizeof pair, "%02x", byte);
    hex += pair;
  }
  return hex;
}

// SIGINT/SIGTERM are blocked in this thread before any other starts (threads inherit the mask)
// and then awaited here, so the servers are stopped and joined in order.
class BlockedStopSignals {
 public:
  BlockedStopSignals() {
    sigemptyset(&signals_);
    sigaddset(&signals_, SIGINT);
    sigaddset(&signals_, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals_, &previous_);
  }
  ~BlockedStopSignals() { pthread_sigmask(SIG_SETMASK, &previous_, nullptr); }
  BlockedStopSignals(const BlockedStopSignals&) = delete;
  BlockedStopSignals& operator=(const BlockedStopSignals&) = delete;
  void wait() const {
    int received = 0;
    sigwait(&signals_, &received);
  }

 private:
  sigset_t signals_;
  sigset_t previous_;
};

int run_dashboard(Context& context, const DashboardOptions& options) {
  if (auto problem = loopback_problem(options.address); !problem.empty()) throw UsageError(problem);
  if (options.port < 0 || options.port > 65535) throw UsageError("--port must be between 0 and 65535");
  if (options.concurrency < 1 || options.concurrency > 4) throw UsageError("--concurrency must be between 1 and 4");
  auto refresh = base::parse_duration(options.refresh);
  if (!refresh || *refresh < std::chrono::milliseconds(500)) {
    throw UsageError("--refresh \"" + options.refresh + "\" must be a duration of at least 500ms (e.g. 2s)");
  }
  if (!options.network.empty()) {
    if (auto problem = network_name_problem(options.network); !problem.empty()) {
      throw UsageError("NETWORK \"" + options.network + "\" " + problem);
    }
  }
  // Every request of the feed ends: a refresh must not hang on a server that stopped answering.
  auto global = context.global;
  if (global.request_timeout == "0") global.request_timeout = "10s";
  auto client = make_client(global, 20, 20);
  auto ns = effective_namespace(context.global, client);
  if (!options.network.empty()) get_network_or_fail(client, ns, options.network);

  BlockedStopSignals signals;
  DashboardFeed feed(client, {.namespace_name = ns,
                              .default_network = options.network,
                              .refresh = *refresh,
                              .concurrency = options.concurrency,
                              .gateway = options.gateway});
  const std::string bind = options.address == "localhost" ? "127.0.0.1" : options.address;
  const std::string token = random_token();
  std::atomic<std::uint16_t> port{0};  // known once bound; the handler runs on the server's thread
  observe::HttpServer::Options server_options;
  server_options.address = bind == "[::1]" ? "::1" : bind;
  server_options.port = static_cast<std::uint16_t>(options.port);
  server_options.max_connections = 16;
  server_options.max_body_bytes = 0;
  server_options.name = "dashboard";
  std::unique_ptr<observe::HttpServer> server;
  try {
    server = std::make_unique<observe::HttpServer>(
        server_options, [&](const observe::HttpRequest& request) { return answer(request, port.load(), token, feed); });
  } catch (const std::runtime_error& e) {
    throw CommandError(e.what());
  }
  port.store(server->port());
  const std::string host = server_options.address == "::1" ? "[::1]" : server_options.address;
  context.out << "Dashboard of " << (options.network.empty() ? "the networks" : "network " + options.network)
              << " in namespace " << ns << ": http://" << host << ":" << port << "/" << token << "/\n"
              << "It acts with your Kubernetes credentials; keep the URL to yourself. Ctrl-C stops it." << std::endl;
  signals.wait();
  server->stop();
  return kExitSuccess;
}

}  // namespace

void add_dashboard_command(CLI::App& root, Context& context) {
  auto options = std::make_shared<DashboardOptions>();
  auto* command = root.add_subcommand("dashboard", "Serve a live picture of a network on a local page");
  command->footer(
      "Like kubectl proxy: listens on loopback only, talks to the API server with your credentials\n"
      "(the page never sees them), and shows the topology with live connections, the nodes' tips,\n"
      "forks and partitions, heights over time and the network's Events. The page's files are in\n"
      "this binary and load nothing from the internet. RBAC applies as for status and rpc: live\n"
      "connections need the network's Secret and services/proxy on the controller's gateway.\n\n"
      "Examples:\n"
      "  kubectl bitcoin dashboard demo            # prints http://127.0.0.1:<port>/<token>/\n"
      "  kubectl bitcoin dashboard -n team-a --port 8001");
  command->add_option("NETWORK", options->network, "The BitcoinNetwork (default: choose on the page)");
  command->add_option("--address", options->address, "Loopback address to listen on (127.0.0.1, ::1, localhost)")
      ->capture_default_str();
  command->add_option("--port", options->port, "Port to listen on; 0 picks a free one")->capture_default_str();
  command->add_option("--refresh", options->refresh, "How often the network is read (at least 500ms)")
      ->capture_default_str();
  command->add_option("--concurrency", options->concurrency, "getpeerinfo calls in flight (1 to 4)")
      ->capture_default_str();
  add_gateway_flags(*command, options->gateway);
  command->callback([&context, options] { context.exit_code = run_dashboard(context, *options); });
}

}  // namespace kb::cli
