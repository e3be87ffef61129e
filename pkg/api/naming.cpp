#include "pkg/api/naming.hpp"

#include <boost/json.hpp>

#include <charconv>

namespace kb::api {

std::string service_name(std::string_view network) { return std::string(network) + "-svc"; }
std::string statefulset_name(std::string_view network) { return std::string(network) + "-sts"; }
std::string generated_secret_name(std::string_view network) { return std::string(network) + "-rpc"; }
std::string rpcauth_secret_name(std::string_view network) { return std::string(network) + "-rpcauth"; }
std::string network_policy_name(std::string_view network) { return std::string(network) + "-peers"; }
std::string pod_name(std::string_view network, int ordinal) {
  return statefulset_name(network) + "-" + std::to_string(ordinal);
}
std::string dns_name(std::string_view network, int ordinal) {
  return pod_name(network, ordinal) + "." + service_name(network);
}

boost::json::object network_labels(std::string_view network) {
  return {{"app.kubernetes.io/name", "bitcoind"},
          {"app.kubernetes.io/instance", network},
          {"app.kubernetes.io/managed-by", "kubectl-bitcoin"},
          {"app.kubernetes.io/part-of", "kubectl-bitcoin"},
          {kNetworkLabel, network}};
}

boost::json::object selector_labels(std::string_view network) { return {{kNetworkLabel, network}}; }

std::string label_selector(std::string_view network) { return std::string(kNetworkLabel) + "=" + std::string(network); }

int ordinal_of_pod(std::string_view network, std::string_view pod) {
  std::string prefix = statefulset_name(network) + "-";
  if (pod.size() <= prefix.size() || pod.substr(0, prefix.size()) != prefix) return -1;
  auto digits = pod.substr(prefix.size());
  if (digits.size() > 1 && digits[0] == '0') return -1;
  int value = -1;
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (ec != std::errc() || end != digits.data() + digits.size()) return -1;
  return value;
}

}  // namespace kb::api
