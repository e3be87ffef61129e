#include "pkg/cli/dashboard_feed.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/base/json_path.hpp"
#include "pkg/base/time_format.hpp"
#include "pkg/cli/network_picture.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/controller/peer_plan.hpp"

#include <boost/json.hpp>

#include <atomic>
#include <vector>

namespace kb::cli {
namespace json = boost::json;

namespace {

struct PeerAnswers {
  std::map<int, json::value> answers;
  std::string problem;  // the first failure, "node N: ..."
};

// getpeerinfo on every ready node, at most `concurrency` at a time.
PeerAnswers ask_peers(const NetworkRpc& rpc, const std::vector<int>& nodes, int concurrency) {
  PeerAnswers result;
  std::mutex mutex;
  std::atomic<std::size_t> next{0};
  auto work = [&] {
    for (std::size_t i = next++; i < nodes.size(); i = next++) {
      try {
        auto answer = rpc.call(nodes[i], {"getpeerinfo", json::array{}});
        std::lock_guard lock(mutex);
        result.answers[nodes[i]] = std::move(answer);
      } catch (const std::exception& e) {
        std::lock_guard lock(mutex);
        if (result.problem.empty()) result.problem = "node " + std::to_string(nodes[i]) + ": " + e.what();
      }
    }
  };
  {
    std::vector<std::jthread> workers;
    const auto count = std::min<std::size_t>(static_cast<std::size_t>(std::max(concurrency, 1)), nodes.size());
    for (std::size_t w = 0; w < count; ++w) workers.emplace_back(work);
  }
  return result;
}

std::vector<int> ready_nodes(const json::value& network) {
  std::vector<int> out;
  const auto* nodes = base::json_at(network, "status", "nodes");
  if (!nodes || !nodes->is_array()) return out;
  for (const auto& node : nodes->get_array()) {
    auto ordinal = base::int_at(node, "ordinal");
    if (ordinal && base::bool_at(node, "ready").value_or(false)) out.push_back(static_cast<int>(*ordinal));
  }
  return out;
}

}  // namespace

DashboardFeed::DashboardFeed(kube::Client client, Options options)
    : client_(std::move(client)),
      options_(std::move(options)),
      followed_(options_.default_network),
      names_(json::object{{"namespace", options_.namespace_name}, {"networks", json::array{}}}),
      thread_([this](std::stop_token stop) { run(stop); }) {}

DashboardFeed::~DashboardFeed() {
  thread_.request_stop();
  wake_.notify_all();
}

json::value DashboardFeed::state(const std::string& network) {
  std::lock_guard lock(mutex_);
  const std::string wanted = network.empty() ? options_.default_network : network;
  if (wanted.empty()) {
    return json::object{{"choose", true}, {"namespace", options_.namespace_name}, {"networks", names_.at("networks")}};
  }
  if (wanted != followed_) {
    followed_ = wanted;
    wake_.notify_all();
  }
  if (pictured_ == wanted) return picture_;
  return json::object{{"name", wanted}, {"namespace", options_.namespace_name}, {"loading", true}};
}

json::value DashboardFeed::networks() const {
  std::lock_guard lock(mutex_);
  return names_;
}

json::value DashboardFeed::picture_of(const std::string& name) const {
  const auto& ns = options_.namespace_name;
  std::optional<json::value> object;
  try {
    object = client_.get_if_exists(network_ref(ns, name));
  } catch (const std::exception& e) {
    return json::object{{"name", name}, {"namespace", ns}, {"error", e.what()}};
  }
  if (!object) {
    return json::object{
        {"name", name}, {"namespace", ns}, {"error", "network " + name + " not found in namespace " + ns}};
  }
  PictureInputs inputs;
  inputs.network = *object;
  try {
    inputs.topology_edges = controller::topology_edges(api::parse_network(*object).spec);
  } catch (const std::exception& e) {
    return json::object{{"name", name}, {"namespace", ns}, {"error", e.what()}};
  }
  inputs.events = network_events(client_, ns, name);
  try {
    NetworkRpc rpc(client_, options_.gateway, *object);
    auto peers = ask_peers(rpc, ready_nodes(*object), options_.concurrency);
    inputs.live_edges = live_edges(ordinals_by_ip(*object), peers.answers);
    inputs.peers_known = true;
    inputs.rpc_problem = peers.problem;
  } catch (const std::exception& e) {
    inputs.rpc_problem = e.what();  // e.g. no right to read the Secret: the picture still shows the status
  }
  inputs.observed_at = base::format_time(std::chrono::system_clock::now());
  return network_picture(inputs);
}

void DashboardFeed::run(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::string name;
    {
      std::lock_guard lock(mutex_);
      name = followed_;
    }
    json::array names;
    for (const auto& each : network_names(client_, options_.namespace_name)) names.push_back(json::string(each));
    auto picture = name.empty() ? json::value(nullptr) : picture_of(name);
    std::unique_lock lock(mutex_);
    names_ = json::object{{"namespace", options_.namespace_name}, {"networks", std::move(names)}};
    if (!name.empty()) {
      pictured_ = name;
      picture_ = std::move(picture);
    }
    // Until the next period, or at once when the page turns to another network.
    wake_.wait_for(lock, stop, options_.refresh, [&] { return followed_ != name; });
  }
}

}  // namespace kb::cli
