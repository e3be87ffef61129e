"""Helpers for the system tests: real kubectl, the real plugin, real bitcoind RPC. No mocks.

Every test runs against the local cluster of hack/local-cluster.sh (KUBECONFIG from
`hack/local-cluster.sh env`) with the controller installed by `kubectl bitcoin install`.
Tests check what the controller did by calling each node's JSON-RPC with bitcoin-cli inside
its pod (`kubectl exec`), as an operator of any cluster can: the network's NetworkPolicy, which
the cluster enforces, admits RPC only from the controller.
"""
import base64
import calendar
import json
import os
import random
import string
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KB_BUILD_DIR", os.path.join(REPO, "build"))
ENV = dict(os.environ)


def _local_cluster_env():
    """KUBECONFIG and the cluster's tool PATH from `hack/local-cluster.sh env`, when not set already."""
    if "KUBECONFIG" in ENV and "LOCAL_CLUSTER_BIN" in ENV:
        return
    proc = subprocess.run([os.path.join(REPO, "hack", "local-cluster.sh"), "env"], capture_output=True, text=True)
    for line in proc.stdout.splitlines():
        if line.startswith("export ") and "=" in line:
            key, value = line[len("export "):].split("=", 1)
            value = value.strip('"')
            if key == "PATH":
                continue
            ENV.setdefault(key, value)
    if "LOCAL_CLUSTER_BIN" in ENV:
        ENV["PATH"] = ENV.get("PATH", "") + os.pathsep + ENV["LOCAL_CLUSTER_BIN"]


_local_cluster_env()
ENV["PATH"] = BUILD + os.pathsep + ENV.get("PATH", "")
GROUP = "bitcoin.kubectl-bitcoin.dev"
CONTROLLER_NS = "bitcoin-controller"


def log(*parts):
    print("[%s]" % time.strftime("%H:%M:%S"), *parts, flush=True)


def run(args, check=True, input=None, timeout=300, env_extra=None):
    """Runs a command (with the tests' environment plus env_extra); returns (exit code, stdout, stderr)."""
    env = dict(ENV, **(env_extra or {}))
    proc = subprocess.run(args, env=env, input=input, capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError("command failed (%d): %s\nstdout: %s\nstderr: %s"
                             % (proc.returncode, " ".join(args), proc.stdout[-3000:], proc.stderr[-3000:]))
    return proc.returncode, proc.stdout, proc.stderr


def kubectl(*args, check=True, input=None):
    return run(["kubectl", *args], check=check, input=input)[1]


def kubectl_json(*args):
    return json.loads(kubectl(*args, "-o", "json"))


def plugin(*args, check=True, timeout=600):
    """`kubectl bitcoin ...` through kubectl's own plugin discovery."""
    return run(["kubectl", "bitcoin", *args], check=check, timeout=timeout)


def audit_writes(since, namespace=None, user_prefix=None):
    """Writes the API server recorded in its audit log (hack/local-cluster.sh turns it on: every
    create/update/patch/delete at Metadata level) received at or after `since` (epoch seconds),
    optionally only those to objects in `namespace` and by users whose name starts with
    `user_prefix`. The API server's own record, so a test can count one network's writes while
    other networks on the cluster (a user's, another test's) write as much as they like."""
    path = ENV.get("LOCAL_CLUSTER_AUDIT_LOG") or os.path.join(ENV.get("LOCAL_CLUSTER_DIR", os.path.join(REPO, ".local-cluster")), "logs", "audit.log")
    folder, base = os.path.split(path)
    stem = os.path.splitext(base)[0]
    files = sorted(os.path.join(folder, f) for f in os.listdir(folder) if f.startswith(stem) and f.endswith(".log"))
    found = []
    for name in files:  # rotated backups (audit-<time>.log) first, then the current file
        with open(name, errors="replace") as f:
            for line in f:
                try:
                    event = json.loads(line)
                except ValueError:
                    continue  # a line being written right now
                if _audit_time(event.get("requestReceivedTimestamp", "")) < since:
                    continue
                ref = event.get("objectRef", {})
                if namespace is not None and ref.get("namespace") != namespace:
                    continue
                if user_prefix is not None and not event.get("user", {}).get("username", "").startswith(user_prefix):
                    continue
                found.append(event)
    return found


def _audit_time(stamp):
    """RFC 3339 with microseconds, always UTC ("2026-12-06T02:45:12.123456Z") → epoch seconds."""
    if not stamp:
        return 0.0
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(whole, "%Y-%m-%dT%H:%M:%S")) + float("0." + (fraction or "0"))


def describe_write(event):
    ref = event.get("objectRef", {})
    what = "/".join(x for x in (ref.get("resource"), ref.get("name"), ref.get("subresource")) if x)
    return "%s %s by %s (%s)" % (event.get("verb"), what, event.get("user", {}).get("username"), event.get("userAgent", ""))


CONTROLLER_USER_PREFIX = "system:serviceaccount:bitcoin-controller:"


def wait_until(what, predicate, timeout=180, interval=1.0):
    """Polls predicate() until it returns a truthy value; fails with `what` and the last value."""
    deadline = time.time() + timeout
    last = None
    started = time.time()
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                log("ok: %s (%.1fs)" % (what, time.time() - started))
                return last
        except Exception as e:  # transient: pods restarting, RPC warming up
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(interval)
    raise AssertionError("timed out after %ds waiting for %s; last: %s" % (timeout, what, last))


def fresh_namespace(prefix, labels=None):
    name = "%s-%s" % (prefix, "".join(random.choice(string.ascii_lowercase + string.digits) for _ in range(5)))
    kubectl("create", "namespace", name)
    for k, v in (labels or {}).items():
        kubectl("label", "namespace", name, "%s=%s" % (k, v), "--overwrite")
    log("namespace", name)
    return name


def delete_namespace(name):
    kubectl("delete", "namespace", name, "--wait=false", check=False)


def apply_network(ns, name, spec):
    doc = {"apiVersion": GROUP + "/v1", "kind": "BitcoinNetwork",
           "metadata": {"name": name, "namespace": ns}, "spec": spec}
    return run(["kubectl", "apply", "-f", "-"], input=json.dumps(doc), check=False)


def get_network(ns, name):
    return kubectl_json("-n", ns, "get", "bitcoinnetworks." + GROUP, name)


def network_pods(ns, name):
    pods = kubectl_json("-n", ns, "get", "pods", "-l", GROUP + "/network=" + name)["items"]
    return sorted(pods, key=lambda p: p["metadata"]["name"])


def pod_ready(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "Ready":
            return c["status"] == "True"
    return False


def credentials(ns, name):
    net = get_network(ns, name)
    secret = net["spec"].get("secret") or name + "-rpc"
    data = kubectl_json("-n", ns, "get", "secret", secret)["data"]
    return (base64.b64decode(data["BC_RPC_USER"]).decode(), base64.b64decode(data["BC_RPC_PASSWORD"]).decode())


class RpcError(Exception):
    def __init__(self, code, message):
        super().__init__("RPC error %s: %s" % (code, message))
        self.code = code


def kubeconfig_for(service_account, namespace):
    """A kubeconfig file that acts as the ServiceAccount (a token from the TokenRequest API)."""
    token = kubectl("-n", namespace, "create", "token", service_account).strip()
    admin = json.loads(kubectl("config", "view", "--raw", "--minify", "-o", "json"))
    cluster = admin["clusters"][0]["cluster"]
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "limited",
              "clusters": [{"name": "local", "cluster": cluster}],
              "users": [{"name": service_account, "user": {"token": token}}],
              "contexts": [{"name": "limited", "context": {"cluster": "local", "user": service_account,
                                                           "namespace": namespace}}]}
    handle = tempfile.NamedTemporaryFile("w", suffix=".kubeconfig", delete=False)
    json.dump(config, handle)
    handle.close()
    return handle.name


def degraded_reason(ns, name):
    """(reason, message) of the network's Degraded condition when it is True, else (None, "")."""
    for c in get_network(ns, name).get("status", {}).get("conditions", []):
        if c["type"] == "Degraded" and c["status"] == "True":
            return c.get("reason"), c.get("message", "")
    return None, ""


def pod_with_ip(ip):
    """(namespace, name) of the running pod that has this IP."""
    pods = kubectl_json("get", "pods", "-A", "--field-selector", "status.podIP=%s,status.phase=Running" % ip)["items"]
    if len(pods) != 1:
        raise AssertionError("want one running pod with IP %s, found %d" % (ip, len(pods)))
    return pods[0]["metadata"]["namespace"], pods[0]["metadata"]["name"]


def rpc(ip, creds, method, *params, timeout=20):
    """Calls a node the way an operator of any cluster can: bitcoin-cli inside its pod through
    `kubectl exec` (the password on standard input, never on a command line). A test on the
    host cannot open a node's RPC port: the network's NetworkPolicy admits only the controller."""
    ns, pod = pod_with_ip(ip)
    args = ["-n", ns, "exec", "-i", pod, "-c", "bitcoind", "--", "bitcoin-cli", "-regtest", "-rpcport=18443",
            "-rpcclienttimeout=%d" % timeout, "-rpcuser=" + creds[0], "-stdinrpcpass", "-stdin", method]
    args += [p if isinstance(p, str) else json.dumps(p) for p in params]
    p = subprocess.run(["kubectl", *args], input=creds[1] + "\n", capture_output=True, text=True,
                       env=ENV, timeout=timeout + 30)
    if p.returncode != 0:
        # bitcoin-cli: "error code: -N" then "error message:" and the message.
        err = p.stderr
        if "error code:" in err:
            code = int(err.split("error code:", 1)[1].split()[0])
            message = err.split("error message:", 1)[1].strip() if "error message:" in err else err.strip()
            raise RpcError(code, message)
        raise AssertionError("bitcoin-cli %s in %s/%s exited %d: %s" % (method, ns, pod, p.returncode, err.strip()[:300]))
    out = p.stdout.strip()
    try:
        return json.loads(out)
    except ValueError:
        return out  # a plain string result (a hash, an address)


def pod_metrics(namespace, pod, port=8080):
    """A pod's /metrics text through `kubectl port-forward` (the kubelet connects inside the pod's
    network namespace): the chart's NetworkPolicy admits metrics scrapers, not a test on the host."""
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        local = s.getsockname()[1]
    proc = subprocess.Popen(["kubectl", "-n", namespace, "port-forward", "pod/" + pod, "%d:%d" % (local, port)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
    try:
        deadline = time.time() + 20
        while True:
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % local, timeout=5) as resp:
                    return resp.read().decode()
            except OSError:
                if time.time() > deadline or proc.poll() is not None:
                    raise AssertionError("port-forward to %s/%s:%d did not answer: %s"
                                         % (namespace, pod, port, proc.stderr.read().decode()[:300] if proc.poll() is not None else ""))
                time.sleep(0.3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def metric_values(text, name):
    """Values of every sample of a metric (name exactly, with or without labels)."""
    values = []
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            values.append(float(line.rsplit(" ", 1)[1]))
    return values


def peer_ips(ip, creds):
    """The IPs this node is connected to (inbound or outbound)."""
    return sorted({p["addr"].rsplit(":", 1)[0] for p in rpc(ip, creds, "getpeerinfo")})


def edges_of(ips, creds):
    """The P2P connections between the nodes with these IPs (by index in `ips`), as their getpeerinfo shows them."""
    index = {ip: i for i, ip in enumerate(ips)}
    edges = set()
    for i, ip in enumerate(ips):
        for peer in peer_ips(ip, creds):
            if peer in index:
                edges.add(tuple(sorted((i, index[peer]))))
    return edges


def added_ips(ip, creds):
    return sorted({a["addednode"].rsplit(":", 1)[0] for a in rpc(ip, creds, "getaddednodeinfo")})


def ready_ips(ns, name, count):
    """The IPs of pods 0..count-1 once all are Ready, else None."""
    pods = [p for p in network_pods(ns, name) if not p["metadata"].get("deletionTimestamp")]
    if len(pods) != count or not all(pod_ready(p) for p in pods):
        return None
    return [p["status"]["podIP"] for p in pods]


def network_ready(ns, name, count):
    net = get_network(ns, name)
    status = net.get("status", {})
    ready = [c for c in status.get("conditions", []) if c["type"] == "Ready"]
    return (status.get("readyNodes") == count and len(status.get("nodes", [])) == count
            and ready and ready[0]["status"] == "True" and status.get("observedGeneration") == net["metadata"]["generation"])


def main(tests):
    """Runs test functions in order; any exception fails the script (exit 1)."""
    failed = 0
    for test in tests:
        log("=== %s" % test.__name__)
        try:
            test()
            log("PASS %s" % test.__name__)
        except Exception as e:
            failed += 1
            log("FAIL %s: %s" % (test.__name__, e))
            import traceback
            traceback.print_exc()
    print("%d passed, %d failed" % (len(tests) - failed, failed), flush=True)
    sys.exit(1 if failed else 0)


class Watch:
    """`kubectl get -w` of one object, every event timestamped on arrival, printed with a jsonpath
    template (one line per event). Times measured from two lines of the same watch are the
    controller's reaction alone: no kubectl start-up, no polling interval in them."""

    def __init__(self, *get_args, template):
        import threading
        self.lines = []  # (time.monotonic(), text)
        self._cond = threading.Condition()
        self._proc = subprocess.Popen(["kubectl", "get", *get_args, "-w", "-o", "jsonpath=" + template + "{\"\\n\"}"],
                                      stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=ENV)
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self):
        for line in self._proc.stdout:
            with self._cond:
                self.lines.append((time.monotonic(), line.rstrip("\n")))
                self._cond.notify_all()

    def wait_for(self, what, predicate, after=0, timeout=60):
        """(time, line) of the first line at index >= after for which predicate(line) holds (its
        index in last_index)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                for i in range(after, len(self.lines)):
                    if predicate(self.lines[i][1]):
                        self.last_index = i
                        return self.lines[i]
                left = deadline - time.monotonic()
                if left <= 0 or self._proc.poll() is not None:
                    raise AssertionError("watch: timed out after %ds waiting for %s; last lines: %s"
                                         % (timeout, what, [l for _, l in self.lines[-3:]]))
                self._cond.wait(left)

    def mark(self):
        with self._cond:
            return len(self.lines)

    def close(self):
        self._proc.terminate()
        self._proc.wait(timeout=10)


def container_task_pid(ns, pod, container="bitcoind"):
    """The host PID of a container's main process (the containers of the local cluster's node are
    host processes): the container ID from the pod's status, its task's PID from containerd."""
    status = [c for c in kubectl_json("-n", ns, "get", "pod", pod)["status"].get("containerStatuses", [])
              if c["name"] == container]
    if not status or not status[0].get("containerID"):
        raise AssertionError("%s/%s has no %s container yet" % (ns, pod, container))
    cid = status[0]["containerID"].split("://", 1)[1]
    socket_path = ENV["CONTAINER_RUNTIME_ENDPOINT"].split("://", 1)[-1]
    out = run(["ctr", "--address", socket_path, "-n", "k8s.io", "task", "ls"])[1]
    for line in out.splitlines():
        fields = line.split()
        if fields and fields[0] == cid:
            return int(fields[1])
    raise AssertionError("containerd has no task for container %s of %s/%s" % (cid, ns, pod))


def process_state(pid):
    """The State letter of /proc/PID/status: R, S, T (stopped), Z, ..."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("State:"):
                return line.split()[1]
    return "?"


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


CRD = "bitcoinnetworks." + GROUP


def restore_crd(saved):
    """Puts back the CRD found at the start when the reinstall changed it (on a shared cluster the
    installed controller may come from another checkout, whose CRD this plugin would replace)."""
    current = kubectl_json("get", "crd", CRD)
    if current["spec"] == saved["spec"]:
        return
    for key in ("resourceVersion", "uid", "creationTimestamp", "generation", "managedFields"):
        saved["metadata"].pop(key, None)
    saved.pop("status", None)
    saved["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
    kubectl("replace", "-f", "-", input=json.dumps(saved))
    log("restored the CRD that was installed before")


def test_log_dir(test):
    """Where a test leaves files for the reader of its log (screenshots): $KB_TEST_LOG_DIR/<test>,
    by default <build dir>/test-logs/<test>, next to CTest's own Testing/ logs."""
    path = os.path.join(os.environ.get("KB_TEST_LOG_DIR", os.path.join(BUILD, "test-logs")), test)
    os.makedirs(path, exist_ok=True)
    return path


def figure(name, value, unit="", note=""):
    """One measured figure, in the form the README's figures are collected from."""
    print("FIGURE %s = %s%s%s" % (name, value, (" " + unit) if unit else "", ("  # " + note) if note else ""), flush=True)


LONG = os.environ.get("KB_CHAOS_LONG") == "1"
