#!/usr/bin/env python3
"""hack/bench.sh bignet: one BitcoinNetwork of NODES real nodes on the local cluster, timed.

Phases, each timed from its own start:
  converge  `kubectl apply` -> every pod Ready, every node connected to all its topology peers
            (its getpeerinfo lists the IP of each neighbour) and answering RPC;
  tip       `kubectl bitcoin mine` (one block) -> every node's best block is that block;
  recover   KILL random node pods deleted at once -> all replaced (new pods), Ready, reconnected
            and on the tip again.
The truth is read from the nodes themselves: each node's JSON-RPC on 127.0.0.1 inside its pod's
network namespace (nsenter into the bitcoind process this host sees; the network's NetworkPolicy
admits RPC only from the controller, and localhost is not subject to it). The controller's status
is polled alongside and reported separately (when it first showed every node ready with at least
its topology degree of peers), and a sample of nodes is cross-checked through `kubectl bitcoin
rpc` (the cluster's RPC gateway). The expected edges are the topology's, restated below as an
oracle (ring; random = pkg/controller/random_topology.cpp); the nodes' added-node lists, which the
controller sets, must equal them.

Also reported: VmRSS of every bitcoind (host /proc), the controller's CPU seconds and RSS
(sampled from host /proc every 0.5 s), its reconcile count and time (its /metrics, shared with
whatever else it reconciles meanwhile), and where each pod's start-up time went (pod conditions,
container start, first RPC answer, first full connection).

Needs root on the machine that runs the local cluster (host /proc, nsenter). Not a pass/fail
gate: it prints a table and writes bench-results/bignet-<UTC time>.json.
Environment: NODES (100), TOPOLOGY (random|ring), DEGREE (4), SEED (0), KILL (10),
TIMEOUT (600 s per phase), KILL_SEED (random), MIB_PER_NODE (150, for the memory pre-check),
KUBECTL_BITCOIN (the plugin binary).
"""
from __future__ import annotations

import base64
import concurrent.futures
import ctypes
import datetime
import http.client
import json
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time

NAME = "big"
SWEEP_SECONDS = 0.5
EXIT_USAGE = 2


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, str(default))
    try:
        return int(raw)
    except ValueError:
        sys.exit(f"bench bignet: {name}={raw!r} is not an integer")


def run(*argv: str, stdin: str | None = None, check: bool = True) -> str:
    proc = subprocess.run(argv, input=stdin, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)}: exit {proc.returncode}: {proc.stderr.strip()}")
    return proc.stdout


def kubectl_json(*argv: str) -> dict:
    return json.loads(run("kubectl", *argv, "-o", "json"))


# --- The topology oracle ------------------------------------------------------------------------


class SplitMix64:
    MASK = (1 << 64) - 1

    def __init__(self, state: int):
        self.state = state & self.MASK

    def next(self) -> int:
        self.state = (self.state + 0x9E3779B97F4A7C15) & self.MASK
        z = self.state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & self.MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & self.MASK
        return z ^ (z >> 31)


def random_edges(nodes: int, degree: int, seed: int) -> set[tuple[int, int]]:
    """The random topology as pkg/controller/random_topology.hpp specifies it."""
    edges: set[tuple[int, int]] = set()
    joins = max(1, degree // 2)
    peers = [0] * nodes
    for node in range(1, nodes):
        candidates = [e for e in range(node) if peers[e] < degree]
        gen = SplitMix64(SplitMix64(seed).next() ^ ((node * 0xD1B54A32D192ED03) & SplitMix64.MASK))
        for k in range(min(joins, len(candidates))):
            j = k + gen.next() % (len(candidates) - k)
            candidates[k], candidates[j] = candidates[j], candidates[k]
            peers[candidates[k]] += 1
            peers[node] += 1
            edges.add((candidates[k], node))
    return edges


def ring_edges(nodes: int) -> set[tuple[int, int]]:
    if nodes < 2:
        return set()
    return {tuple(sorted((i, (i + 1) % nodes))) for i in range(nodes)}


def neighbours(nodes: int, edges: set[tuple[int, int]]) -> list[set[int]]:
    out: list[set[int]] = [set() for _ in range(nodes)]
    for a, b in edges:
        out[a].add(b)
        out[b].add(a)
    return out


# --- Host-side views of pods: processes, RSS, CPU -------------------------------------------------


def pids_by_pod_uid() -> dict[str, list[int]]:
    """Non-pause processes of every pod, by pod UID, from their cgroup paths (cgroupfs driver)."""
    out: dict[str, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/cgroup") as f:
                cgroup = f.read()
            with open(f"/proc/{entry}/comm") as f:
                comm = f.read().strip()
        except OSError:
            continue
        at = cgroup.find("/pod")
        if at < 0 or comm == "pause":
            continue
        uid = cgroup[at + 4 : at + 40].replace("_", "-")
        out.setdefault(uid, []).append(int(entry))
    return out


def status_field(pid: int, key: str) -> int | None:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(key + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def cpu_seconds(pid: int) -> float | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


class ControllerSampler:
    """The controller process's CPU seconds and VmRSS every 0.5 s, in a thread joined by stop()."""

    def __init__(self, pid: int):
        self.pid = pid
        self.samples: list[tuple[float, float, int]] = []  # (monotonic, cpu s, rss KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop)
        self._thread.start()

    def _loop(self):
        while not self._stop.is_set():
            cpu, rss = cpu_seconds(self.pid), status_field(self.pid, "VmRSS")
            if cpu is not None and rss is not None:
                self.samples.append((time.monotonic(), cpu, rss))
            self._stop.wait(0.5)

    def stop(self):
        self._stop.set()
        self._thread.join()

    def between(self, start: float, end: float) -> dict:
        inside = [s for s in self.samples if start <= s[0] <= end]
        if len(inside) < 2:
            return {}
        return {"cpu_seconds": round(inside[-1][1] - inside[0][1], 2),
                "rss_peak_mib": round(max(s[2] for s in inside) / 1024, 1),
                "rss_end_mib": round(inside[-1][2] / 1024, 1)}


def metrics_text(pid: int) -> str:
    return run("nsenter", "-t", str(pid), "-n", "curl", "-s", "-m", "3", "http://127.0.0.1:8080/metrics", check=False)


def reconcile_counters(pid: int) -> tuple[float, float]:
    count = total = 0.0
    for line in metrics_text(pid).splitlines():
        if line.startswith("kubectl_bitcoin_reconcile_duration_seconds_count"):
            count = float(line.split()[-1])
        elif line.startswith("kubectl_bitcoin_reconcile_duration_seconds_sum"):
            total = float(line.split()[-1])
    return count, total


# --- The nodes ------------------------------------------------------------------------------------


class Node:
    def __init__(self, ordinal: int):
        self.ordinal = ordinal
        self.uid = ""
        self.ip = ""
        self.ready = False
        self.pid: int | None = None
        self.peer_ips: set[str] = set()
        self.added: set[str] = set()
        self.tip = ""
        self.answered_at: float | None = None  # first RPC answer of this pod
        self.connected_at: float | None = None  # first time connected to all its neighbours
        self.pod: dict | None = None


_libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET = 0x40000000


def connect_in_netns(pid: int, port: int, timeout: float) -> socket.socket:
    """A TCP connection to 127.0.0.1:port inside the network namespace of process `pid`. setns
    moves only the calling thread; the socket keeps the namespace it was made in, so the thread
    moves back at once."""
    home = os.open("/proc/thread-self/ns/net", os.O_RDONLY)
    try:
        target = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
        try:
            if _libc.setns(target, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns")
            try:
                return socket.create_connection(("127.0.0.1", port), timeout=timeout)
            finally:
                if _libc.setns(home, CLONE_NEWNET) != 0:
                    raise OSError(ctypes.get_errno(), "setns back")
        finally:
            os.close(target)
    finally:
        os.close(home)


def node_rpc(pid: int, user: str, password: str, calls: list[str]) -> list:
    """A JSON-RPC batch to bitcoind on 127.0.0.1 inside its pod's network namespace."""
    body = json.dumps([{"jsonrpc": "1.0", "id": i, "method": m, "params": []} for i, m in enumerate(calls)])
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    conn = http.client.HTTPConnection("127.0.0.1", 18443, timeout=3)
    try:
        conn.sock = connect_in_netns(pid, 18443, 3)
        conn.request("POST", "/", body, {"Authorization": "Basic " + auth, "Content-Type": "application/json"})
        answers = json.loads(conn.getresponse().read())
    except (OSError, ValueError, http.client.HTTPException) as e:
        raise RuntimeError(f"no answer: {e}") from e
    finally:
        conn.close()
    by_id = {a.get("id"): a for a in answers} if isinstance(answers, list) else {}
    results = []
    for i in range(len(calls)):
        a = by_id.get(i)
        if not a or a.get("error"):
            raise RuntimeError(f"no answer to {calls[i]}")
        results.append(a["result"])
    return results


def host_of(addr: str) -> str:
    return addr.rsplit(":", 1)[0].strip("[]")


class Bench:
    def __init__(self):
        self.nodes_n = env_int("NODES", 100)
        self.topology = os.environ.get("TOPOLOGY", "random")
        self.degree = env_int("DEGREE", 4)
        self.seed = env_int("SEED", 0)
        self.kill = env_int("KILL", 10)
        self.timeout = env_int("TIMEOUT", 600)
        self.plugin = os.environ.get("KUBECTL_BITCOIN", "kubectl-bitcoin")
        if self.topology == "random":
            self.edges = random_edges(self.nodes_n, self.degree, self.seed)
        elif self.topology == "ring":
            self.edges = ring_edges(self.nodes_n)
        else:
            print(f"bench bignet: TOPOLOGY={self.topology!r}: random or ring", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        if not 2 <= self.nodes_n <= 100 or not 0 <= self.kill <= self.nodes_n:
            print("bench bignet: NODES must be 2..100 (the CRD's limit), KILL 0..NODES", file=sys.stderr)
            sys.exit(EXIT_USAGE)
        self.want = neighbours(self.nodes_n, self.edges)
        self.ns = f"bignet-{random.randrange(16**6):06x}"
        self.nodes = [Node(i) for i in range(self.nodes_n)]
        self.pool = concurrent.futures.ThreadPoolExecutor(max_workers=4)
        self.user = self.password = ""
        self.status_seen: dict[str, float] = {}
        self.target_tip: str | None = None  # the block every node must have, once mined
        self.sweeps: list[tuple[int, float]] = []  # (nodes asked, seconds), of the current phase
        self.result: dict = {}

    # -- observation ---------------------------------------------------------------------------

    def read_pods(self, pids: dict[str, list[int]] | None = None):
        pods = kubectl_json("-n", self.ns, "get", "pods", "-l", f"bitcoin.kubectl-bitcoin.dev/network={NAME}")
        seen = set()
        for pod in pods["items"]:
            name = pod["metadata"]["name"]
            ordinal = int(name.rsplit("-", 1)[1])
            if ordinal >= self.nodes_n or pod["metadata"].get("deletionTimestamp"):
                continue
            seen.add(ordinal)
            node = self.nodes[ordinal]
            if node.uid != pod["metadata"]["uid"]:
                node.__init__(ordinal)
                node.uid = pod["metadata"]["uid"]
            node.ip = pod["status"].get("podIP", "")
            node.ready = any(c["type"] == "Ready" and c["status"] == "True" for c in pod["status"].get("conditions", []))
            node.pod = pod
        for node in self.nodes:
            if node.ordinal not in seen:
                node.__init__(node.ordinal)
        missing = [n for n in self.nodes if n.uid and n.pid is None]
        if missing:
            pids = pids if pids is not None else pids_by_pod_uid()
            for node in missing:
                for pid in pids.get(node.uid, []):
                    try:
                        with open(f"/proc/{pid}/cmdline", "rb") as f:
                            if b"bitcoind" in f.read().split(b"\0")[0]:
                                node.pid = pid
                    except OSError:
                        pass

    def done(self, node: Node) -> bool:
        return self.connected(node) and (self.target_tip is None or node.tip == self.target_tip)

    def sweep(self):
        """Ask the nodes that are not done yet for their peers, added nodes and tip (in parallel),
        or every node once none is left, to confirm. A node is asked as soon as its bitcoind runs:
        "answered" does not wait for the pod's readiness probe."""
        def ask(node: Node):
            try:
                peers, added, tip = node_rpc(node.pid, self.user, self.password,
                                             ["getpeerinfo", "getaddednodeinfo", "getbestblockhash"])
            except (RuntimeError, json.JSONDecodeError):
                return
            now = time.monotonic()
            node.peer_ips = {host_of(p["addr"]) for p in peers}
            node.added = {host_of(a["addednode"]) for a in added}
            node.tip = tip
            if node.answered_at is None:
                node.answered_at = now
        pending = [n for n in self.nodes if n.pid and not self.done(n)]
        asked = pending or [n for n in self.nodes if n.pid]
        began = time.monotonic()
        list(self.pool.map(ask, asked))
        now = time.monotonic()
        self.sweeps.append((len(asked), now - began))
        for node in self.nodes:
            if node.connected_at is None and self.connected(node):
                node.connected_at = now

    def connected(self, node: Node) -> bool:
        if not (node.ready and node.answered_at):
            return False
        want = {self.nodes[p].ip for p in self.want[node.ordinal]}
        return "" not in want and want <= node.peer_ips

    def plan_matches(self) -> bool:
        """The union of the nodes' added-node lists is exactly the topology's edges."""
        by_ip = {n.ip: n.ordinal for n in self.nodes}
        planned = set()
        for n in self.nodes:
            for ip in n.added:
                if ip not in by_ip:
                    return False
                planned.add(tuple(sorted((n.ordinal, by_ip[ip]))))
        return planned == self.edges

    def poll_status(self, label: str, now: float):
        if label in self.status_seen:
            return
        status = kubectl_json("-n", self.ns, "get", "bitcoinnetwork", NAME).get("status", {})
        entries = status.get("nodes", [])
        good = status.get("readyNodes") == self.nodes_n and len(entries) == self.nodes_n and all(
            e.get("ready") and e.get("peers", 0) >= len(self.want[e["ordinal"]])
            and self.nodes[e["ordinal"]].ip == e.get("ip") for e in entries)
        if good:
            self.status_seen[label] = now

    def wait(self, what: str, start: float, done) -> float:
        deadline = start + self.timeout
        pids = None
        while True:
            self.read_pods(pids)
            self.sweep()
            now = time.monotonic()
            self.poll_status(what, now)
            if done():
                return now - start
            if now > deadline:
                raise TimeoutError(f"{what}: not done after {self.timeout} s ({self.progress()})")
            time.sleep(SWEEP_SECONDS)

    def progress(self) -> str:
        return (f"{sum(n.ready for n in self.nodes)}/{self.nodes_n} ready, "
                f"{sum(n.answered_at is not None for n in self.nodes)} answering, "
                f"{sum(self.connected(n) for n in self.nodes)} connected")

    # -- phases ----------------------------------------------------------------------------------

    def preflight(self):
        if os.geteuid() != 0:
            sys.exit("bench bignet: needs root (it reads the nodes' processes in host /proc and enters their "
                     "network namespaces); run it on the local cluster's machine as root")
        node = kubectl_json("get", "nodes")["items"][0]
        allocatable = int(node["status"]["allocatable"]["pods"])
        running = len(kubectl_json("get", "pods", "-A", "--field-selector", "status.phase!=Succeeded,status.phase!=Failed")["items"])
        if running + self.nodes_n > allocatable:
            sys.exit(f"bench bignet: the node allows {allocatable} pods and runs {running}; "
                     f"{self.nodes_n} more do not fit (kubelet maxPods in hack/local-cluster.sh)")
        with open("/proc/meminfo") as f:
            available = next(int(l.split()[1]) for l in f if l.startswith("MemAvailable:")) // 1024
        need = self.nodes_n * env_int("MIB_PER_NODE", 150) + 2048
        if available < need:
            sys.exit(f"bench bignet: {available} MiB available, {need} MiB needed for {self.nodes_n} nodes "
                     f"(MIB_PER_NODE={env_int('MIB_PER_NODE', 150)} + 2 GiB); try fewer NODES")
        ctrl = kubectl_json("-n", "bitcoin-controller", "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")
        uids = [p["metadata"]["uid"] for p in ctrl["items"] if p["status"].get("phase") == "Running"]
        pids = pids_by_pod_uid()
        self.controller_pid = next((p for u in uids for p in pids.get(u, [])), None)
        if self.controller_pid is None:
            sys.exit("bench bignet: no running controller in namespace bitcoin-controller (kubectl bitcoin install)")
        self.result["machine"] = {"cores": os.cpu_count(), "kernel": os.uname().release,
                                  "mem_available_mib_before": available, "pods_allocatable": allocatable,
                                  "pods_before": running}

    def credentials(self):
        while True:
            proc = subprocess.run(["kubectl", "-n", self.ns, "get", "secret", f"{NAME}-rpc", "-o", "json"],
                                  capture_output=True, text=True)
            if proc.returncode == 0:
                data = json.loads(proc.stdout)["data"]
                self.user = base64.b64decode(data["BC_RPC_USER"]).decode()
                self.password = base64.b64decode(data["BC_RPC_PASSWORD"]).decode()
                return
            time.sleep(0.2)

    def converge(self):
        spec = {"nodes": self.nodes_n, "topology": self.topology}
        if self.topology == "random":
            spec |= {"degree": self.degree, "seed": self.seed}
        doc = {"apiVersion": "bitcoin.kubectl-bitcoin.dev/v1", "kind": "BitcoinNetwork",
               "metadata": {"name": NAME, "namespace": self.ns}, "spec": spec}
        before = reconcile_counters(self.controller_pid)
        start = time.monotonic()
        run("kubectl", "apply", "-f", "-", stdin=json.dumps(doc))
        self.credentials()
        took = self.wait("converge", start, lambda: all(self.done(n) for n in self.nodes))
        self.result["converge"] = self.phase(start, took, before, "converge")
        self.result["converge"]["plan_matches_topology"] = self.plan_matches()
        self.result["converge"]["split"] = self.split(self.nodes, start)
        self.result["converge"]["last_answer_to_connected_s"] = self.controller_share(self.nodes, start, took)

    def tip(self):
        before = reconcile_counters(self.controller_pid)
        start = time.monotonic()
        run(self.plugin, "mine", NAME, "-n", self.ns)
        # Node 0 mines (the default); its tip is now the block.
        self.target_tip = node_rpc(self.nodes[0].pid, self.user, self.password, ["getbestblockhash"])[0]
        took = self.wait("tip", start, lambda: all(self.done(n) for n in self.nodes))
        self.result["tip"] = self.phase(start, took, before, "tip")

    def recover(self):
        victims = sorted(random.Random(os.environ.get("KILL_SEED")).sample(range(self.nodes_n), self.kill))
        old = {n.ordinal: n.uid for n in self.nodes}
        before = reconcile_counters(self.controller_pid)
        start = time.monotonic()
        run("kubectl", "-n", self.ns, "delete", "pod", "--wait=false", *[f"{NAME}-sts-{v}" for v in victims])
        def done():
            return (all(self.nodes[v].uid and self.nodes[v].uid != old[v] for v in victims)
                    and all(self.done(n) for n in self.nodes))
        took = self.wait("recover", start, done)
        self.result["recover"] = self.phase(start, took, before, "recover")
        self.result["recover"]["killed"] = victims
        self.result["recover"]["split"] = self.split([self.nodes[v] for v in victims], start)
        self.result["recover"]["last_answer_to_connected_s"] = self.controller_share(
            [self.nodes[v] for v in victims], start, took)

    def phase(self, start: float, took: float, before: tuple[float, float], label: str) -> dict:
        after = reconcile_counters(self.controller_pid)
        seen = self.status_seen.get(label)
        sweeps, self.sweeps = self.sweeps, []
        return {"seconds": round(took, 2),
                "sweeps": {"count": len(sweeps), "max_nodes_asked": max((n for n, _ in sweeps), default=0),
                           "seconds_median": round(statistics.median([d for _, d in sweeps]), 3) if sweeps else None,
                           "seconds_max": round(max((d for _, d in sweeps), default=0), 3)},
                "load_average_1m_at_end": os.getloadavg()[0],
                "status_showed_it_after_s": round(seen - start, 2) if seen else None,
                "controller": self.sampler.between(start, start + took),
                "reconciles": int(after[0] - before[0]),
                "reconcile_seconds": round(after[1] - before[1], 3)}

    @staticmethod
    def controller_share(nodes: list[Node], start: float, took: float) -> float | None:
        """From the last of these nodes answering RPC to the end of the phase (all connected): the
        part the controller and bitcoind's connection set-up add once every node is up, apart from
        how long the machine took to start them (at the sweeps' resolution)."""
        answered = [n.answered_at for n in nodes if n.answered_at is not None]
        return round(start + took - max(answered), 2) if answered else None

    def split(self, nodes: list[Node], start: float) -> dict:
        """Per pod, seconds from the phase's start (API timestamps: whole seconds; ours: sweep times)."""
        rows = {"created": [], "scheduled": [], "container_started": [], "bitcoind_loaded": [], "ready": [],
                "answered": [], "connected": []}
        wall_start = time.time() - (time.monotonic() - start)
        # bitcoind's own log for at most 10 pods (a kubectl logs each).
        for node in random.Random(2).sample(nodes, min(10, len(nodes))):
            loaded = self.loaded_at(node, wall_start)
            if loaded is not None:
                rows["bitcoind_loaded"].append(loaded)
        def api_time(text: str | None) -> float | None:
            if not text:
                return None
            return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() - wall_start
        for node in nodes:
            pod = node.pod
            if not pod:
                continue
            cond = {c["type"]: c.get("lastTransitionTime") for c in pod["status"].get("conditions", [])}
            started = next((s["state"].get("running", {}).get("startedAt")
                            for s in pod["status"].get("containerStatuses", []) if s["name"] == "bitcoind"), None)
            for key, value in (("created", api_time(pod["metadata"]["creationTimestamp"])),
                               ("scheduled", api_time(cond.get("PodScheduled"))),
                               ("container_started", api_time(started)),
                               ("ready", api_time(cond.get("Ready"))),
                               ("answered", node.answered_at - start if node.answered_at else None),
                               ("connected", node.connected_at - start if node.connected_at else None)):
                if value is not None:
                    rows[key].append(value)
        return {k: {"min": round(min(v), 1), "median": round(statistics.median(v), 1), "max": round(max(v), 1)}
                for k, v in rows.items() if v}

    def node_resources(self):
        """Each bitcoind's VmRSS, and the CPU seconds it used so far (its start-up, mostly)."""
        def spread(values: list[float], digits: int) -> dict:
            values = sorted(values)
            return {"nodes": len(values), "min": round(values[0], digits),
                    "median": round(statistics.median(values), digits), "max": round(values[-1], digits),
                    "total": round(sum(values), digits)}
        rss = [r / 1024 for r in (status_field(n.pid, "VmRSS") for n in self.nodes if n.pid) if r is not None]
        cpu = [c for c in (cpu_seconds(n.pid) for n in self.nodes if n.pid) if c is not None]
        self.result["node_rss_mib"] = spread(rss, 1)
        self.result["node_cpu_seconds_at_convergence"] = spread(cpu, 2)

    def loaded_at(self, node: Node, wall_start: float) -> float | None:
        """When the pod's bitcoind logged that it finished loading (the kubelet's timestamp)."""
        proc = subprocess.run(["kubectl", "-n", self.ns, "logs", f"{NAME}-sts-{node.ordinal}", "-c", "bitcoind",
                               "--timestamps"], capture_output=True, text=True)
        for line in proc.stdout.splitlines():
            if "Done loading" in line:
                stamp = line.split(" ", 1)[0].rstrip("Z")[:26]  # RFC 3339 with nanoseconds, UTC
                utc = datetime.datetime.fromisoformat(stamp).replace(tzinfo=datetime.timezone.utc)
                return utc.timestamp() - wall_start
        return None

    def cross_check(self, sample: int = 5):
        """A few nodes' getpeerinfo through the cluster's RPC gateway agrees with what we read."""
        agree = 0
        picks = random.Random(1).sample(range(self.nodes_n), min(sample, self.nodes_n))
        for o in picks:
            peers = json.loads(run(self.plugin, "rpc", NAME, "getpeerinfo", "--node", str(o), "-n", self.ns, "-o", "json"))
            agree += {host_of(p["addr"]) for p in peers} >= {self.nodes[p].ip for p in self.want[o]}
        self.result["gateway_cross_check"] = {"nodes": picks, "agree": agree}

    def events(self):
        items = kubectl_json("-n", self.ns, "get", "events")["items"]
        reasons: dict[str, int] = {}
        for e in items:
            key = e["reason"] + (" (image already present)" if "already present" in e.get("message", "") else "")
            reasons[key] = reasons.get(key, 0) + e.get("count", 1)
        self.result["events"] = reasons

    def cleanup(self):
        subprocess.run(["kubectl", "delete", "namespace", self.ns, "--wait=false"], capture_output=True)

    def main(self) -> int:
        self.preflight()
        run("kubectl", "create", "namespace", self.ns)
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
        self.sampler = ControllerSampler(self.controller_pid)
        try:
            self.converge()
            self.node_resources()
            self.cross_check()
            self.tip()
            if self.kill:
                self.recover()
            self.events()
            self.result["controller_run"] = self.sampler.between(0, time.monotonic())
        finally:
            self.sampler.stop()
            self.pool.shutdown()
            self.cleanup()
        self.report()
        return 0

    def report(self):
        def share_text(value):
            return "-" if value is None else f"{value:.1f}"

        r = self.result
        r |= {"date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
              "nodes": self.nodes_n, "topology": self.topology, "degree": self.degree if self.topology == "random" else None,
              "edges": len(self.edges), "namespace": self.ns}
        m = r["machine"]
        print(f"machine: {m['cores']} cores, {m['kernel']}, shared (wall times are upper bounds)")
        print(f"network: {self.nodes_n} nodes, {self.topology}"
              + (f" degree {self.degree} seed {self.seed}" if self.topology == "random" else "")
              + f", {len(self.edges)} edges; namespace {self.ns}")
        print(f"{'phase':<10}{'seconds':>9}{'status':>9}{'ctl cpu s':>11}{'ctl rss MiB':>13}{'reconciles':>12}"
              f"{'answer->all':>13}")
        for phase, target in (("converge", 60), ("tip", None), ("recover", 30)):
            p = r.get(phase)
            if not p:
                continue
            c = p["controller"]
            status = p["status_showed_it_after_s"]
            print(f"{phase:<10}{p['seconds']:>9.1f}{(f'{status:.1f}' if status is not None else '-'):>9}"
                  f"{c.get('cpu_seconds', 0):>11.2f}{c.get('rss_peak_mib', 0):>13.1f}{p['reconciles']:>12}"
                  f"{share_text(p.get('last_answer_to_connected_s')):>13}"
                  + (f"   target <= {target} s" if target else ""))
        print("answer->all: from the last (new) node answering RPC to every node connected: the controller's share")
        for phase in ("converge", "recover"):
            split = r.get(phase, {}).get("split", {})
            if split:
                print(f"{phase} split, seconds after the phase's start (min / median / max over its pods):")
                for k, v in split.items():
                    print(f"  {k:<18}{v['min']:>7.1f}{v['median']:>8.1f}{v['max']:>8.1f}")
        rss = r["node_rss_mib"]
        print(f"bitcoind VmRSS MiB over {rss['nodes']} nodes: min {rss['min']}, median {rss['median']}, "
              f"max {rss['max']}, total {rss['total']}")
        cpu = r["node_cpu_seconds_at_convergence"]
        print(f"bitcoind CPU seconds at convergence: min {cpu['min']}, median {cpu['median']}, max {cpu['max']}, "
              f"total {cpu['total']} (on {m['cores']} cores)")
        for phase in ("converge", "tip", "recover"):
            p = r.get(phase)
            if p:
                w = p["sweeps"]
                print(f"{phase}: {w['count']} sweeps of up to {w['max_nodes_asked']} nodes, median {w['seconds_median']} s, "
                      f"max {w['seconds_max']} s; load average {p['load_average_1m_at_end']:.1f} at the end; "
                      f"controller: {p['reconciles']} reconciles, {p['reconcile_seconds']} s in them")
        print(f"plan == topology: {r['converge']['plan_matches_topology']}; gateway cross-check: "
              f"{r['gateway_cross_check']['agree']}/{len(r['gateway_cross_check']['nodes'])} agree")
        os.makedirs("bench-results", exist_ok=True)
        path = f"bench-results/bignet-{r['date'].replace(':', '')}.json"
        with open(path, "w") as f:
            json.dump(r, f, indent=1)
        print(f"wrote {path}")


if __name__ == "__main__":
    sys.exit(Bench().main())
