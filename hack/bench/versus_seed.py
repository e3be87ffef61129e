#!/usr/bin/env python3
"""`hack/bench.sh versus-seed SEED_BINARY`: the same scale workload against the original Go
controller (github.com/christianb93/bitcoin-controller, built by the user from its source; see
hack/bench/seed/README.md) and against ours, in one run, side by side with ratios.

Each controller gets a fresh private control plane (test/faults/control_plane.py: etcd,
kube-apiserver and kube-controller-manager on loopback, no node, so pods stay Pending and no RPC
ever succeeds: control-plane work only), its own CRD and RBAC, and runs as a host process under
its own ServiceAccount. Workload: N one-node networks created at once (one `kubectl create` of a
List), each in that controller's own resource shape with its defaults. Measured per controller:
  - convergence: from the first network's create to the controller's last create of an object the
    networks need (StatefulSet + headless Service, and the Secret ours makes), from the API
    server's audit log; per network, create → its StatefulSet (p50/p99/max);
  - peak RSS (VmHWM) and CPU seconds (utime + stime) of the controller process, from /proc;
  - writes during REST seconds at rest, by verb and resource, from the audit log, attributed to
    the controller's ServiceAccount; status writes in particular; CPU seconds at rest.
Prints a table and writes JSON (--json). Python 3 standard library only.
"""
import argparse
import datetime
import json
import math
import os
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "test", "faults"))
import control_plane  # noqa: E402 - the private control plane lives with the fault tests

SEED_DIR = os.path.join(REPO, "hack", "bench", "seed")
NAMESPACE = "seed-bench"  # where the networks live, on each private control plane
SETTLE_SECONDS = 10  # after convergence, before the rest window: queued events drain
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
STATEFULSET_SUFFIX = "-sts"  # both controllers name a network's StatefulSet <network>-sts


class Contender:
    """One controller under test: how to install and start it, and what its networks look like."""

    def __init__(self, name, group, owned_kinds, start, network_doc):
        self.name = name
        self.group = group  # the API group of its BitcoinNetwork
        self.owned_kinds = owned_kinds  # what every network needs before it counts as converged
        self.start = start  # start(cp) → (process, ServiceAccount username, wait_ready())
        self.network_doc = network_doc  # network_doc(namespace, name) → the resource


def seed_contender(binary):
    def start(cp):
        cp.kubectl("apply", "-f", os.path.join(SEED_DIR, "crd.yaml"))
        control_plane.wait_until("the seed's CRD to be established", lambda: cp.kubectl(
            "get", "crd", "bitcoinnetworks.bitcoincontroller.christianb93.github.com", "-o",
            "jsonpath={.status.conditions[?(@.type==\"Established\")].status}") == "True", timeout=30)
        cp.kubectl("apply", "-f", os.path.join(SEED_DIR, "rbac.yaml"))
        token = cp.kubectl("-n", "bitcoin-controller", "create", "token", "bitcoin-controller-sva",
                           "--duration=4h").strip()
        kubeconfig = control_plane.write_kubeconfig(os.path.join(cp.dir, "seed.kubeconfig"), cp.server,
                                                    cp.pki.ca_crt, token=token)
        log_path = os.path.join(cp.dir, "controller-seed.log")
        # Its only way to a kubeconfig is this flag (without it, it takes the in-cluster config).
        process = control_plane._Process("seed", [binary, "--kubeconfig", kubeconfig], log_path, groups=cp.groups)
        cp.controllers.append(process)

        def ready():  # its informers have synced and its workers run
            if not process.alive():
                raise RuntimeError("the seed controller exited; last lines:\n" + process.tail())
            with open(log_path, errors="replace") as f:
                return "Starting workers" in f.read()

        return process, "system:serviceaccount:bitcoin-controller:bitcoin-controller-sva", ready

    def network_doc(ns, name):  # its README's example without the Secret it names
        return {"apiVersion": "bitcoincontroller.christianb93.github.com/v1", "kind": "BitcoinNetwork",
                "metadata": {"name": name, "namespace": ns}, "spec": {"nodes": 1}}

    return Contender("seed", "bitcoincontroller.christianb93.github.com", ("StatefulSet", "Service"), start,
                     network_doc)


def ours_contender():
    def start(cp):
        controller = cp.start_controller(identity="bench")
        user = "system:serviceaccount:%s:bitcoin-controller" % control_plane.CONTROLLER_NAMESPACE
        return controller, user, controller.ready

    def network_doc(ns, name):
        return {"apiVersion": control_plane.GROUP + "/v1", "kind": "BitcoinNetwork",
                "metadata": {"name": name, "namespace": ns}, "spec": {"nodes": 1}}

    return Contender("ours", control_plane.GROUP, ("StatefulSet", "Service", "Secret"), start, network_doc)


# ---------------------------------------------------------------- measurement (pure over inputs)

def parse_time(stamp):
    """An audit timestamp (RFC 3339, microseconds, Z) as seconds since the epoch."""
    return datetime.datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc).timestamp()


def resource_of(event):
    ref = event.get("objectRef", {})
    return ref.get("resource", "?") + ("/" + ref["subresource"] if ref.get("subresource") else "")


def percentile(values, p):
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100.0 * len(ordered)) - 1)]


def convergence(events, contender, user, names):
    """From the audit log: seconds from the first network create to the controller's last creation
    of an owned object, and per-network create → StatefulSet latencies."""
    plural = {"StatefulSet": "statefulsets", "Service": "services", "Secret": "secrets"}
    wanted = {plural[k] for k in contender.owned_kinds}
    created = {}  # network name → its create time
    owned = {}  # (resource, object name) → first successful create time by the controller
    for e in events:
        ref = e.get("objectRef", {})
        # A create, or a server-side apply that created (ours applies; 201 means created).
        code = e.get("responseStatus", {}).get("code", 0)
        if ref.get("namespace") != NAMESPACE or not (e.get("verb") == "create" and 200 <= code < 300
                                                     or e.get("verb") == "patch" and code == 201):
            continue
        done = parse_time(e["stageTimestamp"])
        if ref.get("resource") == "bitcoinnetworks" and ref.get("apiGroup") == contender.group:
            created[ref["name"]] = parse_time(e["requestReceivedTimestamp"])
        elif e["user"]["username"] == user and ref.get("resource") in wanted:
            owned.setdefault((ref["resource"], ref["name"]), done)
    t0 = min(created.values())
    last = max(owned.values())
    latencies = [owned[("statefulsets", n + STATEFULSET_SUFFIX)] - created[n] for n in names
                 if ("statefulsets", n + STATEFULSET_SUFFIX) in owned and n in created]
    if len(latencies) != len(names):
        raise AssertionError("the audit log has a network create and its StatefulSet's create for %d of %d "
                             "networks" % (len(latencies), len(names)))
    return {"converged_s": round(last - t0, 3), "owned_objects": len(owned), "window": (t0, last),
            "sts_latency_s": {"p50": round(percentile(latencies, 50), 3), "p99": round(percentile(latencies, 99), 3),
                              "max": round(max(latencies), 3)}}


def writes_by(events, user, start, end):
    """The controller's writes whose request arrived in [start, end), by "verb resource"."""
    counts = {}
    for e in events:
        if e["user"]["username"] != user:
            continue
        if not start <= parse_time(e["requestReceivedTimestamp"]) < end:
            continue
        key = "%s %s" % (e["verb"], resource_of(e))
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))


def proc_usage(pid):
    """(peak RSS in MiB, CPU seconds) of a live process, from /proc."""
    with open("/proc/%d/status" % pid) as f:
        hwm_kib = next(int(line.split()[1]) for line in f if line.startswith("VmHWM:"))
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    cpu = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)
    return hwm_kib / 1024.0, cpu


# ---------------------------------------------------------------- the workload

def converged_now(cp, contender, n):
    """Whether every network has every object it needs (listed as the admin, by owner)."""
    have = {}
    for kind in contender.owned_kinds:
        path = {"StatefulSet": "/apis/apps/v1/namespaces/%s/statefulsets",
                "Service": "/api/v1/namespaces/%s/services", "Secret": "/api/v1/namespaces/%s/secrets"}[kind]
        items = cp.api("GET", path % NAMESPACE, timeout=30)["items"]
        for item in items:
            for ref in item["metadata"].get("ownerReferences", []):
                if ref.get("kind") == "BitcoinNetwork" and ref.get("controller"):
                    have.setdefault(ref["name"], set()).add(kind)
    return sum(1 for kinds in have.values() if kinds >= set(contender.owned_kinds)) >= n


def run_workload(contender, n, rest_seconds, timeout):
    with control_plane.ControlPlane("bench-" + contender.name) as cp:
        cp.kubectl("create", "namespace", NAMESPACE)
        load_before = os.getloadavg()[0]
        process, user, ready = contender.start(cp)
        control_plane.wait_until("the %s controller to be ready" % contender.name, ready, timeout=120)
        names = ["net-%04d" % i for i in range(n)]
        body = json.dumps({"apiVersion": "v1", "kind": "List",
                           "items": [contender.network_doc(NAMESPACE, name) for name in names]})
        control_plane.log("%s: creating %d networks" % (contender.name, n))
        cp.kubectl("create", "-f", "-", input=body, timeout=300)
        control_plane.wait_until("%d networks converged under %s" % (n, contender.name),
                                 lambda: converged_now(cp, contender, n), timeout=timeout, interval=1.0)
        result = convergence(cp.audit_events(), contender, user, names)
        converge_writes = writes_by(cp.audit_events(), user, *result.pop("window"))
        _, cpu_converged = proc_usage(process.pid)
        control_plane.log("%s: converged in %.1f s; %d s settle, then %d s at rest"
                          % (contender.name, result["converged_s"], SETTLE_SECONDS, rest_seconds))
        time.sleep(SETTLE_SECONDS)
        _, cpu_before = proc_usage(process.pid)
        rest_start = time.time()
        time.sleep(rest_seconds)
        rest_end = time.time()
        peak_mib, cpu_total = proc_usage(process.pid)
        time.sleep(1)  # the audit log is written when a request completes
        rest = writes_by(cp.audit_events(), user, rest_start, rest_end)
        result.update({
            "networks": n, "peak_rss_mib": round(peak_mib, 1), "cpu_s_converge": round(cpu_converged, 2),
            "cpu_s_total": round(cpu_total, 2), "rest_seconds": rest_seconds,
            "rest_cpu_s": round(cpu_total - cpu_before, 2), "rest_writes": rest,
            "rest_writes_total": sum(rest.values()),
            "rest_status_writes": sum(v for k, v in rest.items() if k.endswith("/status")),
            # Leader election renews a Lease every few seconds (ours; the seed has none).
            "rest_writes_not_lease": sum(v for k, v in rest.items() if not k.endswith(" leases")),
            "converge_writes": converge_writes, "converge_writes_total": sum(converge_writes.values()),
            "user": user, "load_1min": [round(load_before, 1), round(os.getloadavg()[0], 1)]})
        return result


# ---------------------------------------------------------------- report

ROWS = (("converged (s)", "converged_s"), ("create→StatefulSet p50 (s)", ("sts_latency_s", "p50")),
        ("create→StatefulSet p99 (s)", ("sts_latency_s", "p99")), ("peak RSS (MiB)", "peak_rss_mib"),
        ("CPU s to converge", "cpu_s_converge"), ("writes to converge", "converge_writes_total"),
        ("CPU s total", "cpu_s_total"),
        ("CPU s at rest", "rest_cpu_s"), ("writes at rest", "rest_writes_total"),
        ("writes at rest, Leases aside", "rest_writes_not_lease"),
        ("status writes at rest", "rest_status_writes"))


def value(result, key):
    return result[key[0]][key[1]] if isinstance(key, tuple) else result[key]


def median(values):
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2.0


def summary(rounds):
    """Per key of ROWS, the median over rounds (a dict shaped like one round's result)."""
    out = {"sts_latency_s": {}}
    for _, key in ROWS:
        m = round(median([value(r, key) for r in rounds]), 3)
        if isinstance(key, tuple):
            out[key[0]][key[1]] = m
        else:
            out[key] = m
    return out


def report(seed, ours, title):
    lines = [title, "%-28s %12s %12s %10s" % ("", "seed", "ours", "seed/ours")]
    for label, key in ROWS:
        a, b = value(seed, key), value(ours, key)
        ratio = "%.1fx" % (a / b) if b else ("-" if not a else "inf")
        lines.append("%-28s %12s %12s %10s" % (label, a, b, ratio))
    for name, r in (("seed", seed), ("ours", ours)):
        if "converge_writes" in r:
            lines.append("%s writes to converge by verb and resource: %s" % (name, json.dumps(r["converge_writes"])))
        if "rest_writes" in r:
            lines.append("%s writes at rest by verb and resource: %s" % (name, json.dumps(r["rest_writes"])))
        if "load_1min" in r:
            lines.append("%s: 1-minute load average before / after its run: %s / %s" % (name, *r["load_1min"]))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seed_binary", help="the original controller, built from its source (hack/bench/seed/README.md)")
    ap.add_argument("-n", "--networks", type=int, default=100)
    ap.add_argument("--rest", type=int, default=120, help="seconds at rest after convergence")
    ap.add_argument("--timeout", type=int, default=900, help="seconds each controller may take to converge")
    ap.add_argument("--rounds", type=int, default=1,
                    help="rounds, alternating which controller goes first; the summary shows medians")
    ap.add_argument("--json", default=os.path.join(REPO, "build", "bench-versus-seed.json"))
    args = ap.parse_args()
    if not (os.path.isfile(args.seed_binary) and os.access(args.seed_binary, os.X_OK)):
        print("versus-seed: SEED_BINARY %r is not an executable file" % args.seed_binary, file=sys.stderr)
        return 2
    contenders = [seed_contender(os.path.abspath(args.seed_binary)), ours_contender()]
    rounds = {"seed": [], "ours": []}
    print("machine: %d cores, %s, shared with other work (times are upper bounds); workload: %d one-node "
          "networks created at once, then %d s at rest" % (os.cpu_count(), os.uname().release, args.networks,
                                                           args.rest), flush=True)
    for i in range(args.rounds):
        for contender in contenders if i % 2 == 0 else contenders[::-1]:
            rounds[contender.name].append(run_workload(contender, args.networks, args.rest, args.timeout))
        print(report(rounds["seed"][-1], rounds["ours"][-1], "round %d of %d" % (i + 1, args.rounds)), flush=True)
    results = {name: {"rounds": r, "median": summary(r)} for name, r in rounds.items()}
    if args.rounds > 1:
        print(report(results["seed"]["median"], results["ours"]["median"], "medians of %d rounds" % args.rounds))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine_cores": os.cpu_count(),
                   "networks": args.networks, "rest_seconds": args.rest, **results}, f, indent=2)
    print("json: %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
