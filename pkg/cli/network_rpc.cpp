#include "pkg/cli/network_rpc.hpp"

#include "pkg/api/bitcoin_network.hpp"
#include "pkg/api/naming.hpp"
#include "pkg/bitcoin/gateway_client.hpp"
#include "pkg/bitcoin/rpc_error.hpp"
#include "pkg/cli/cluster_access.hpp"
#include "pkg/cli/status_command.hpp"
#include "pkg/controller/credentials.hpp"
#include "pkg/kube/errors.hpp"
#include "pkg/kube/object_meta.hpp"

#include <CLI/CLI.hpp>
#include <boost/json.hpp>

#include <cstdlib>

namespace kb::cli {
namespace json = boost::json;

namespace {
void check_ordinal(const std::string& network, int nodes, int ordinal) {
  if (ordinal < 0 || ordinal >= nodes) {
    throw CommandError("network " + network + " has no node " + std::to_string(ordinal) + " (it has nodes 0 to " +
                       std::to_string(nodes - 1) + ")");
  }
}
}  // namespace

void add_gateway_flags(CLI::App& command, GatewayLocation& gateway) {
  if (const char* ns = std::getenv("KUBECTL_BITCOIN_NAMESPACE"); ns && *ns) gateway.namespace_name = ns;
  command
      .add_option("--controller-namespace", gateway.namespace_name,
                  "Namespace of the installed controller (env KUBECTL_BITCOIN_NAMESPACE)")
      ->capture_default_str();
  command.add_option("--controller-service", gateway.service_name, "Service of the controller's RPC gateway")
      ->capture_default_str();
}

json::value get_network_or_fail(const kube::Client& client, const std::string& ns, const std::string& name) {
  try {
    auto network = client.get_if_exists(network_ref(ns, name));
    if (network) return *network;
    std::string existing;
    for (const auto& item : client.list(network_ref(ns)).items) {
      existing += (existing.empty() ? "" : ", ") + kube::name_of(item);
    }
    throw CommandError("network " + name + " not found in namespace " + ns +
                       (existing.empty()
                            ? " (there are none; create one with kubectl bitcoin create " + name + " --nodes 3)"
                            : " (networks there: " + existing + ")"));
  } catch (const CommandError&) {
    throw;
  } catch (const std::exception& e) {
    if (kube::is_not_found(e)) {
      throw CommandError("the BitcoinNetwork CRD is not installed in this cluster; run kubectl bitcoin install");
    }
    fail_with_kube_error(e, "read network " + name);
  }
}

NetworkRpc::NetworkRpc(kube::Client client, GatewayLocation gateway, const json::value& network_object)
    : client_(std::move(client)), gateway_(std::move(gateway)) {
  auto network = api::parse_network(network_object);
  namespace_name_ = network.namespace_name;
  name_ = network.name;
  nodes_ = network.spec.nodes;
  auto secret_name = network.spec.secret.empty() ? api::generated_secret_name(network.name) : network.spec.secret;
  std::optional<json::value> secret;
  try {
    secret = client_.get_if_exists(kube::refs::secrets(network.namespace_name, secret_name));
  } catch (const std::exception& e) {
    if (kube::is_forbidden(e)) {
      throw CommandError("you may not read Secret " + secret_name + " in namespace " + network.namespace_name +
                         ", which holds the network's RPC credentials; RPC needs get on that Secret");
    }
    fail_with_kube_error(e, "read the network's RPC credentials");
  }
  if (!secret) {
    throw CommandError(
        "Secret " + secret_name + " with the network's RPC credentials does not exist yet" +
        (network.spec.secret.empty() ? std::string(" (the controller creates it; is it running?)") : ""));
  }
  std::string problem;
  auto credentials = controller::credentials_from_secret(*secret, problem);
  if (!credentials) throw CommandError(problem);
  user_ = credentials->user;
  password_ = credentials->password;
}

void NetworkRpc::require_node(int ordinal) const { check_ordinal(name_, nodes_, ordinal); }

json::value NetworkRpc::call(int ordinal, const bitcoin::RpcRequest& call,
                             const std::optional<std::string>& wallet) const {
  check_ordinal(name_, nodes_, ordinal);
  bitcoin::GatewayService service{gateway_.namespace_name, gateway_.service_name, gateway_.port};
  auto request = bitcoin::make_gateway_request(service, {namespace_name_, name_, ordinal, wallet},
                                               bitcoin::UserPassword{user_, password_}, call);
  kube::RawRequest raw;
  raw.method = request.method;
  raw.path = request.path;
  raw.body = request.body;
  raw.headers = request.headers;
  kube::RawResponse response;
  try {
    response = client_.raw(raw);
  } catch (const std::exception& e) {
    fail_with_kube_error(e, "reach the RPC gateway");
  }
  try {
    return bitcoin::parse_gateway_response(response.status, response.body, call.method);
  } catch (const bitcoin::GatewayError& e) {
    if (e.origin() == bitcoin::GatewayError::Origin::api_server) {
      if (e.http_status() == 403) {
        throw CommandError(std::string(e.what()) + " (RPC through the cluster needs create on services/proxy for " +
                           gateway_.service_name + " in namespace " + gateway_.namespace_name + ")");
      }
      if (e.http_status() == 404 || e.http_status() == 503) {
        throw CommandError(std::string(e.what()) + " (is the controller installed in namespace " +
                           gateway_.namespace_name + "? run kubectl bitcoin install, or pass --controller-namespace)");
      }
    }
    throw CommandError(e.what());
  }
}

json::value call_node(const kube::Client& client, const GatewayLocation& gateway, const json::value& network_object,
                      int ordinal, const bitcoin::RpcRequest& call, const std::optional<std::string>& wallet) {
  // Before the Secret is read: a wrong --node is the first mistake to hear about.
  auto network = api::parse_network(network_object);
  check_ordinal(network.name, network.spec.nodes, ordinal);
  return NetworkRpc(client, gateway, network_object).call(ordinal, call, wallet);
}

}  // namespace kb::cli
