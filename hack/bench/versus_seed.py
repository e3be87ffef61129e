#!/usr/bin/env python3
"""`hack/bench.sh versus-seed SEED_BINARY`: the scale workload of hack/bench/scale.py against the
original Go controller (github.com/christianb93/bitcoin-controller, built by the user from its
source; see hack/bench/seed/README.md) and against ours, in one run, side by side with ratios.

Each controller gets what scale.run_workload gives any controller: a fresh private control plane
with kwok's simulated nodes, its own CRD and RBAC (the seed's: hack/bench/seed/), its own
ServiceAccount, N one-node networks in its own resource shape created at once, and the same
measurements (convergence, creation -> StatefulSet, peak RSS, CPU, requests by verb and resource
from the audit log during convergence and at rest). This file only describes the seed as a
controller under test and compares. Rounds alternate which controller goes first; with several,
the summary shows medians. Python 3 standard library only.
"""
import argparse
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import scale  # noqa: E402

SEED_DIR = os.path.join(scale.REPO, "hack", "bench", "seed")
SEED_GROUP = "bitcoincontroller.christianb93.github.com"


def seed(binary):
    """The original controller as a host process. --kubeconfig is its only way to a kubeconfig
    (without it, it takes the in-cluster configuration; it ignores $KUBECONFIG)."""
    with open(os.path.join(SEED_DIR, "rbac.yaml")) as f:
        rbac = f.read()
    return scale.ControllerUnderTest(
        name="seed", crd_path=os.path.join(SEED_DIR, "crd.yaml"), rbac_yaml=rbac,
        service_account=("bitcoin-controller", "bitcoin-controller-sva"),
        argv=lambda kubeconfig: [binary, "--kubeconfig", kubeconfig],
        # Its README's example without the Secret it names: it makes none and needs none.
        network=lambda ns, name: {"apiVersion": SEED_GROUP + "/v1", "kind": "BitcoinNetwork",
                                  "metadata": {"name": name, "namespace": ns}, "spec": {"nodes": 1}},
        network_path=lambda ns: "/apis/%s/v1/namespaces/%s/bitcoinnetworks" % (SEED_GROUP, ns),
        owns=("statefulsets", "services"))


def writes(requests, status_only=False):
    return sum(n for key, n in requests.items()
               if scale.is_write(key) and (not status_only or key.split()[1].endswith("/status")))


def figures(r):
    """The compared figures of one scale.run_workload result."""
    sts, single = r.get("create_to_statefulset") or {}, r.get("single_network_idle") or {}
    return {"converged s": r["converged_seconds"], "create->StatefulSet p50 ms": sts.get("p50_ms"),
            "create->StatefulSet p99 ms": sts.get("p99_ms"), "single network (idle) median ms": single.get("median_ms"),
            "peak RSS MiB": r["controller_peak_rss_mib"], "CPU s to converge": r["converge"]["controller_cpu_seconds"],
            "writes to converge": writes(r["converge"]["controller_requests"]),
            "requests to converge": sum(r["converge"]["controller_requests"].values()),
            "idle CPU %": r["rest"]["controller_cpu_percent"], "writes at rest": r["rest"]["controller_writes"],
            "writes at rest besides Lease": r["rest"]["controller_writes_besides_lease"],
            "status writes at rest": writes(r["rest"]["controller_requests"], status_only=True),
            "requests at rest": sum(r["rest"]["controller_requests"].values())}


def medians(rounds):
    return {k: round(statistics.median(f[k] for f in rounds if f[k] is not None), 3)
            if any(f[k] is not None for f in rounds) else None for k in rounds[0]}


def table(theirs, ours, title):
    lines = [title, "%-34s %12s %12s %10s" % ("", "seed", "ours", "seed/ours")]
    for key in theirs:
        a, b = theirs[key], ours[key]
        if a is None or b is None:
            ratio = "-"
        else:
            ratio = "%.1fx" % (a / b) if b else ("=" if not a else "inf")
        lines.append("%-34s %12s %12s %10s" % (key, a, b, ratio))
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("seed_binary", help="the original controller, built from its source (hack/bench/seed/README.md)")
    ap.add_argument("-n", "--networks", type=int, default=100)
    ap.add_argument("--rest", type=int, default=120, help="seconds at rest after convergence")
    ap.add_argument("--single-runs", type=int, default=5, help="single networks on the idle cluster afterwards")
    ap.add_argument("--timeout", type=int, default=900, help="seconds each controller may take to converge")
    ap.add_argument("--rounds", type=int, default=1, help="rounds, alternating which controller goes first")
    ap.add_argument("--json", default=os.path.join(scale.REPO, "bench-results", "versus-seed.json"))
    args = ap.parse_args()
    if not (os.path.isfile(args.seed_binary) and os.access(args.seed_binary, os.X_OK)):
        print("versus-seed: SEED_BINARY %r is not an executable file" % args.seed_binary, file=sys.stderr)
        return 2
    print("machine: %d cores, %s, shared with other work (times are upper bounds); %d one-node networks at once, "
          "%d s at rest" % (os.cpu_count(), os.uname().release, args.networks, args.rest), flush=True)
    binary = os.path.abspath(args.seed_binary)
    raw = {"seed": [], "ours": []}
    for i in range(args.rounds):
        order = [("seed", lambda: seed(binary)), ("ours", scale.ours)]
        for name, make in order if i % 2 == 0 else order[::-1]:
            scale.control_plane.log("versus-seed round %d: %s, %d networks" % (i + 1, name, args.networks))
            load = os.getloadavg()[0]
            result = scale.run_workload(make(), args.networks, rest_seconds=args.rest, single_runs=args.single_runs,
                                        converge_timeout=args.timeout)
            result["load_1min_before_after"] = [round(load, 1), round(os.getloadavg()[0], 1)]
            raw[name].append(result)
        print(table(figures(raw["seed"][-1]), figures(raw["ours"][-1]), "round %d of %d" % (i + 1, args.rounds)))
        for name in ("seed", "ours"):
            r = raw[name][-1]
            print("%s: requests at rest %s; 1-min load average before/after %s" % (
                name, json.dumps(r["rest"]["controller_requests"]), r["load_1min_before_after"]), flush=True)
    summary = {name: medians([figures(r) for r in rs]) for name, rs in raw.items()}
    if args.rounds > 1:
        print(table(summary["seed"], summary["ours"], "medians of %d rounds" % args.rounds))
    os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
    with open(args.json, "w") as f:
        json.dump({"date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "machine_cores": os.cpu_count(),
                   "networks": args.networks, "rest_seconds": args.rest, "summary": summary, "runs": raw}, f, indent=1)
    print("json: %s" % args.json)
    return 0


if __name__ == "__main__":
    sys.exit(main())
