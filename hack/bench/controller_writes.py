#!/usr/bin/env python3
"""The controller's cost per new network, on a private control plane (test/faults/control_plane.py:
etcd + kube-apiserver + kube-controller-manager on loopback, no node, so pods stay Pending and no
bitcoind answers; this measures control-plane work only).

    hack/bench/controller_writes.py [N] [--rest SECONDS] [--json FILE] [-- extra serve flags]

Creates N BitcoinNetworks at once, then reports: the time until every network has its StatefulSet;
the controller's API requests by verb and resource, from the API server's audit log (this script's
own policy logs every request of the controller's ServiceAccount at Metadata level), during
convergence and during REST seconds at rest; the controller's peak RSS (VmHWM), RSS at rest (VmRSS)
and CPU seconds (utime+stime) from /proc. Nothing here is a pass/fail gate.
"""
import argparse
import calendar
import collections
import json
import os
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "test", "faults"))
import control_plane  # noqa: E402

SA_USER = "system:serviceaccount:%s:bitcoin-controller" % control_plane.CONTROLLER_NAMESPACE
POLICY = """apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived, ResponseStarted]
rules:
  - level: Metadata
    users: ["%s"]
  - level: None
""" % SA_USER


def proc_figures(pid):
    status = {}
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rpartition(")")[2].split()
    ticks = os.sysconf("SC_CLK_TCK")
    return {"vmhwm_kib": int(status["VmHWM"].split()[0]), "vmrss_kib": int(status["VmRSS"].split()[0]),
            "cpu_seconds": (int(fields[11]) + int(fields[12])) / ticks}


class AuditLog:
    """The controller's requests from the API server's audit log, read incrementally (the log of a
    1000-network burst is tens of MiB: reading it whole every second would load the machine)."""

    def __init__(self, path):
        self.path, self.offset, self.events = path, 0, []  # events: (seconds since the epoch, "verb resource")

    def _read(self):
        if not os.path.exists(self.path):
            return
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            chunk = f.read()
        end = chunk.rfind(b"\n") + 1  # a line being written waits for the next read
        self.offset += end
        for line in chunk[:end].splitlines():
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("user", {}).get("username") != SA_USER:
                continue
            t = e.get("requestReceivedTimestamp", "")
            stamp = calendar.timegm(time.strptime(t[:19], "%Y-%m-%dT%H:%M:%S")) + float("0" + t[19:-1])
            ref = e.get("objectRef", {})
            resource = ref.get("resource", "?") + ("/" + ref["subresource"] if ref.get("subresource") else "")
            self.events.append((stamp, "%s %s" % (e.get("verb"), resource)))

    def between(self, start, end):
        """The controller's requests in [start, end) (seconds since the epoch), by verb and resource."""
        self._read()
        return collections.Counter(what for stamp, what in self.events if start <= stamp < end)


def is_write(verb_resource):
    return verb_resource.split()[0] in ("create", "update", "patch", "delete")


def network_docs(ns, n):
    return "".join("---\napiVersion: %s/v1\nkind: BitcoinNetwork\nmetadata: {name: net-%04d, namespace: %s}\n"
                   "spec: {nodes: 1}\n" % (control_plane.GROUP, i, ns) for i in range(n))


def count(cp, path):
    return len(cp.api("GET", path, timeout=60)["items"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=1000)
    parser.add_argument("--rest", type=float, default=60)
    parser.add_argument("--json")
    parser.add_argument("serve_flags", nargs="*")
    args = parser.parse_args()
    policy = os.path.join(tempfile.mkdtemp(prefix="kb-bench-"), "audit-policy.yaml")
    with open(policy, "w") as f:
        f.write(POLICY)
    ns = "perf-bench"
    with control_plane.ControlPlane("perf-bench", apiserver_args=["--audit-policy-file=" + policy]) as cp:
        cp.kubectl("create", "namespace", ns)
        audit = AuditLog(cp.audit_log)
        ctl = cp.start_controller(args=args.serve_flags)
        control_plane.wait_until("the controller to be ready", ctl.ready, timeout=60)
        time.sleep(2)
        idle = proc_figures(ctl.pid)
        docs = os.path.join(cp.dir, "networks.yaml")
        with open(docs, "w") as f:
            f.write(network_docs(ns, args.n))
        t0 = time.time()
        cp.kubectl("create", "-f", docs, timeout=600)
        created = time.time() - t0
        path = "/apis/apps/v1/namespaces/%s/statefulsets" % ns
        control_plane.wait_until("%d StatefulSets" % args.n, lambda: count(cp, path) >= args.n, timeout=900,
                                 interval=0.5)
        converged = time.time() - t0
        # Status writes follow the StatefulSets; wait until the controller's writes stop.
        quiet_since, last = time.time(), None
        while time.time() - quiet_since < 10:
            writes = sum(v for k, v in audit.between(t0, time.time() + 1).items()
                         if is_write(k) and not k.endswith(" leases"))  # the Lease renews every 2 s
            if writes != last:
                quiet_since, last = time.time(), writes
            time.sleep(1)
        settled = time.time()
        after_burst = proc_figures(ctl.pid)
        time.sleep(args.rest)
        at_rest = proc_figures(ctl.pid)
        burst_requests = audit.between(t0, settled)
        rest_requests = audit.between(settled, settled + args.rest)
        result = {
            "n": args.n, "serve_flags": args.serve_flags, "machine": "%d cores, shared" % os.cpu_count(),
            "create_seconds": round(created, 2), "all_statefulsets_seconds": round(converged, 2),
            "settled_seconds": round(settled - t0, 2),
            "controller_idle": idle, "controller_after_burst": after_burst, "controller_after_rest": at_rest,
            "burst_cpu_seconds": round(after_burst["cpu_seconds"] - idle["cpu_seconds"], 2),
            "rest_cpu_seconds": round(at_rest["cpu_seconds"] - after_burst["cpu_seconds"], 2),
            "requests_during_burst": dict(sorted(burst_requests.items())),
            "requests_at_rest": dict(sorted(rest_requests.items())), "rest_seconds": args.rest,
        }
        writes = sum(v for k, v in burst_requests.items() if is_write(k) and not k.endswith(" leases"))
        result["writes_per_network"] = round(writes / args.n, 2)
        print(json.dumps(result, indent=1))
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
