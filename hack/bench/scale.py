#!/usr/bin/env python3
"""The scale benchmark (hack/bench.sh scale [N...]): N one-node networks created at once on a
private control plane (test/faults/control_plane.py) whose pods run on kwok's simulated nodes
(test/faults/kwok.py: Running with IPs that never answer RPC), with the controller as a host
process. Measured per N:

- convergence: from the first create request to the moment every network's StatefulSet, Service
  and Secret(s) have been seen - by watches of those three kinds that the bench opens before the
  burst (event arrival times on this side), matched to networks by ownerReferences;
- per network, creation -> StatefulSet: the audit log's stageTimestamp (microseconds, the API
  server's clock) of the StatefulSet's create minus that of the network's create; p50/p99/max;
- the controller's peak RSS (VmHWM) and CPU seconds (utime+stime) from /proc;
- API requests by verb and resource during the convergence and during REST_SECONDS at rest,
  attributed to the controller by the audit log's user (its ServiceAccount) - the bench's audit
  policy records reads too; apiserver_request_total (all clients) is recorded beside it;
- single network on the idle cluster: one more network after the rest window, SINGLE_RUNS times,
  creation -> StatefulSet from the audit log; median/max.

The networks are created by parallel server-side creates (CREATE_THREADS connections, POST of one
object each), not a kubectl apply of a List: kubectl applies a List one object after the other.

The workload does not depend on which controller runs: run_workload() takes a ControllerUnderTest
(its argv, CRD, RBAC, ServiceAccount, network manifest), so another controller goes through the
same burst (hack/bench.sh versus-seed). Python 3 standard library only.
"""
import concurrent.futures
import dataclasses
import http.client
import json
import math
import os
import shlex
import ssl
import statistics
import subprocess
import sys
import threading
import time
import typing
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "test", "faults"))
import control_plane  # noqa: E402
import kwok  # noqa: E402
from faultlib import process_usage  # noqa: E402
from lease_terms import parse_time  # noqa: E402

BENCH_NAMESPACE = "kwokscale-bench"
PODS_PER_NODE = 110  # a kubelet's default; nodes = ceil(pods / 100) leaves room
CREATE_THREADS = 8
SINGLE_TIMEOUT = 60  # seconds a single network on the idle cluster may take to get its StatefulSet

# The audit policy of the benchmark: every request at Metadata level (reads too, so the controller's
# lists and watches are counted), except those of the components that simulate the cluster.
AUDIT_POLICY = {
    "apiVersion": "audit.k8s.io/v1", "kind": "Policy", "omitStages": ["RequestReceived"],
    "rules": [
        {"level": "None", "users": ["system:kube-scheduler", "system:kube-controller-manager", "kwok"]},
        {"level": "None", "userGroups": ["system:serviceaccounts:kube-system"]},
        {"level": "Metadata"}]}


@dataclasses.dataclass
class ControllerUnderTest:
    """Everything the workload needs to know about a controller."""
    name: str
    crd_path: str
    rbac_yaml: str  # ServiceAccount + roles + bindings, applied as the admin
    service_account: typing.Tuple[str, str]  # (namespace, name): whose token it runs with
    argv: typing.Callable[[str], typing.List[str]]  # kubeconfig path -> command line
    network: typing.Callable[[str, str], dict]  # (namespace, name) -> the network's manifest
    network_path: typing.Callable[[str], str]  # namespace -> the collection's API path
    env: dict = dataclasses.field(default_factory=dict)
    metrics_url: typing.Optional[str] = None  # its own /metrics, if any
    # What every network must own before it counts as converged (keys of WATCHED); the original
    # Go controller makes no Secret.
    owns: typing.Tuple[str, ...] = ("statefulsets", "services", "secrets")


def ours(binary=None):
    """This project's controller, with the chart's RBAC and flags (as control_plane.Controller)."""
    binary = binary or os.path.join(control_plane.BUILD, "kubectl-bitcoin")
    metrics_port = control_plane.free_port()
    rendered = subprocess.run([binary, "template", "-n", control_plane.CONTROLLER_NAMESPACE], capture_output=True,
                              text=True, check=True).stdout
    kinds = control_plane.ControlPlane.RBAC_KINDS
    rbac = [d for d in rendered.split("\n---") if any("\nkind: %s\n" % k in "\n" + d.strip() + "\n" for k in kinds)]
    group = control_plane.GROUP

    def argv(kubeconfig):
        return [binary, "--kubeconfig", kubeconfig, "serve", "--log-format", "json",
                "--metrics-bind-address", "127.0.0.1:%d" % metrics_port, "--gateway-bind-address", "0",
                "--leader-elect", "--leader-election-namespace", control_plane.CONTROLLER_NAMESPACE,
                "--leader-election-id", control_plane.LEASE_NAME,
                "--credential-key-secret", "bitcoin-controller-credential-key"] + shlex.split(
                    os.environ.get("SERVE_ARGS", ""))  # e.g. SERVE_ARGS="--workers 8", to compare settings

    return ControllerUnderTest(
        name="kubectl-bitcoin", crd_path=os.path.join(REPO, "manifests", "crd.yaml"), rbac_yaml="\n---\n".join(rbac),
        service_account=(control_plane.CONTROLLER_NAMESPACE, "bitcoin-controller"), argv=argv,
        network=lambda ns, name: {"apiVersion": group + "/v1", "kind": "BitcoinNetwork",
                                  "metadata": {"name": name, "namespace": ns}, "spec": {"nodes": 1}},
        network_path=lambda ns: "/apis/%s/v1/namespaces/%s/bitcoinnetworks" % (group, ns),
        env={"POD_NAMESPACE": control_plane.CONTROLLER_NAMESPACE, "POD_NAME": "bench"},
        metrics_url="http://127.0.0.1:%d/metrics" % metrics_port)


# ------------------------------------------------------------------ measuring helpers

def percentile(values, p):
    """Nearest-rank percentile (p in 0..100) of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


class Api:
    """Requests as the admin on keep-alive connections (one per thread)."""

    def __init__(self, cp):
        self.host, self.port = "127.0.0.1", cp.apiserver_port
        self.ctx = ssl.create_default_context(cafile=cp.pki.ca_crt)
        self.ctx.load_cert_chain(cp.pki.path("admin.crt"), cp.pki.path("admin.key"))
        self._local = threading.local()

    def connection(self, timeout=30):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx, timeout=timeout)

    def request(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json", "Accept": "application/json", "User-Agent": "kb-bench"}
        for attempt in (1, 2):
            conn = getattr(self._local, "conn", None)
            if conn is None:
                conn = self._local.conn = self.connection()
            try:
                conn.request(method, path, body=data, headers=headers)
                r = conn.getresponse()
                payload = r.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                # The API server closed the idle keep-alive connection: once more on a new one.
                conn.close()
                self._local.conn = None
                if attempt == 2:
                    raise
        if r.status >= 300:
            raise RuntimeError("%s %s: %d %s" % (method, path, r.status, payload[:300]))
        return payload

    def json(self, method, path, body=None):
        return json.loads(self.request(method, path, body))


class OwnedObjectsWatch:
    """Watches one kind in a namespace from a resourceVersion and records, per owner uid, when the
    first object it owns arrived (time.time() on this side) and how many it owns."""

    def __init__(self, api, path, resource_version):
        self.api, self.path, self.rv = api, path, resource_version
        self.first_seen = {}  # owner uid -> arrival time
        self.count = {}  # owner uid -> objects
        self.changed = threading.Condition()
        self._stop = threading.Event()
        self._conn = None
        self._thread = threading.Thread(target=self._run, name="watch " + path)
        self._thread.start()

    def _run(self):
        while not self._stop.is_set():
            conn = self._conn = self.api.connection(timeout=None)
            try:
                conn.request("GET", "%s?watch=1&resourceVersion=%s&allowWatchBookmarks=true" % (self.path, self.rv),
                             headers={"Accept": "application/json", "User-Agent": "kb-bench"})
                r = conn.getresponse()
                while not self._stop.is_set():
                    line = r.readline()
                    if not line:
                        break
                    self._event(json.loads(line), time.time())
            except (OSError, http.client.HTTPException, ValueError):
                if self._stop.is_set():
                    return
                time.sleep(0.2)
            finally:
                conn.close()

    def _event(self, event, now):
        obj = event.get("object", {})
        self.rv = obj.get("metadata", {}).get("resourceVersion", self.rv)
        if event.get("type") != "ADDED":
            return
        with self.changed:
            for ref in obj["metadata"].get("ownerReferences", []):
                self.first_seen.setdefault(ref["uid"], now)
                self.count[ref["uid"]] = self.count.get(ref["uid"], 0) + 1
            self.changed.notify_all()

    def stop(self):
        self._stop.set()
        if self._conn and self._conn.sock:
            try:
                self._conn.sock.shutdown(2)
            except OSError:
                pass
        self._thread.join(10)


WATCHED = {"statefulsets": "/apis/apps/v1/namespaces/%s/statefulsets", "services": "/api/v1/namespaces/%s/services",
           "secrets": "/api/v1/namespaces/%s/secrets"}


def wait_converged(watches, uids, deadline):
    """Blocks until every uid owns at least one object of each watched kind; returns the arrival
    time of the last one needed, or None at the deadline."""
    for w in watches.values():
        with w.changed:
            while not all(u in w.first_seen for u in uids):
                if time.time() > deadline:
                    return None
                w.changed.wait(0.5)
    return max(w.first_seen[u] for w in watches.values() for u in uids)


def audit_requests(cp, user, since, until):
    """Requests of `user` received in [since, until) from the audit log: {(verb, resource): n},
    one per request (auditID), by requestReceivedTimestamp."""
    seen, out = set(), {}
    for e in cp.audit_events():
        if e.get("user", {}).get("username") != user or e["auditID"] in seen:
            continue
        t = parse_time(e["requestReceivedTimestamp"])
        if not since <= t < until:
            continue
        seen.add(e["auditID"])
        ref = e.get("objectRef", {})
        resource = ref.get("resource", e.get("requestURI", "?"))
        if ref.get("subresource"):
            resource += "/" + ref["subresource"]
        key = "%s %s" % (e["verb"], resource)
        out[key] = out.get(key, 0) + 1
    return dict(sorted(out.items()))


def create_latencies(cp, user, network_resource, names, sts_name_of):
    """Per network name: the audit stageTimestamp (microseconds, the API server's clock) of the
    first successful write by `user` that made its StatefulSet (a create, or a server-side apply
    answered 201) minus that of the network's create."""
    created, sts_created = {}, {}
    for e in cp.audit_events():
        ref = e.get("objectRef", {})
        if e.get("stage") != "ResponseComplete" or ref.get("namespace") != BENCH_NAMESPACE:
            continue
        code = e.get("responseStatus", {}).get("code", 0)
        t = parse_time(e["stageTimestamp"])
        if ref.get("resource") == network_resource and e["verb"] == "create" and code < 300:
            created.setdefault(ref.get("name"), t)
        elif (ref.get("resource") == "statefulsets" and not ref.get("subresource") and code == 201
              and e["user"]["username"] == user):
            sts_created.setdefault(ref.get("name"), t)
    return {name: sts_created[sts_name_of(name)] - created[name] for name in names
            if name in created and sts_name_of(name) in sts_created}


def apiserver_request_totals(api):
    """apiserver_request_total summed by (verb, resource), all clients."""
    totals = {}
    for line in api.request("GET", "/metrics").decode().splitlines():
        if not line.startswith("apiserver_request_total{"):
            continue
        labels = dict(kv.split("=", 1) for kv in line[line.index("{") + 1:line.rindex("}")].split(","))
        key = "%s %s" % (labels.get("verb", "").strip('"'), labels.get("resource", "").strip('"'))
        totals[key] = totals.get(key, 0) + float(line.rsplit(" ", 1)[1])
    return totals


def diff_totals(after, before):
    return {k: int(v - before.get(k, 0)) for k, v in sorted(after.items()) if v - before.get(k, 0) >= 1}


def is_write(verb_resource):
    return verb_resource.split()[0] in ("create", "update", "patch", "delete", "deletecollection")


def summary(values):
    if not values:
        return None
    return {"n": len(values), "p50_ms": round(percentile(values, 50) * 1000, 1),
            "p99_ms": round(percentile(values, 99) * 1000, 1), "max_ms": round(max(values) * 1000, 1)}


# ------------------------------------------------------------------ the workload

def run_workload(controller, n, rest_seconds=300, single_runs=10, sts_name_of=lambda name: name + "-sts",
                 converge_timeout=int(os.environ.get("CONVERGE_TIMEOUT", "1800"))):
    """One fresh private control plane + kwok + `controller`; n networks at once; see the module
    docstring. Returns a dict of figures (JSON-serialisable)."""
    user = "system:serviceaccount:%s:%s" % controller.service_account
    policy_dir = os.path.join(REPO, "bench-results")
    os.makedirs(policy_dir, exist_ok=True)
    policy = os.path.join(policy_dir, ".audit-policy-scale.json")
    with open(policy, "w") as f:
        json.dump(AUDIT_POLICY, f)
    result = {"controller": controller.name, "networks": n, "rest_seconds": rest_seconds}
    with control_plane.ControlPlane("scale-%d" % n, audit_policy=policy, keep_dir_on_failure=False,
                                    apiserver_args=["--max-requests-inflight=800",
                                                    "--max-mutating-requests-inflight=400"]) as cp, \
            kwok.SimulatedNodes(cp, nodes=max(1, math.ceil(n / 100)), pods_per_node=PODS_PER_NODE):
        if controller.crd_path != os.path.join(REPO, "manifests", "crd.yaml"):
            cp.kubectl("apply", "--server-side", "-f", controller.crd_path)
        cp.kubectl("apply", "-f", "-", input=controller.rbac_yaml)
        cp.kubectl("create", "namespace", BENCH_NAMESPACE)
        control_plane.wait_until("the bench namespace's service account", lambda: cp.kubectl(
            "-n", BENCH_NAMESPACE, "get", "serviceaccount", "default", check=False), timeout=60)
        sa_ns, sa_name = controller.service_account
        token = cp.kubectl("-n", sa_ns, "create", "token", sa_name, "--duration=4h").strip()
        kubeconfig = control_plane.write_kubeconfig(os.path.join(cp.dir, "bench-controller.kubeconfig"), cp.server,
                                                    cp.pki.ca_crt, token=token)
        env = dict(os.environ)
        env.update(controller.env)
        proc = cp.start_process("controller", controller.argv(kubeconfig), env=env)
        api = Api(cp)
        control_plane.wait_until("the controller's first request", lambda: any(
            e.get("user", {}).get("username") == user for e in cp.audit_events()), timeout=60)
        time.sleep(3)  # its informers have listed and watch

        collections = {k: p % BENCH_NAMESPACE for k, p in WATCHED.items() if k in controller.owns}
        watches = {k: OwnedObjectsWatch(api, p, api.json("GET", p)["metadata"]["resourceVersion"])
                   for k, p in collections.items()}
        before_totals = apiserver_request_totals(api)
        usage_before = process_usage(proc.pid)
        try:
            # The burst.
            names = ["net-%04d" % i for i in range(n)]
            path = controller.network_path(BENCH_NAMESPACE)
            t0 = time.time()
            with concurrent.futures.ThreadPoolExecutor(CREATE_THREADS) as pool:
                created = list(pool.map(lambda name: api.json("POST", path, controller.network(BENCH_NAMESPACE, name)),
                                        names))
            t_created = time.time()
            uids = {o["metadata"]["name"]: o["metadata"]["uid"] for o in created}
            t_converged = wait_converged(watches, list(uids.values()), t0 + converge_timeout)
            if t_converged is None:  # a figure too: how far it got
                result["not_converged_after_s"] = converge_timeout
                result["networks_missing_objects"] = {k: sum(1 for u in uids.values() if u not in w.first_seen)
                                                      for k, w in watches.items()}
                control_plane.log("scale: not converged after %d s: %s" % (converge_timeout,
                                                                         result["networks_missing_objects"]))
            t_end = time.time() if t_converged is None else max(time.time(), t_converged)
            result["create_seconds"] = round(t_created - t0, 3)
            result["converged_seconds"] = None if t_converged is None else round(t_converged - t0, 3)
            result["objects_per_network"] = {k: statistics.median(w.count[u] for u in uids.values())
                                             for k, w in watches.items()}
            network_resource = path.rsplit("/", 1)[1]
            lat = create_latencies(cp, user, network_resource, list(uids), sts_name_of)
            result["create_to_statefulset"] = summary(list(lat.values()))
            hwm, cpu = process_usage(proc.pid)
            result["converge"] = {"controller_cpu_seconds": round(cpu - usage_before[1], 2),
                                  "controller_requests": audit_requests(cp, user, t0 - 1, t_end),
                                  "apiserver_request_total": diff_totals(apiserver_request_totals(api), before_totals)}
            # Settle (pods turn Running, statuses are written), then the rest window.
            time.sleep(min(30, max(5, rest_seconds // 10)))
            rest_t0 = time.time()
            rest_totals = apiserver_request_totals(api)
            _, rest_cpu0 = process_usage(proc.pid)
            time.sleep(rest_seconds)
            hwm, rest_cpu1 = process_usage(proc.pid)
            rest_t1 = time.time()
            requests_at_rest = audit_requests(cp, user, rest_t0, rest_t1)
            result["rest"] = {
                "controller_cpu_seconds": round(rest_cpu1 - rest_cpu0, 3),
                "controller_cpu_percent": round(100 * (rest_cpu1 - rest_cpu0) / (rest_t1 - rest_t0), 3),
                "controller_requests": requests_at_rest,
                "controller_writes": sum(v for k, v in requests_at_rest.items() if is_write(k)),
                # Leader election renews its Lease every few seconds by design; the rest are writes
                # about the networks.
                "controller_writes_besides_lease": sum(v for k, v in requests_at_rest.items()
                                                       if is_write(k) and k.split()[1] != "leases"),
                "apiserver_request_total": diff_totals(apiserver_request_totals(api), rest_totals)}
            result["controller_peak_rss_mib"] = round(hwm / 2**20, 1)
            # One network at a time on the idle cluster.
            singles, missed = [], 0
            for i in range(single_runs):
                name = "single-%02d" % i
                obj = api.json("POST", path, controller.network(BENCH_NAMESPACE, name))
                if wait_converged({"statefulsets": watches["statefulsets"]}, [obj["metadata"]["uid"]],
                                  time.time() + SINGLE_TIMEOUT) is None:
                    missed += 1  # recorded, not fatal: the figure is what the table must show
                time.sleep(1)
                singles.append(name)
            single_lat = create_latencies(cp, user, network_resource, singles, sts_name_of)
            values = list(single_lat.values())
            result["single_network_idle"] = {
                "n": len(values), "no_statefulset_within_%ds" % SINGLE_TIMEOUT: missed,
                "median_ms": round(statistics.median(values) * 1000, 1) if values else None,
                "max_ms": round(max(values) * 1000, 1) if values else None}
            if controller.metrics_url:
                try:
                    with urllib.request.urlopen(controller.metrics_url, timeout=10) as r:
                        text = r.read().decode()
                    result["controller_metrics"] = {
                        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
                        if line.startswith(("kubectl_bitcoin_reconcile_total", "kubectl_bitcoin_controller_api",
                                            "kubectl_bitcoin_workqueue"))}
                except OSError as e:
                    result["controller_metrics"] = "unavailable: %s" % e
            result["controller_alive"] = proc.alive()
        finally:
            for w in watches.values():
                w.stop()
    return result


# ------------------------------------------------------------------ report

def table(results):
    rows = [("networks", "create s", "converged s", "sts p50 ms", "sts p99 ms", "sts max ms", "single med/max ms",
             "peak RSS MiB", "CPU s (converge)", "idle CPU %", "writes at rest (w/o Lease)", "requests at rest")]
    for r in results:
        s, one = r.get("create_to_statefulset") or {}, r.get("single_network_idle") or {}
        rows.append((str(r["networks"]), "%.2f" % r["create_seconds"], "%.2f" % r["converged_seconds"] if r["converged_seconds"] is not None
                     else "> %d" % r["not_converged_after_s"],
                     str(s.get("p50_ms")), str(s.get("p99_ms")), str(s.get("max_ms")),
                     "%s/%s" % (one.get("median_ms"), one.get("max_ms")) + (
                         " (%d missed)" % one["no_statefulset_within_%ds" % SINGLE_TIMEOUT]
                         if one.get("no_statefulset_within_%ds" % SINGLE_TIMEOUT) else ""), str(r["controller_peak_rss_mib"]),
                     str(r["converge"]["controller_cpu_seconds"]), str(r["rest"]["controller_cpu_percent"]),
                     "%d (%d)" % (r["rest"]["controller_writes"], r["rest"]["controller_writes_besides_lease"]),
                     ", ".join("%s=%d" % kv for kv in r["rest"]["controller_requests"].items()) or "0"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(row, widths)) for row in rows)


def main(argv):
    ns = [int(a) for a in argv] or [10, 100, 1000]
    rest = int(os.environ.get("REST_SECONDS", "300"))
    single_runs = int(os.environ.get("SINGLE_RUNS", "10"))
    results = []
    for n in ns:
        control_plane.log("scale: %d networks, %d s at rest" % (n, rest))
        r = run_workload(ours(), n, rest_seconds=rest, single_runs=single_runs)
        control_plane.log("scale: %s" % json.dumps(r))
        results.append(r)
    out_dir = os.path.join(REPO, "bench-results")
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "scale-%s.json" % time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
    meta = {"date": time.strftime("%FT%TZ", time.gmtime()), "machine": "%d cores, %s" % (os.cpu_count(), os.uname().release),
            "note": "shared by other jobs: wall times are upper bounds"}
    with open(path, "w") as f:
        json.dump({"meta": meta, "results": results}, f, indent=1)
    print("machine: %s (%s)" % (meta["machine"], meta["note"]))
    print(table(results))
    print("JSON: %s" % path)


if __name__ == "__main__":
    main(sys.argv[1:])
