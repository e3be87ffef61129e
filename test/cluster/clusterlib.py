"""Helpers for the local-cluster tests (Python 3 standard library only).

Every test script assumes `hack/local-cluster.sh up` has run; it finds the cluster with
`hack/local-cluster.sh env`, works in a namespace of its own, deletes it at the end, and
exits non-zero on the first failure.
"""

import base64
import json
import os
import shlex
import subprocess
import sys
import time
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(REPO, "hack", "local-cluster.sh")


class TestFailure(Exception):
    pass


def log(msg):
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)


def fail(msg):
    raise TestFailure(msg)


def check(cond, msg):
    if not cond:
        fail(msg)


def load_env():
    """Exports the cluster's environment (KUBECONFIG, ...) into os.environ."""
    out = subprocess.run([SCRIPT, "env"], capture_output=True, text=True)
    if out.returncode != 0:
        fail(f"hack/local-cluster.sh env failed (is the cluster up?): {out.stderr.strip()}")
    for line in out.stdout.splitlines():
        if not line.startswith("export "):
            continue
        key, _, value = line[len("export "):].partition("=")
        value = shlex.split(value)[0] if value else ""
        os.environ[key] = os.path.expandvars(value)
    return dict(os.environ)


def run(args, check_rc=True, input=None, timeout=120):
    p = subprocess.run(args, capture_output=True, text=True, input=input, timeout=timeout)
    if check_rc and p.returncode != 0:
        fail(f"{' '.join(args)} exited {p.returncode}: {p.stderr.strip() or p.stdout.strip()}")
    return p


def kubectl(*args, check_rc=True, input=None, timeout=120):
    return run(["kubectl", *args], check_rc=check_rc, input=input, timeout=timeout)


def kjson(*args):
    return json.loads(kubectl(*args, "-o", "json").stdout)


def apply(manifest, ns=None):
    args = ["apply", "-f", "-"]
    if ns:
        args += ["-n", ns]
    kubectl(*args, input=manifest)


def wait(what, fn, timeout=120, interval=1.0):
    """Polls fn until it returns a truthy value; fails with `what` after timeout."""
    end = time.time() + timeout
    last = None
    while time.time() < end:
        try:
            last = fn()
            if last:
                return last
        except TestFailure as e:
            last = e
        time.sleep(interval)
    fail(f"timed out after {timeout}s waiting for {what} (last: {last})")


def pod_ready(pod):
    for c in pod.get("status", {}).get("conditions", []):
        if c["type"] == "Ready":
            return c["status"] == "True"
    return False


def wait_pods_ready(ns, selector, count, timeout=120):
    def ready():
        pods = kjson("get", "pods", "-n", ns, "-l", selector)["items"]
        pods = [p for p in pods if "deletionTimestamp" not in p["metadata"]]
        if len(pods) == count and all(pod_ready(p) for p in pods):
            return pods
        return None

    return wait(f"{count} ready pods with {selector} in {ns}", ready, timeout)


def rpc(ip, method, params=None, user="alice", password="s3cret", port=18443, timeout=10):
    body = json.dumps({"jsonrpc": "1.0", "id": "test", "method": method, "params": params or []}).encode()
    req = urllib.request.Request(f"http://{ip}:{port}/", data=body, headers={"Content-Type": "application/json"})
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    req.add_header("Authorization", "Basic " + auth)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            doc = json.loads(resp.read())
    except urllib.error.HTTPError as e:
        doc = json.loads(e.read() or b"{}")
    if doc.get("error"):
        fail(f"rpc {method} on {ip}: {doc['error']}")
    return doc["result"]


def cluster_logs(pod, ns, container=None, previous=False):
    args = ["logs", pod, "-n", ns]
    if container:
        args += ["-c", container]
    if previous:
        args.append("--previous")
    return kubectl(*args, check_rc=False).stdout


def node_image():
    """The Bitcoin image a BitcoinNetwork runs by default (the CRD's default), which the local
    cluster imports under that name (hack/cluster/images.sh)."""
    crd = open(os.path.join(REPO, "manifests", "crd.yaml")).read().splitlines()
    for i, line in enumerate(crd):
        if line.strip() == "image:":
            for follow in crd[i + 1:i + 6]:
                if follow.strip().startswith("default:"):
                    return follow.split(":", 1)[1].strip().strip("'\"")
    fail("no default image in manifests/crd.yaml")


BUSYBOX = "busybox:1.35"


def exec_in(pod, ns, *cmd, container=None, check_rc=True, timeout=60):
    args = ["exec", "-n", ns, pod]
    if container:
        args += ["-c", container]
    return kubectl(*args, "--", *cmd, check_rc=check_rc, timeout=timeout)


def wait_pod_ready(ns, name, timeout=120):
    return wait(f"pod {ns}/{name} ready", lambda: (lambda p: p if pod_ready(p) else None)(kjson("get", "pod", name, "-n", ns)), timeout)


class Namespace:
    """A namespace for one test; deleted (and waited for) at the end."""

    def __init__(self, prefix):
        self.name = f"{prefix}-{os.getpid()}"

    def __enter__(self):
        kubectl("create", "namespace", self.name)
        # The service account controller makes "default" (and kube-root-ca.crt) shortly after.
        wait(f"default service account in {self.name}",
             lambda: kubectl("get", "sa", "default", "-n", self.name, check_rc=False).returncode == 0, 60, 0.3)
        wait(f"kube-root-ca.crt in {self.name}",
             lambda: kubectl("get", "cm", "kube-root-ca.crt", "-n", self.name, check_rc=False).returncode == 0, 60, 0.3)
        return self.name

    def __exit__(self, *exc):
        if os.environ.get("KEEP_NAMESPACE"):
            log(f"keeping namespace {self.name}")
            return False
        # Best effort: the test's verdict is already made, and the namespace controller
        # can take minutes on a loaded machine. Tests hold RESOURCE_LOCK local-cluster,
        # so a namespace still terminating does not disturb the next one.
        try:
            p = kubectl("delete", "namespace", self.name, "--wait=true", "--timeout=60s", check_rc=False, timeout=75)
            if p.returncode != 0:
                log(f"namespace {self.name} still terminating: {p.stderr.strip()[:200]}")
        except subprocess.TimeoutExpired:
            log(f"namespace {self.name} still terminating")
        return False


def main(test):
    """Runs test() and turns failures into a one-line message and exit code 1."""
    t0 = time.time()
    name = os.path.basename(sys.argv[0])
    try:
        load_env()
        test()
    except TestFailure as e:
        print(f"FAIL {name}: {e}", file=sys.stderr, flush=True)
        sys.exit(1)
    except subprocess.TimeoutExpired as e:
        print(f"FAIL {name}: command timed out: {e.cmd}", file=sys.stderr, flush=True)
        sys.exit(1)
    log(f"PASS {name} in {time.time() - t0:.1f}s")
