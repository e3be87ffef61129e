// keep_pod_fields_read, the pods informer's transform: what it drops, and that every reader of a
// cached pod answers the same for the pod as the API server sends it and for what the cache keeps.
#include "pkg/controller/cached_pod.hpp"

#include "pkg/controller/network_status.hpp"
#include "pkg/controller/ownership.hpp"
#include "pkg/controller/reconciler.hpp"
#include "pkg/kube/object_meta.hpp"
#include "pkg/kube/resource_ref.hpp"

#include <doctest/doctest.h>

#include <boost/json.hpp>

using namespace kb::controller;
namespace json = boost::json;

namespace {

// A network's pod as the API server returns it (trimmed where nothing changes the point): a
// bitcoind container crash-looping after an OOM kill, being deleted.
json::value api_server_pod() {
  return json::parse(R"({
    "apiVersion": "v1", "kind": "Pod",
    "metadata": {
      "name": "net-sts-1", "generateName": "net-sts-", "namespace": "ns", "uid": "pod-uid",
      "resourceVersion": "4711", "creationTimestamp": "2026-12-06T05:00:00Z",
      "deletionTimestamp": "2026-12-06T05:10:00Z", "deletionGracePeriodSeconds": 30,
      "labels": {"bitcoin.kubectl-bitcoin.dev/network": "net", "apps.kubernetes.io/pod-index": "1"},
      "annotations": {"kubectl.kubernetes.io/restartedAt": "2026-12-06T04:00:00Z"},
      "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "net-sts", "uid": "sts-uid",
                           "controller": true, "blockOwnerDeletion": true}],
      "managedFields": [{"manager": "kube-controller-manager", "operation": "Update", "fieldsType": "FieldsV1",
                         "fieldsV1": {"f:metadata": {"f:labels": {}}}}]
    },
    "spec": {
      "containers": [{"name": "bitcoind", "image": "bitcoin/bitcoin:29.3", "args": ["-regtest", "-server"],
                      "ports": [{"containerPort": 18443}], "readinessProbe": {"tcpSocket": {"port": 18443}}}],
      "volumes": [{"name": "data", "emptyDir": {}}], "nodeName": "node-a", "serviceAccountName": "default"
    },
    "status": {
      "phase": "Running", "hostIP": "192.168.1.5", "podIP": "10.244.0.7",
      "podIPs": [{"ip": "10.244.0.7"}], "startTime": "2026-12-06T05:00:01Z", "qosClass": "Burstable",
      "conditions": [{"type": "Ready", "status": "True"}, {"type": "PodScheduled", "status": "True"}],
      "containerStatuses": [{"name": "bitcoind", "ready": false, "restartCount": 3,
                             "state": {"waiting": {"reason": "CrashLoopBackOff", "message": "back-off 40s"}},
                             "lastState": {"terminated": {"reason": "OOMKilled", "exitCode": 137}}}]
    }
  })");
}

}  // namespace

TEST_CASE("the cached pod keeps what the controller reads and drops the spec, annotations and managedFields") {
  auto cached = api_server_pod();
  keep_pod_fields_read(cached);
  const auto& metadata = cached.at("metadata").as_object();
  for (const char* kept :
       {"name", "namespace", "uid", "resourceVersion", "labels", "ownerReferences", "deletionTimestamp"}) {
    CAPTURE(kept);
    CHECK(metadata.contains(kept));
  }
  for (const char* dropped :
       {"generateName", "creationTimestamp", "deletionGracePeriodSeconds", "annotations", "managedFields"}) {
    CAPTURE(dropped);
    CHECK_FALSE(metadata.contains(dropped));
  }
  CHECK_FALSE(cached.as_object().contains("spec"));
  const auto& status = cached.at("status").as_object();
  for (const char* kept : {"phase", "podIP", "podIPs", "conditions", "containerStatuses"}) {
    CAPTURE(kept);
    CHECK(status.contains(kept));
  }
  for (const char* dropped : {"hostIP", "startTime", "qosClass"}) {
    CAPTURE(dropped);
    CHECK_FALSE(status.contains(dropped));
  }
}

TEST_CASE("every reader of a cached pod answers as it does for the pod the API server sent") {
  const auto full = api_server_pod();
  auto cached = full;
  keep_pod_fields_read(cached);
  CHECK(kb::kube::object_key(cached) == kb::kube::object_key(full));
  CHECK(kb::kube::resource_version_of(cached) == kb::kube::resource_version_of(full));
  CHECK(index_by_network()(cached) == index_by_network()(full));
  CHECK(index_by_network()(cached) == std::vector<std::string>{"ns/net"});
  CHECK(is_controlled_by(cached, "sts-uid"));
  CHECK(pod_ip(cached) == pod_ip(full));
  CHECK(pod_ip(cached) == "10.244.0.7");
  CHECK(pod_is_ready(cached) == pod_is_ready(full));
  CHECK(pod_is_terminating(cached));
  auto failure_full = pod_failure(full);
  auto failure_cached = pod_failure(cached);
  REQUIRE(failure_full.has_value());
  REQUIRE(failure_cached.has_value());
  CHECK(failure_cached->reason == failure_full->reason);
  CHECK(failure_cached->message == failure_full->message);
}

TEST_CASE("a pod without status (just created) or a non-object is left as it is") {
  json::value fresh = {{"metadata", {{"name", "net-sts-0"}, {"namespace", "ns"}}}, {"spec", json::object{}}};
  keep_pod_fields_read(fresh);
  CHECK(fresh == json::value{{"metadata", {{"name", "net-sts-0"}, {"namespace", "ns"}}}});
  json::value null;
  keep_pod_fields_read(null);
  CHECK(null.is_null());
}
