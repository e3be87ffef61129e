"""What the fault tests share beyond the control plane: the size of a run, BitcoinNetwork
manifests, writes that are retried through API server outages, the comparison of what the cluster
holds with the spec (every network's objects exactly once, nothing left of deleted ones), and a TCP
proxy that cuts the controller off the API server."""
import collections
import json
import os
import random
import select
import socket
import sys
import threading
import time

from control_plane import GROUP, log

LONG = os.environ.get("KB_CHAOS_LONG") == "1"
NETWORK_LABEL = GROUP + "/network"
KINDS = "bitcoinnetworks.%s,statefulsets,services,secrets,networkpolicies,pods" % GROUP


def pick(short, long):
    return long if LONG else short


def seeded_random():
    """A random.Random from KB_SEED (printed, so a failing run can be replayed)."""
    seed = int(os.environ.get("KB_SEED") or random.SystemRandom().randrange(1, 2**31))
    log("seed %d (replay with KB_SEED=%d)" % (seed, seed))
    return random.Random(seed), seed


def figure(name, value, unit=""):
    """A measured figure, one line per figure, grep-able from the test log (hack/chaos.sh's logs
    are searched for them). Floats get two decimals; anything else is printed as given."""
    if isinstance(value, float):
        value = "%.2f" % value
    print("FIGURE %s=%s%s" % (name, value, unit), flush=True)


def process_usage(pid):
    """(peak resident memory in bytes (VmHWM), CPU seconds (utime + stime)) of a process, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        hwm = next(int(line.split()[1]) * 1024 for line in f if line.startswith("VmHWM:"))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()  # fields 3.. of proc(5); utime, stime are 14, 15
    return hwm, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def network_doc(ns, name, nodes):
    return {"apiVersion": GROUP + "/v1", "kind": "BitcoinNetwork", "metadata": {"name": name, "namespace": ns},
            "spec": {"nodes": nodes}}


def retry(what, action, timeout=240):
    """Runs action() until it succeeds, through API server outages; returns (result, attempts)."""
    deadline = time.time() + timeout
    attempts = 0
    while True:
        attempts += 1
        try:
            return action(), attempts
        except AssertionError as e:
            if time.time() > deadline:
                raise AssertionError("%s kept failing for %ss: %s" % (what, timeout, e))
            time.sleep(0.5)


def apply_docs(cp, docs):
    """kubectl apply of several objects at once, retried until the API server takes it."""
    body = json.dumps({"apiVersion": "v1", "kind": "List", "items": docs})
    return retry("applying %d objects" % len(docs), lambda: cp.kubectl("apply", "-f", "-", input=body,
                                                                       timeout=60))[1]


def delete_networks(cp, ns, names):
    if not names:
        return 0
    return retry("deleting %d networks" % len(names), lambda: cp.kubectl(
        "-n", ns, "delete", "bitcoinnetworks." + GROUP, "--ignore-not-found", "--wait=false", *names, timeout=60))[1]


def snapshot(cp, ns):
    """Everything the tests compare, in one list call per kind."""
    items = cp.kubectl_json("-n", ns, "get", KINDS)["items"]
    out = collections.defaultdict(list)
    for item in items:
        out[item["kind"]].append(item)
    return out


def _owner(obj, kind):
    for ref in obj["metadata"].get("ownerReferences", []):
        if ref.get("kind") == kind and ref.get("controller"):
            return ref["name"]
    return None


def divergence(snap, desired):
    """What differs between a snapshot and the spec {network name: nodes}; [] when they agree.

    Per desired network: the BitcoinNetwork with that spec and status.observedGeneration equal to
    metadata.generation; exactly one StatefulSet with replicas == nodes, one headless Service, one
    NetworkPolicy and the two Secrets (RPC credentials and rpcauth) owned by it; as many Pods as
    nodes. Nothing owned by or labelled for a network that is not desired."""
    problems = []
    networks = {n["metadata"]["name"]: n for n in snap["BitcoinNetwork"]}
    for name in sorted(set(networks) - set(desired)):
        problems.append("network %s still exists" % name)
    owned = collections.defaultdict(lambda: collections.defaultdict(list))  # network -> kind -> names
    for kind in ("StatefulSet", "Service", "NetworkPolicy", "Secret"):
        for obj in snap[kind]:
            owner = _owner(obj, "BitcoinNetwork") or obj["metadata"].get("labels", {}).get(NETWORK_LABEL)
            if owner:
                owned[owner][kind].append(obj)
    pods = collections.Counter()
    for pod in snap["Pod"]:
        if "deletionTimestamp" not in pod["metadata"]:
            pods[pod["metadata"].get("labels", {}).get(NETWORK_LABEL)] += 1
    for name in sorted(set(owned) - set(desired)):
        for kind, objs in owned[name].items():
            problems.append("%s of deleted network %s left: %s" % (kind, name, [o["metadata"]["name"] for o in objs]))
    for name in sorted(set(pods) - set(desired) - {None}):
        problems.append("%d pods of deleted network %s left" % (pods[name], name))
    for name, nodes in sorted(desired.items()):
        net = networks.get(name)
        if net is None:
            problems.append("network %s missing" % name)
            continue
        if net["spec"]["nodes"] != nodes:
            problems.append("network %s has spec.nodes %s, want %s" % (name, net["spec"]["nodes"], nodes))
        observed = net.get("status", {}).get("observedGeneration")
        if observed != net["metadata"]["generation"]:
            problems.append("network %s: observedGeneration %s != generation %s"
                            % (name, observed, net["metadata"]["generation"]))
        mine = owned.get(name, {})
        for kind, want in (("StatefulSet", 1), ("Service", 1), ("NetworkPolicy", 1), ("Secret", 2)):
            got = [o["metadata"]["name"] for o in mine.get(kind, [])]
            if len(got) != want:
                problems.append("network %s: %d %s (%s), want %d" % (name, len(got), kind, got, want))
        for sts in mine.get("StatefulSet", []):
            if sts["spec"]["replicas"] != nodes:
                problems.append("network %s: StatefulSet replicas %s, want %s" % (name, sts["spec"]["replicas"], nodes))
        if pods.get(name, 0) != nodes:
            problems.append("network %s: %d pods, want %d" % (name, pods.get(name, 0), nodes))
    return problems


def wait_converged(cp, ns, desired, timeout, what="every network to converge to its spec"):
    """Polls until divergence() is empty; returns the seconds it took. Fails with what is left."""
    t0 = time.time()
    last = None
    while time.time() - t0 < timeout:
        try:
            last = divergence(snapshot(cp, ns), desired)
        except AssertionError as e:  # the API server may still be coming back
            last = [str(e)[:300]]
        if not last:
            return time.time() - t0
        time.sleep(1)
    raise AssertionError("timed out after %ds waiting for %s; %d problems, first: %s"
                         % (timeout, what, len(last), "\n  ".join(last[:15])))


def controller_creates(cp, ns, user_agent_prefix="kubectl-bitcoin"):
    """From the audit log, the controller's writes that created objects in ns (it creates with
    server-side apply: a create or a patch answered 201 Created). Returns (created, aborted):
    {(resource, name): count} of 201s, and the set of (resource, name) whose create or patch the
    API server logged as 504 "context canceled" - the controller was killed mid-request, and the
    write may still have taken effect (the API server finishes it; the response is lost).
    The same name created twice means the object was lost and made again, or created in a race."""
    created, aborted = collections.Counter(), set()
    for e in cp.audit_events():
        ref = e.get("objectRef", {})
        if (e.get("verb") not in ("create", "patch") or ref.get("namespace") != ns or ref.get("subresource")
                or ref.get("resource") == "events" or not e.get("userAgent", "").startswith(user_agent_prefix)):
            continue
        status = e.get("responseStatus", {})
        key = (ref.get("resource"), ref.get("name"))
        if status.get("code") == 201:
            created[key] += 1
        elif status.get("code") == 504 and "context canceled" in status.get("message", ""):
            aborted.add(key)
    return created, aborted


def check_creates(cp, ns, network_names):
    """Every object of every network in network_names created by the controller exactly once (or
    by a write cut short by a kill); returns the number of 201 Created. Raises otherwise."""
    created, aborted = controller_creates(cp, ns)
    dups = {k: v for k, v in created.items() if v > 1}
    if dups:
        raise AssertionError("objects created more than once: %s" % sorted(dups.items())[:10])
    missing = expected_objects(network_names) - set(created) - aborted
    if missing:
        raise AssertionError("objects the controller never created: %s" % sorted(missing)[:10])
    return sum(created.values())


def expected_objects(names):
    """(resource, name) of what the controller creates for each network name."""
    out = set()
    for n in names:
        out |= {("statefulsets", n + "-sts"), ("services", n + "-svc"), ("networkpolicies", n + "-peers"),
                ("secrets", n + "-rpc"), ("secrets", n + "-rpcauth")}
    return out


def log_rate(records, networks, since, until):
    """Controller log lines per second per network in [since, until] (epoch seconds), from parsed
    JSON log records (their "ts" field), and the messages that dominate."""
    def epoch(ts):
        return time.mktime(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) - time.timezone + float("0" + ts[19:23])

    window = [r for r in records if "ts" in r and since <= epoch(r["ts"]) <= until]
    top = collections.Counter(r.get("msg") for r in window).most_common(4)
    return len(window) / max(1e-9, until - since) / max(1, networks), top


def fail(message):
    log("FAIL: " + message)
    sys.exit(1)


class TcpProxy:
    """A loopback TCP proxy in front of the API server; TLS passes through untouched (the server
    certificate names 127.0.0.1). Two ways to cut the path:
      cut()                every connection is closed and new ones are refused: the controller sees
                           the API server vanish;
      cut(blackhole=True)  from then on the bytes of every connection are read and dropped in both
                           directions and the sockets stay open (a dead path, not a refused one: no
                           RST, no FIN); new connections are accepted and treated the same.
    resume() lets bytes and connections through again (connections that lost bytes meanwhile are
    broken at the TLS level, as after a real loss; new ones work)."""

    def __init__(self, target_port):
        self.target = ("127.0.0.1", target_port)
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(128)
        self.port = self.listener.getsockname()[1]
        self.cut_at = None
        self.dropped_bytes = 0
        self._refusing = threading.Event()
        self._blackholed = threading.Event()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._sockets = set()
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def server(self):
        return "https://127.0.0.1:%d" % self.port

    def cut(self, blackhole=False):
        self.cut_at = time.time()
        if blackhole:
            self._blackholed.set()
            return
        self._refusing.set()
        with self._lock:
            for s in self._sockets:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def resume(self):
        self._refusing.clear()
        self._blackholed.clear()

    def close(self):
        self._stop.set()
        self.listener.close()

    def _accept(self):
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self._refusing.is_set():
                client.close()
                continue
            threading.Thread(target=self._pipe, args=(client,), daemon=True).start()

    def _pipe(self, client):
        try:
            upstream = socket.create_connection(self.target, timeout=5)
        except OSError:
            client.close()
            return
        upstream.settimeout(None)
        peer = {client: upstream, upstream: client}
        with self._lock:
            self._sockets.update(peer)
        try:
            while not self._stop.is_set():
                ready, _, _ = select.select([client, upstream], [], [], 0.5)
                for s in ready:
                    data = s.recv(65536)
                    if not data:
                        return
                    if self._blackholed.is_set():
                        self.dropped_bytes += len(data)
                        continue
                    peer[s].sendall(data)
        except OSError:
            pass
        finally:
            with self._lock:
                self._sockets.difference_update(peer)
            client.close()
            upstream.close()


class FakeKubelet:
    """Plays the part of the missing node's kubelet for the status of a namespace's Pods: every
    Pod without an IP gets phase Running, Ready, and an address on the loopback range where nothing
    listens (127.66.x.y). The controller then talks to every node, and every RPC fails at once
    (connection refused) - the worst case for retries and logs. Runs in a thread until stop()."""

    def __init__(self, cp, ns, interval=1.0):
        self.cp, self.ns, self.interval = cp, ns, interval
        self.patched = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stop.wait(self.interval):
            try:
                pods = self.cp.api("GET", "/api/v1/namespaces/%s/pods" % self.ns)["items"]
            except Exception:  # noqa: BLE001 - the API server may be restarting
                continue
            for pod in pods:
                if pod.get("status", {}).get("podIP") or "deletionTimestamp" in pod["metadata"]:
                    continue
                self.patched += 1
                ip = "127.66.%d.%d" % (self.patched // 250 % 250, self.patched % 250 + 1)
                now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
                status = {"status": {"phase": "Running", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": now,
                                     "conditions": [{"type": t, "status": "True", "lastTransitionTime": now}
                                                    for t in ("PodScheduled", "Initialized", "ContainersReady",
                                                              "Ready")]}}
                try:
                    self.cp.api("PATCH", "/api/v1/namespaces/%s/pods/%s/status" % (self.ns, pod["metadata"]["name"]),
                                status, content_type="application/merge-patch+json")
                except Exception:  # noqa: BLE001 - gone or being restarted: next time
                    pass

    def stop(self):
        self._stop.set()
        self._thread.join()
