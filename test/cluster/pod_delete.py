#!/usr/bin/env python3
"""kubectl delete pod of one StatefulSet replica: its processes and network namespace
are gone, SIGTERM reached the container first, and the replacement comes up Ready."""

import os
import subprocess
import time

from clusterlib import Namespace, apply, check, kjson, kubectl, log, main, rpc, wait, wait_pods_ready

MANIFEST = """
apiVersion: v1
kind: Service
metadata: {name: nodes}
spec:
  clusterIP: None
  selector: {app: nodes}
  ports: [{name: rpc, port: 18443}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: nodes}
spec:
  serviceName: nodes
  replicas: 2
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: nodes}}
  template:
    metadata: {labels: {app: nodes}}
    spec:
      terminationGracePeriodSeconds: 60
      containers:
      - name: bitcoind
        image: ruimarinho/bitcoin-core:latest
        # Bitcoin Core style: -chain=regtest and the default regtest RPC port (18443).
        args: ["-chain=regtest", "-server", "-rpcbind=0.0.0.0", "-rpcallowip=0.0.0.0/0",
               "-rpcuser=alice", "-rpcpassword=s3cret", "-printtoconsole", "-datadir=/bitcoin"]
        volumeMounts: [{name: data, mountPath: /bitcoin}]
        readinessProbe:
          exec: {command: ["bitcoin-cli", "-chain=regtest", "-rpcuser=alice", "-rpcpassword=s3cret", "getblockcount"]}
          periodSeconds: 1
          timeoutSeconds: 5
        livenessProbe: {tcpSocket: {port: 18443}, periodSeconds: 2, initialDelaySeconds: 30}
      volumes:
      - {name: data, emptyDir: {}}
"""


def netns_pids(uid):
    p = subprocess.run(["ip", "netns", "pids", f"kbc-{uid}"], capture_output=True, text=True)
    if p.returncode != 0:
        return None  # namespace gone
    return [int(x) for x in p.stdout.split()]


def test():
    with Namespace("del") as ns:
        apply(MANIFEST, ns)
        pods = wait_pods_ready(ns, "app=nodes", 2, timeout=120)
        victim = next(p for p in pods if p["metadata"]["name"] == "nodes-1")
        uid = victim["metadata"]["uid"]
        old_ip = victim["status"]["podIP"]
        pids = netns_pids(uid)
        check(pids, f"no processes in the network namespace of nodes-1 ({pids})")
        log(f"nodes-1 ({old_ip}) runs pids {pids}")
        check(rpc(old_ip, "getblockchaininfo")["chain"] == "regtest", "not regtest on the Core default port 18443")

        t0 = time.time()
        kubectl("delete", "pod", "nodes-1", "-n", ns, "--wait=true", "--timeout=60s")
        took = time.time() - t0
        for pid in pids:
            check(not os.path.exists(f"/proc/{pid}"), f"process {pid} of the deleted pod still runs")
        check(netns_pids(uid) is None, f"network namespace kbc-{uid} still exists")
        # bitcoind shuts down cleanly on SIGTERM, well before the 60s grace period.
        check(took < 45, f"deletion took {took:.1f}s: SIGTERM did not stop bitcoind")
        log(f"deleted in {took:.1f}s; processes and netns gone")

        pods = wait_pods_ready(ns, "app=nodes", 2, timeout=120)
        new = next(p for p in pods if p["metadata"]["name"] == "nodes-1")
        check(new["metadata"]["uid"] != uid, "nodes-1 was not replaced")
        log(f"replacement nodes-1 Ready at {new['status']['podIP']}")
        events = kjson("get", "events", "-n", ns)["items"]
        check(any(e["reason"] == "Killing" and e["involvedObject"]["uid"] == uid for e in events),
              "no Killing event for the deleted pod")


if __name__ == "__main__":
    main(test)
