"""Simulated nodes for the private control plane (control_plane.py): kube-scheduler binds the
controller's pods to fake Nodes that kwok (sigs.k8s.io/kwok, built by hack/cluster/build.sh) keeps
Ready, and kwok turns every scheduled pod Running and Ready with a loopback IP. No container
runs: a thousand pods cost a few MiB of kwok, not a thousand bitcoinds.

The pod IPs are loopback addresses (127/8 is local on Linux), and SilentNodes holds a listening
socket on the RPC port of every address in the range that accepts connections, reads what the
controller sends and never answers: the controller sees nodes that are up but never answer RPC,
deterministically and without a packet leaving the machine (a routed fake IP would behave as the
network behind the default route decides: dropped, refused or answered by a proxy).

Used by hack/bench/scale.py (hack/bench.sh scale) and test/faults/unanswering_pods_test.py:

    with ControlPlane("scale", audit_policy=...) as cp, SimulatedNodes(cp, nodes=10) as sim:
        ...
Python 3 standard library only.
"""
import ipaddress
import json
import os
import selectors
import socket
import subprocess
import threading

import control_plane

REPO = control_plane.REPO
RPC_PORT = 18443  # pkg/api/naming.hpp kRpcPort: where the controller asks a node
# The pods' addresses: a /21 (2046 pods) of loopback addresses (see the module docstring), the first
# whose RPC ports are free, so several harnesses (a bench and a test) can run side by side.
POD_CIDR_CANDIDATES = ["127.%d.0.0/21" % b for b in range(90, 130)]
NODE_IP_BASE = ipaddress.ip_address("127.91.0.1")  # the fake nodes' InternalIPs
FAKE_NODE_ANNOTATION = "kwok.x-k8s.io/node"  # kwok manages nodes carrying it (and with --manage-all-nodes, all)


def kwok_path():
    """The kwok binary: $LOCAL_CLUSTER_KWOK, else the path hack/cluster/build.sh builds it to."""
    path = os.environ.get("LOCAL_CLUSTER_KWOK")
    if not path:
        path = subprocess.run([os.path.join(REPO, "hack", "cluster", "build.sh"), "--kwok-path"],
                              capture_output=True, text=True, check=True).stdout.strip()
    if not os.access(path, os.X_OK):
        raise RuntimeError("no kwok binary at %s: run hack/cluster/build.sh (or hack/local-cluster.sh up)" % path)
    return path


def _stages(pods_per_node):
    """kwok's Stage objects: what a fake node and a fake pod go through. Written for this harness:
    a node becomes Ready with room for pods_per_node pods; a scheduled pod becomes Running and Ready
    with an IP at once (no heartbeats: nothing here runs the node lifecycle controller); a pod being
    deleted goes away at once (StatefulSet scale-down, namespace deletion)."""
    node_ready = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "kb-node-ready"},
        "spec": {
            "resourceRef": {"apiGroup": "v1", "kind": "Node"},
            "selector": {"matchExpressions": [
                {"key": '.status.conditions.[] | select( .type == "Ready" ) | .status',
                 "operator": "NotIn", "values": ["True"]}]},
            "next": {"statusTemplate": "\n".join([
                "{{ $now := Now }}",
                "conditions:",
                "- type: Ready",
                "  status: \"True\"",
                "  reason: KubeletReady",
                "  message: simulated by kwok",
                "  lastHeartbeatTime: {{ $now | Quote }}",
                "  lastTransitionTime: {{ $now | Quote }}",
                "addresses:",
                "- type: InternalIP",
                "  address: {{ NodeIP | Quote }}",
                "- type: Hostname",
                "  address: {{ .metadata.name | Quote }}",
                "capacity: {cpu: \"1000\", memory: 4Ti, pods: \"%d\"}" % pods_per_node,
                "allocatable: {cpu: \"1000\", memory: 4Ti, pods: \"%d\"}" % pods_per_node,
                "nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: kwok}",
                "phase: Running"])}}}
    pod_running = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "kb-pod-running"},
        "spec": {
            "resourceRef": {"apiGroup": "v1", "kind": "Pod"},
            "selector": {"matchExpressions": [
                {"key": ".metadata.deletionTimestamp", "operator": "DoesNotExist"},
                {"key": ".status.phase", "operator": "In", "values": ["Pending"]}]},
            "next": {"statusTemplate": "\n".join([
                "{{ $now := Now }}",
                "phase: Running",
                "startTime: {{ $now | Quote }}",
                "hostIP: {{ NodeIPWith .spec.nodeName | Quote }}",
                "podIP: {{ PodIPWith .spec.nodeName false .metadata.uid .metadata.name .metadata.namespace | Quote }}",
                "conditions:",
                "{{ range list \"PodScheduled\" \"Initialized\" \"ContainersReady\" \"Ready\" }}",
                "- type: {{ . }}",
                "  status: \"True\"",
                "  lastTransitionTime: {{ $now | Quote }}",
                "{{ end }}",
                "containerStatuses:",
                "{{ range .spec.containers }}",
                "- name: {{ .name | Quote }}",
                "  image: {{ .image | Quote }}",
                "  ready: true",
                "  started: true",
                "  restartCount: 0",
                "  state: {running: {startedAt: {{ $now | Quote }}}}",
                "{{ end }}"])}}}
    pod_gone = {
        "apiVersion": "kwok.x-k8s.io/v1alpha1", "kind": "Stage", "metadata": {"name": "kb-pod-gone"},
        "spec": {"resourceRef": {"apiGroup": "v1", "kind": "Pod"},
                 "selector": {"matchExpressions": [{"key": ".metadata.deletionTimestamp", "operator": "Exists"}]},
                 "next": {"delete": True}}}
    return [node_ready, pod_running, pod_gone]


class SilentNodes:
    """A listening socket on RPC_PORT of every address of a free block (cidr): accepts, reads and discards, never
    answers. One thread serves them all (selectors) until stop(); closing is done by the thread."""

    def __init__(self, port=RPC_PORT):
        self._selector = selectors.DefaultSelector()
        self.accepted = 0
        self.accepted_by_ip = {}  # address -> connections the controller opened to it
        self.bytes_received = 0
        for cidr in POD_CIDR_CANDIDATES:
            listeners = self._listen(cidr, port)
            if listeners:
                self.cidr = cidr
                break
        else:
            raise RuntimeError("no free block of loopback addresses among %s..%s for port %d"
                               % (POD_CIDR_CANDIDATES[0], POD_CIDR_CANDIDATES[-1], port))
        for s in listeners:
            self._selector.register(s, selectors.EVENT_READ, "listener")
        self._wake_r, self._wake_w = socket.socketpair()
        self._selector.register(self._wake_r, selectors.EVENT_READ, "stop")
        self._thread = threading.Thread(target=self._serve, name="silent-nodes")
        self._thread.start()

    @staticmethod
    def _listen(cidr, port):
        """Listening sockets on port of every address in cidr, or [] when one is taken."""
        listeners = []
        try:
            for ip in ipaddress.ip_network(cidr).hosts():
                s = socket.socket()
                listeners.append(s)
                # Past runs' connections in TIME_WAIT do not block it; another listener does.
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind((str(ip), port))
                s.listen(64)
                s.setblocking(False)
        except OSError:
            for s in listeners:
                s.close()
            return []
        return listeners

    def _serve(self):
        while True:
            for key, _ in self._selector.select():
                if key.data == "stop":
                    for k in list(self._selector.get_map().values()):
                        k.fileobj.close()
                    self._selector.close()
                    return
                if key.data == "listener":
                    try:
                        conn, _ = key.fileobj.accept()
                    except BlockingIOError:
                        continue
                    conn.setblocking(False)
                    self.accepted += 1
                    ip = key.fileobj.getsockname()[0]
                    self.accepted_by_ip[ip] = self.accepted_by_ip.get(ip, 0) + 1
                    self._selector.register(conn, selectors.EVENT_READ, "conn")
                    continue
                try:
                    data = key.fileobj.recv(65536)
                except (BlockingIOError, ConnectionError):
                    data = b"" if not isinstance(key.fileobj, socket.socket) else None
                if data:
                    self.bytes_received += len(data)
                elif data is not None:  # the controller gave up on this connection
                    self._selector.unregister(key.fileobj)
                    key.fileobj.close()

    def stop(self):
        self._wake_w.send(b"x")
        self._thread.join()
        self._wake_w.close()


class SimulatedNodes:
    """kube-scheduler and kwok against a ControlPlane, and `nodes` fake Nodes with room for
    pods_per_node pods each. The pods' IPs answer as SilentNodes do (see the module docstring)."""

    def __init__(self, cp, nodes, pods_per_node=110):
        self.cp, self.nodes, self.pods_per_node = cp, nodes, pods_per_node
        self.node_names = ["kwok-%d" % i for i in range(nodes)]
        self.silent = None

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    def start(self):
        cp = self.cp
        self.silent = SilentNodes()
        cp.pki.cert("scheduler", "/CN=system:kube-scheduler")
        cp.pki.cert("kwok", "/O=system:masters/CN=kwok")
        sched_kc = control_plane.write_kubeconfig(os.path.join(cp.dir, "scheduler.kubeconfig"), cp.server,
                                                  cp.pki.ca_crt, cp.pki.path("scheduler.crt"),
                                                  cp.pki.path("scheduler.key"))
        kwok_kc = control_plane.write_kubeconfig(os.path.join(cp.dir, "kwok.kubeconfig"), cp.server, cp.pki.ca_crt,
                                                 cp.pki.path("kwok.crt"), cp.pki.path("kwok.key"))
        # The API server takes higher rates from the scheduler and kwok than their client
        # defaults, so neither becomes the bottleneck of a burst of a thousand pods.
        cp.start_process("kube-scheduler", [
            os.path.join(cp.bin, "kube-scheduler"), "--kubeconfig=" + sched_kc,
            "--authentication-kubeconfig=" + sched_kc, "--authorization-kubeconfig=" + sched_kc,
            "--bind-address=127.0.0.1", "--secure-port=%d" % control_plane.free_port(),
            "--leader-elect=false", "--kube-api-qps=500", "--kube-api-burst=1000", "--v=1"])
        config = os.path.join(cp.dir, "kwok.yaml")
        with open(config, "w") as f:
            f.write("\n---\n".join(json.dumps(s) for s in _stages(self.pods_per_node)))
        cp.start_process("kwok", [
            kwok_path(), "--kubeconfig=" + kwok_kc, "--config=" + config, "--manage-all-nodes=true",
            "--cidr=" + self.silent.cidr, "--node-ip=%s" % NODE_IP_BASE, "--server-address=",
            "--node-lease-duration-seconds=0"])
        docs = [{"apiVersion": "v1", "kind": "Node",
                 "metadata": {"name": name, "annotations": {FAKE_NODE_ANNOTATION: "fake"},
                              "labels": {"type": "kwok", "kubernetes.io/hostname": name}},
                 "spec": {}} for name in self.node_names]
        cp.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": docs}))
        control_plane.wait_until("%d simulated nodes Ready" % self.nodes, self._all_ready, timeout=60)
        # The API server taints every new Node not-ready; the node lifecycle controller, which is
        # not run here, would lift it once the node reports Ready.
        cp.kubectl("taint", "nodes", "-l", "type=kwok", "node.kubernetes.io/not-ready:NoSchedule-")

    def _all_ready(self):
        nodes = json.loads(self.cp.kubectl("get", "nodes", "-o", "json"))["items"]
        ready = [n for n in nodes if any(c["type"] == "Ready" and c["status"] == "True"
                                         for c in n.get("status", {}).get("conditions", []))]
        return len(ready) >= self.nodes

    def stop(self):
        for name in ("kwok", "kube-scheduler"):
            self.cp.stop_process(name)
        if self.silent:
            self.silent.stop()
            self.silent = None
