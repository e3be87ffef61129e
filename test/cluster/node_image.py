#!/usr/bin/env python3
"""The Bitcoin node image runs as the official bitcoin/bitcoin image does, on a real node:

- a StatefulSet of two replicas that gives only args (no -datadir): the image's entrypoint
  runs, the node runs as the image's bitcoin user (101), and each container has a root file
  system of its own: a file written to the image's home in one pod is not in the other, and
  the host's /root is untouched;
- `command: [bitcoind]` replaces the entrypoint: it runs as uid 1000 with a read-only root file
  system and its data on an emptyDir under Pod Security "restricted";
- the same image as uid 1000 with a read-only root file system and only args fails the way the
  official image does (its entrypoint needs root): the container exits 1 and restarts.
"""

import os
import time

from clusterlib import (Namespace, apply, check, cluster_logs, exec_in, kjson, kubectl, log, main, node_image, wait,
                        wait_pods_ready)

ARGS = '["-regtest", "-server", "-rpcbind=0.0.0.0", "-rpcallowip=0.0.0.0/0", "-rpcuser=alice", "-rpcpassword=s3cret", "-printtoconsole"]'
PROBE = '["bitcoin-cli", "-regtest", "-rpcuser=alice", "-rpcpassword=s3cret", "getblockcount"]'

STATEFULSET = f"""
apiVersion: v1
kind: Service
metadata: {{name: plain}}
spec:
  clusterIP: None
  selector: {{app: plain}}
  ports: [{{name: p2p, port: 18444}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: plain}}
spec:
  serviceName: plain
  replicas: 2
  podManagementPolicy: Parallel
  selector: {{matchLabels: {{app: plain}}}}
  template:
    metadata: {{labels: {{app: plain}}}}
    spec:
      terminationGracePeriodSeconds: 5
      containers:
      - name: bitcoind
        image: {{image}}
        args: {ARGS}
        readinessProbe: {{exec: {{command: {PROBE}}}, periodSeconds: 2, timeoutSeconds: 5}}
"""

RESTRICTED = """
  securityContext: {runAsNonRoot: true, runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, seccompProfile: {type: RuntimeDefault}}
"""
CONTAINER_RESTRICTED = """
    securityContext: {allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {drop: [ALL]}}
"""

COMMAND_POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: command-replaced, labels: {{app: command-replaced}}}}
spec:
  terminationGracePeriodSeconds: 5
{RESTRICTED}
  containers:
  - name: bitcoind
    image: {{image}}
    command: ["bitcoind"]
    args: ["-regtest", "-rpcuser=alice", "-rpcpassword=s3cret", "-printtoconsole", "-datadir=/data"]
{CONTAINER_RESTRICTED}
    # -datadir: the bundled node's bitcoin-cli creates its default data directory ($HOME/.bitcoin),
    # which a read-only root file system refuses (Bitcoin Core's does not need it).
    readinessProbe: {{exec: {{command: {PROBE.replace('"-regtest",', '"-regtest", "-datadir=/data",')}}}, periodSeconds: 2, timeoutSeconds: 5}}
    volumeMounts: [{{name: data, mountPath: /data}}]
  volumes: [{{name: data, emptyDir: {{}}}}]
"""

ENTRYPOINT_AS_USER_POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: entrypoint-as-user}}
spec:
  terminationGracePeriodSeconds: 5
{RESTRICTED}
  containers:
  - name: bitcoind
    image: {{image}}
    args: {ARGS}
{CONTAINER_RESTRICTED}
"""


def host_root_snapshot():
    return sorted(os.listdir("/root"))


def test():
    image = node_image()
    before = host_root_snapshot()
    with Namespace("node-image") as ns:
        apply(STATEFULSET.replace("{image}", image), ns)
        t0 = time.time()
        pods = wait_pods_ready(ns, "app=plain", 2, timeout=180)
        log(f"2 replicas of {image} without -datadir Ready in {time.time() - t0:.1f}s")
        names = sorted(p["metadata"]["name"] for p in pods)
        for name in names:
            logs = cluster_logs(name, ns)
            check("assuming arguments for bitcoind" in logs, f"{name}: the image's entrypoint did not run: {logs[:400]}")
            cmdline = exec_in(name, ns, "sh", "-c", "tr '\\0' ' ' </proc/1/cmdline").stdout
            datadirs = [a for a in cmdline.split() if a.startswith("-datadir=")]
            check(datadirs[-1:] == ["-datadir=/home/bitcoin/.bitcoin"], f"{name}: the entrypoint did not append -datadir: {cmdline}")
            uid = exec_in(name, ns, "sh", "-c", "awk '/^Uid:/ {print $2}' /proc/1/status").stdout.strip()
            check(uid == "101", f"{name}: the node runs as uid {uid}, not the image's bitcoin user (101)")
            exec_in(name, ns, "test", "-d", "/home/bitcoin/.bitcoin/regtest")
            exec_in(name, ns, "sh", "-c", f"echo {name} > /home/bitcoin/.bitcoin/written-by-{name}")
        for name in names:
            other = [n for n in names if n != name][0]
            listing = exec_in(name, ns, "ls", "/home/bitcoin/.bitcoin").stdout.split()
            check(f"written-by-{name}" in listing, f"{name}: its own file is missing: {listing}")
            check(f"written-by-{other}" not in listing, f"{name} sees the file {other} wrote: {listing}")
        check(host_root_snapshot() == before, f"the host's /root changed: {before} -> {host_root_snapshot()}")
        check(not os.path.exists("/root/.bitcoin/regtest") or ".bitcoin" in before, "a node wrote to the host's /root/.bitcoin")
        log("data directories are private to each container; the host's /root is untouched")

        kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted")
        apply(COMMAND_POD.replace("{image}", image), ns)
        wait_pods_ready(ns, "app=command-replaced", 1, timeout=120)
        logs = cluster_logs("command-replaced", ns)
        check("entrypoint" not in logs, f"command: [bitcoind] still ran the entrypoint: {logs[:400]}")
        uid = exec_in("command-replaced", ns, "sh", "-c", "awk '/^Uid:/ {print $2}' /proc/1/status").stdout.strip()
        check(uid == "1000", f"command-replaced runs as uid {uid}")
        exec_in("command-replaced", ns, "test", "-d", "/data/regtest")
        log("command: [bitcoind] skips the entrypoint; runs as 1000 with its data on /data under Pod Security restricted")

        apply(ENTRYPOINT_AS_USER_POD.replace("{image}", image), ns)

        def crashed():
            pod = kjson("get", "pod", "entrypoint-as-user", "-n", ns)
            for cs in pod.get("status", {}).get("containerStatuses", []):
                for state in (cs.get("lastState", {}), cs.get("state", {})):
                    term = state.get("terminated")
                    if term:
                        return term
            return None

        term = wait("the entrypoint run as uid 1000 to exit", crashed, timeout=120)
        check(term["exitCode"] == 1, f"the entrypoint as uid 1000 exited {term}")
        logs = cluster_logs("entrypoint-as-user", ns) + cluster_logs("entrypoint-as-user", ns, previous=True)
        check("usermod" in logs, f"the failure does not name usermod: {logs[:400]}")
        log(f"only args as uid 1000 on a read-only root file system fails like the official image: exit 1, {logs.strip().splitlines()[0]}")


if __name__ == "__main__":
    main(test)
