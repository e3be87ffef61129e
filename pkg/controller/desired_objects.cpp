#include "pkg/controller/desired_objects.hpp"

#include "pkg/api/naming.hpp"
#include "pkg/base/base64.hpp"

#include <boost/json.hpp>

namespace kb::controller {
namespace json = boost::json;

json::object object_meta(const api::BitcoinNetwork& network, const std::string& name) {
  return {{"name", name},
          {"namespace", network.namespace_name},
          {"labels", api::network_labels(network.name)},
          {"ownerReferences", json::array{owner_reference(network)}}};
}

json::object p2p_ingress_rule(json::object from) {
  return {{"from", json::array{std::move(from)}},
          {"ports", json::array{{{"protocol", "TCP"}, {"port", api::kP2pPort}}}}};
}

namespace {

json::object restricted_container_security() {
  return {{"allowPrivilegeEscalation", false},
          {"readOnlyRootFilesystem", true},
          {"runAsNonRoot", true},
          {"capabilities", {{"drop", json::array{"ALL"}}}},
          {"seccompProfile", {{"type", "RuntimeDefault"}}}};
}

json::object tcp_probe(int port, int period, int failures) {
  return {{"tcpSocket", {{"port", port}}},
          {"periodSeconds", period},
          {"timeoutSeconds", 2},
          {"failureThreshold", failures}};
}

}  // namespace

std::vector<std::string> bitcoind_base_args() {
  return {"-regtest", "-server=1", "-listen=1", "-printtoconsole=1", "-datadir=" + std::string(kDataDir),
          // "::" first: on a dual-stack pod it also takes IPv4 (bitcoind's RPC sockets are not
          // IPV6_V6ONLY), and the 0.0.0.0 bind that follows fails harmlessly; on a pod without IPv6
          // "::" fails and 0.0.0.0 serves. bitcoind gives up only when no address binds.
          "-rpcbind=::", "-rpcbind=0.0.0.0", "-rpcallowip=0.0.0.0/0", "-rpcallowip=::/0",
          "-rpcport=" + std::to_string(api::kRpcPort), "-port=" + std::to_string(api::kP2pPort),
          // Expanded by the kubelet from the environment; the value is a salted hash, never the password.
          "-rpcauth=$(" + std::string(api::kRpcAuthKey) + ")",
          // A regtest node has nothing to find or open outside its network: no Tor control port,
          // no DNS or built-in seeds, no port mapping on a router.
          "-listenonion=0", "-dnsseed=0", "-fixedseeds=0", "-natpmp=0",
          // Small enough that dozens of nodes share one machine (Core's defaults are sized for
          // mainnet: 450 MiB dbcache, 300 MB mempool, a 32 MiB signature cache allocated at start,
          // a script thread per core). 4 MiB is Core's smallest dbcache; a 5 MB mempool is above
          // its floor (40 times the 101 kvB descendant limit) and holds thousands of test
          // transactions; 2 RPC threads and a queue of 16 serve the controller and the gateway.
          "-dbcache=4", "-maxmempool=5", "-maxsigcachesize=4", "-par=1", "-rpcthreads=2", "-rpcworkqueue=16",
          // Inbound room for every other node of the largest network (a star's hub has
          // kMaxNodes - 1 peers), plus Core's 11 automatic outbound slots and some slack.
          "-maxconnections=" + std::to_string(api::kMaxNodes - 1 + 11 + 10)};
}

json::object owner_reference(const api::BitcoinNetwork& network) {
  return {{"apiVersion", api::kApiVersion},
          {"kind", api::kKind},
          {"name", network.name},
          {"uid", network.uid},
          {"controller", true},
          {"blockOwnerDeletion", true}};
}

json::value desired_service(const api::BitcoinNetwork& network) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Service"},
      {"metadata", object_meta(network, api::service_name(network.name))},
      {"spec",
       {{"clusterIP", "None"},
        {"publishNotReadyAddresses", true},  // peers may dial a node before its RPC is ready
        {"selector", api::selector_labels(network.name)},
        {"ports", json::array{
                      {{"name", "p2p"}, {"port", api::kP2pPort}, {"targetPort", api::kP2pPort}, {"protocol", "TCP"}},
                      {{"name", "rpc"}, {"port", api::kRpcPort}, {"targetPort", api::kRpcPort}, {"protocol", "TCP"}},
                  }}}}};
}

json::value desired_statefulset(const api::BitcoinNetwork& network, std::string_view rpcauth_hash) {
  const auto& spec = network.spec;
  json::array args;
  for (const auto& a : bitcoind_base_args()) args.emplace_back(a);
  for (const auto& a : spec.args) args.emplace_back(a);

  json::object container{
      {"name", "bitcoind"},
      {"image", spec.image},
      {"imagePullPolicy", spec.image_pull_policy},
      // The bitcoin/bitcoin image's entrypoint would run usermod, chown and gosu (impossible as a
      // non-root user on a read-only root filesystem) and append its own -datadir after ours;
      // naming the binary (on the image's PATH) skips it.
      {"command", json::array{"bitcoind"}},
      {"args", std::move(args)},
      {"env",
       json::array{
           {{"name", api::kRpcAuthKey},
            {"valueFrom",
             {{"secretKeyRef", {{"name", api::rpcauth_secret_name(network.name)}, {"key", api::kRpcAuthKey}}}}}},
           // The root filesystem is read-only; tools run with `kubectl exec` write here.
           {{"name", "HOME"}, {"value", kDataDir}}}},
      {"ports", json::array{{{"name", "p2p"}, {"containerPort", api::kP2pPort}, {"protocol", "TCP"}},
                            {{"name", "rpc"}, {"containerPort", api::kRpcPort}, {"protocol", "TCP"}}}},
      {"readinessProbe", tcp_probe(api::kRpcPort, 2, 3)},
      {"livenessProbe", tcp_probe(api::kP2pPort, 10, 6)},
      {"startupProbe", tcp_probe(api::kP2pPort, 1, 120)},
      {"volumeMounts", json::array{{{"name", "data"}, {"mountPath", kDataDir}}}},
      // bitcoind's last words ("Disk space is too low!", an init error) go to its log, not to
      // /dev/termination-log: the kubelet keeps the log's tail as the termination message when it
      // exits with an error, where the controller reads why (status.nodes[].reason).
      {"terminationMessagePolicy", "FallbackToLogsOnError"},
      {"securityContext", restricted_container_security()},
  };
  if (spec.resources.is_object() && !spec.resources.as_object().empty()) container["resources"] = spec.resources;

  json::object pod_spec{
      {"automountServiceAccountToken", false},  // bitcoind never talks to the API server
      {"enableServiceLinks", false},
      {"terminationGracePeriodSeconds", 30},
      // The image's own bitcoin user (101:101 in the Debian-based bitcoin/bitcoin images), so a
      // volume's files belong to the user the image knows, and `kubectl exec ... bitcoin-cli`
      // runs as a user with a passwd entry. fsGroup makes the volume writable for it.
      {"securityContext",
       {{"runAsNonRoot", true},
        {"runAsUser", kBitcoinUid},
        {"runAsGroup", kBitcoinUid},
        {"fsGroup", kBitcoinUid},
        {"seccompProfile", {{"type", "RuntimeDefault"}}}}},
      {"containers", json::array{std::move(container)}},
  };
  json::object sts_spec{
      {"replicas", spec.nodes},
      {"serviceName", api::service_name(network.name)},
      {"podManagementPolicy", "Parallel"},  // nodes are peers, not a chain: start them together
      {"selector", {{"matchLabels", api::selector_labels(network.name)}}},
      {"template",
       {{"metadata",
         {{"labels", api::network_labels(network.name)},
          {"annotations", {{"bitcoin.kubectl-bitcoin.dev/rpcauth-hash", rpcauth_hash}}}}},
        {"spec", std::move(pod_spec)}}},
  };
  if (spec.storage.size.empty()) {
    sts_spec["template"].as_object()["spec"].as_object()["volumes"] =
        json::array{{{"name", "data"}, {"emptyDir", json::object{}}}};
  } else {
    json::object claim_spec{{"accessModes", json::array{"ReadWriteOnce"}},
                            {"resources", {{"requests", {{"storage", spec.storage.size}}}}}};
    if (!spec.storage.storage_class_name.empty()) claim_spec["storageClassName"] = spec.storage.storage_class_name;
    sts_spec["volumeClaimTemplates"] =
        json::array{{{"apiVersion", "v1"},
                     {"kind", "PersistentVolumeClaim"},
                     {"metadata", {{"name", "data"}, {"labels", api::network_labels(network.name)}}},
                     {"spec", std::move(claim_spec)}}};
    // Leave no volumes behind when the network shrinks or goes away.
    sts_spec["persistentVolumeClaimRetentionPolicy"] = {{"whenDeleted", "Delete"}, {"whenScaled", "Delete"}};
  }
  return json::object{{"apiVersion", "apps/v1"},
                      {"kind", "StatefulSet"},
                      {"metadata", object_meta(network, api::statefulset_name(network.name))},
                      {"spec", std::move(sts_spec)}};
}

json::value desired_generated_secret(const api::BitcoinNetwork& network, const std::string& user,
                                     const std::string& password) {
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata", object_meta(network, api::generated_secret_name(network.name))},
      {"type", "Opaque"},
      {"data", {{api::kRpcUserKey, base::base64_encode(user)}, {api::kRpcPasswordKey, base::base64_encode(password)}}}};
}

json::value desired_rpcauth_secret(const api::BitcoinNetwork& network, const std::string& rpcauth_line) {
  return json::object{{"apiVersion", "v1"},
                      {"kind", "Secret"},
                      {"metadata", object_meta(network, api::rpcauth_secret_name(network.name))},
                      {"type", "Opaque"},
                      {"data", {{api::kRpcAuthKey, base::base64_encode(rpcauth_line)}}}};
}

json::value desired_network_policy(const api::BitcoinNetwork& network, std::string_view controller_namespace,
                                   bool partitioned) {
  json::object same_network{{"podSelector", {{"matchLabels", api::selector_labels(network.name)}}}};
  // The API server sets kubernetes.io/metadata.name on every namespace; the pod label is the
  // chart's fixed selector label, so a same-named pod elsewhere does not pass.
  json::object namespaces;
  if (!controller_namespace.empty()) {
    namespaces["matchLabels"] = json::object{{"kubernetes.io/metadata.name", controller_namespace}};
  }
  json::object controller{{"namespaceSelector", std::move(namespaces)},
                          {"podSelector", {{"matchLabels", {{"app.kubernetes.io/name", "bitcoin-controller"}}}}}};
  json::array ingress;
  if (!partitioned) ingress.push_back(p2p_ingress_rule(std::move(same_network)));
  ingress.push_back(json::object{{"from", json::array{std::move(controller)}},
                                 {"ports", json::array{{{"protocol", "TCP"}, {"port", api::kRpcPort}}}}});
  return json::object{{"apiVersion", "networking.k8s.io/v1"},
                      {"kind", "NetworkPolicy"},
                      {"metadata", object_meta(network, api::network_policy_name(network.name))},
                      {"spec",
                       {{"podSelector", {{"matchLabels", api::selector_labels(network.name)}}},
                        {"policyTypes", json::array{"Ingress"}},
                        {"ingress", std::move(ingress)}}}};
}

}  // namespace kb::controller
