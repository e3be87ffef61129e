#!/usr/bin/env python3
"""CLI benchmarks (hack/bench.sh template | cli). Every timing alternates the commands compared
(A B A B ...) after a warm-up of each, and reports medians, so a neighbour's load on this shared
machine falls on both sides alike.

    hack/bench/cli.py template [--runs 30]             kubectl bitcoin template vs helm template
    hack/bench/cli.py cli [--networks 1000] [--runs 15] [--json FILE]
        the stripped binary's size; `version` latency; `status -A` over N networks on a private
        control plane (test/faults/control_plane.py), each with a status as the controller writes
        it for three ready nodes, next to `kubectl get bitcoinnetworks -A` over the same networks.
"""
import argparse
import glob
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
BUILD = os.environ.get("KB_BUILD_DIR", os.path.join(REPO, "build"))
KB = os.path.join(BUILD, "kubectl-bitcoin")


def children_cpu_ms():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1000


def run_once(argv, env=None):
    """(wall milliseconds, CPU milliseconds of the process): on a loaded machine the wall time
    includes waiting for a core and for the API server; the CPU time is the command's own work."""
    cpu = children_cpu_ms()
    start = time.perf_counter()
    proc = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = (time.perf_counter() - start) * 1000
    if proc.returncode != 0:
        raise SystemExit("bench: %s failed (%d): %s" % (" ".join(argv), proc.returncode, proc.stderr.decode()[-500:]))
    return elapsed, children_cpu_ms() - cpu


def alternating(commands, runs, env=None):
    """{name: [(wall ms, CPU ms) per run]} for each (name, argv), run in turn `runs` times after a warm-up."""
    for argv in commands.values():
        run_once(argv, env)
    times = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(run_once(argv, env))
    return times


def summary(samples):
    wall = sorted(s[0] for s in samples)
    cpu = sorted(s[1] for s in samples)
    return {"median_ms": round(statistics.median(wall), 2), "min_ms": round(wall[0], 2),
            "max_ms": round(wall[-1], 2), "median_cpu_ms": round(statistics.median(cpu), 2), "runs": len(wall)}


def machine():
    return "%d cores (shared with other work: wall times are upper bounds), %s" % (os.cpu_count(), os.uname().release)


def find_helm():
    helm = shutil.which("helm") or os.path.join(os.environ.get("LOCAL_CLUSTER_BIN", ""), "helm")
    if not os.path.isfile(helm):
        cache = os.environ.get("XDG_CACHE_HOME", os.path.expanduser("~/.cache"))
        found = sorted(glob.glob(os.path.join(cache, "kubectl-bitcoin", "k8s-*", "bin", "helm")))
        helm = found[-1] if found else ""
    if not helm:
        raise SystemExit("bench: no helm binary (run hack/local-cluster.sh up once, or put helm on PATH)")
    return helm


def bench_template(args):
    helm = find_helm()
    times = alternating({
        "kubectl bitcoin template": [KB, "template", "-n", "bitcoin-controller"],
        "helm template": [helm, "template", "bitcoin-controller", os.path.join(REPO, "chart", "bitcoin-controller"),
                          "-n", "bitcoin-controller"],
    }, args.runs)
    ours, theirs = summary(times["kubectl bitcoin template"]), summary(times["helm template"])
    version = subprocess.run([helm, "version", "--short"], capture_output=True, text=True).stdout.strip()
    print("machine: %s; %d alternating runs each" % (machine(), args.runs))
    print("helm template (%s): median %.2f ms (min %.2f, max %.2f)" % (version, theirs["median_ms"],
                                                                      theirs["min_ms"], theirs["max_ms"]))
    print("kubectl bitcoin template:  median %.2f ms (min %.2f, max %.2f), CPU %.2f ms; helm's CPU %.2f ms" % (
        ours["median_ms"], ours["min_ms"], ours["max_ms"], ours["median_cpu_ms"], theirs["median_cpu_ms"]))
    print("ratio of medians (helm / ours): %.1fx" % (theirs["median_ms"] / ours["median_ms"]))
    return {"template": ours, "helm_template": theirs, "ratio": round(theirs["median_ms"] / ours["median_ms"], 1)}


def network_status(name, generation=1):
    """A status as the controller writes it for a Ready network of three nodes (pkg/controller/network_status.cpp)."""
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    tip = "%064x" % (hash(name) & (2 ** 255 - 1))
    nodes = [{"ordinal": i, "nodeName": "%s-sts-%d" % (name, i), "dnsName": "%s-sts-%d.%s-svc" % (name, i, name),
              "ip": "10.244.%d.%d" % (i, 10 + i), "ready": True, "blocks": 101, "bestBlockHash": tip, "peers": 2,
              "version": "/Bitcoin SV:1.0.13/"} for i in range(3)]
    conditions = [
        {"type": "Ready", "status": "True", "observedGeneration": generation, "lastTransitionTime": now,
         "reason": "AllNodesReady", "message": "3/3 nodes ready and connected"},
        {"type": "Degraded", "status": "False", "observedGeneration": generation, "lastTransitionTime": now,
         "reason": "AsExpected", "message": "the last reconcile succeeded"},
    ]
    return {"observedGeneration": generation, "replicas": 3, "readyNodes": 3, "blockHeight": 101,
            "selector": "bitcoin.kubectl-bitcoin.dev/network=" + name, "nodes": nodes, "conditions": conditions}


def bench_cli(args):
    sys.path.insert(0, os.path.join(REPO, "test", "faults"))
    import control_plane  # noqa: E402 - the private control plane of the fault tests

    result = {"machine": machine()}
    stripped = os.path.join(tempfile.mkdtemp(prefix="kb-bench-"), "kubectl-bitcoin")
    shutil.copy(KB, stripped)
    subprocess.run(["strip", stripped], check=True)
    result["binary_bytes"] = os.path.getsize(KB)
    result["stripped_binary_bytes"] = os.path.getsize(stripped)
    times = alternating({"version": [KB, "version"], "/bin/true": ["/bin/true"]}, args.runs * 4)
    result["version"], result["bin_true"] = summary(times["version"]), summary(times["/bin/true"])

    with control_plane.ControlPlane("perf-cli") as cp:
        per_ns = 100  # networks spread over namespaces, as -A is for
        namespaces = ["perf-cli-%02d" % i for i in range((args.networks + per_ns - 1) // per_ns)]
        for ns in namespaces:
            cp.kubectl("create", "namespace", ns)
        docs = []
        for i in range(args.networks):
            ns = namespaces[i // per_ns]
            docs.append({"apiVersion": control_plane.GROUP + "/v1", "kind": "BitcoinNetwork",
                         "metadata": {"name": "net-%04d" % i, "namespace": ns},
                         "spec": {"nodes": 3, "topology": "ring", "mining": {"enabled": True}}})
        path = os.path.join(cp.dir, "networks.json")
        with open(path, "w") as f:
            json.dump({"apiVersion": "v1", "kind": "List", "items": docs}, f)
        cp.kubectl("create", "-f", path, timeout=900)
        for doc in docs:  # the status subresource, as the controller patches it
            meta = doc["metadata"]
            cp.api("PATCH", "/apis/%s/v1/namespaces/%s/bitcoinnetworks/%s/status" % (
                control_plane.GROUP, meta["namespace"], meta["name"]), {"status": network_status(meta["name"])},
                content_type="application/merge-patch+json")
        env = dict(os.environ, KUBECONFIG=cp.kubeconfig)
        kubectl = os.path.join(cp.bin, "kubectl")
        listing = subprocess.run([KB, "status", "-A"], capture_output=True, text=True, env=env, check=True).stdout
        rows = sum(1 for line in listing.splitlines() if line.startswith("perf-cli-"))
        if rows != args.networks:
            raise SystemExit("bench: status -A showed %d networks, not %d" % (rows, args.networks))
        times = alternating({
            "status -A": [KB, "status", "-A"],
            "kubectl get bitcoinnetworks -A": [kubectl, "get", "bitcoinnetworks." + control_plane.GROUP, "-A"],
        }, args.runs, env)
        result["status_all_namespaces"] = summary(times["status -A"])
        result["kubectl_get_all_namespaces"] = summary(times["kubectl get bitcoinnetworks -A"])
        result["networks"] = args.networks
    mib = 1024 * 1024
    print("machine: %s" % result["machine"])
    print("binary: %.1f MiB, stripped %.1f MiB (target <= 15 MiB)" % (result["binary_bytes"] / mib,
                                                                   result["stripped_binary_bytes"] / mib))
    print("version: median %.2f ms, CPU %.2f ms, over %d runs (target <= 5 ms); /bin/true alongside: median %.2f ms"
          % (result["version"]["median_ms"], result["version"]["median_cpu_ms"], result["version"]["runs"],
             result["bin_true"]["median_ms"]))
    print("status -A over %d networks: median %.1f ms (min %.1f, max %.1f; target <= 300 ms), its CPU %.1f ms" % (
        args.networks, result["status_all_namespaces"]["median_ms"], result["status_all_namespaces"]["min_ms"],
        result["status_all_namespaces"]["max_ms"], result["status_all_namespaces"]["median_cpu_ms"]))
    print("kubectl get bitcoinnetworks -A alongside: median %.1f ms" % result["kubectl_get_all_namespaces"]["median_ms"])
    return result


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["template", "cli"])
    parser.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "0")) or None)
    parser.add_argument("--networks", type=int, default=int(os.environ.get("NETWORKS", "1000")))
    parser.add_argument("--json", default=os.environ.get("BENCH_JSON"))
    args = parser.parse_args()
    if not os.access(KB, os.X_OK):
        raise SystemExit("bench: no %s (run hack/build.sh)" % KB)
    if args.what == "template":
        args.runs = args.runs or 30
        result = bench_template(args)
    else:
        args.runs = args.runs or 15
        result = bench_cli(args)
    result["date"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
