#!/usr/bin/env python3
"""A StatefulSet of 3 Bitcoin nodes + headless Service: 3 Ready pods, 3 distinct IPs,
JSON-RPC from the host to each, and addnode 0 -> 1 shows in getpeerinfo on both."""

import time

from clusterlib import Namespace, apply, check, cluster_logs, log, main, node_image, rpc, wait, wait_pods_ready

MANIFEST = """
apiVersion: v1
kind: Secret
metadata: {name: rpc}
stringData: {user: alice, password: s3cret}
---
apiVersion: v1
kind: Service
metadata: {name: btc}
spec:
  clusterIP: None
  selector: {app: btc}
  ports: [{name: rpc, port: 18443}, {name: p2p, port: 18444}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: btc}
spec:
  serviceName: btc
  replicas: 3
  podManagementPolicy: Parallel
  selector: {matchLabels: {app: btc}}
  template:
    metadata: {labels: {app: btc}}
    spec:
      terminationGracePeriodSeconds: 10
      containers:
      - name: bitcoind
        image: {image}
        args: ["-regtest", "-server", "-rpcbind=0.0.0.0", "-rpcallowip=0.0.0.0/0", "-rpcport=18443", "-port=18444",
               "-rpcuser=$(BC_RPC_USER)", "-rpcpassword=$(BC_RPC_PASSWORD)", "-printtoconsole", "-datadir=/data"]
        env:
        - {name: BC_RPC_USER, valueFrom: {secretKeyRef: {name: rpc, key: user}}}
        - {name: BC_RPC_PASSWORD, valueFrom: {secretKeyRef: {name: rpc, key: password}}}
        ports: [{name: rpc, containerPort: 18443}, {name: p2p, containerPort: 18444}]
        volumeMounts: [{name: data, mountPath: /data}]
        readinessProbe:
          exec:
            command: ["sh", "-c", "bitcoin-cli -regtest -rpcport=18443 -rpcuser=$BC_RPC_USER -rpcpassword=$BC_RPC_PASSWORD getblockchaininfo"]
          periodSeconds: 2
          timeoutSeconds: 5
        livenessProbe: {tcpSocket: {port: rpc}, periodSeconds: 5, initialDelaySeconds: 30}
      volumes:
      - {name: data, emptyDir: {}}
"""


def peers(ip):
    return [p["addr"].rsplit(":", 1)[0] for p in rpc(ip, "getpeerinfo")]


def test():
    with Namespace("btc") as ns:
        apply(MANIFEST.replace("{image}", node_image()), ns)
        t0 = time.time()
        pods = wait_pods_ready(ns, "app=btc", 3, timeout=180)
        log(f"3 Bitcoin pods Ready in {time.time() - t0:.1f}s")
        pods.sort(key=lambda p: p["metadata"]["name"])
        ips = [p["status"]["podIP"] for p in pods]
        check(len(set(ips)) == 3, f"pod IPs are not distinct: {ips}")
        for p in pods:
            check(p["status"]["phase"] == "Running", f"{p['metadata']['name']} phase {p['status']['phase']}")
            check(p["status"]["podIPs"] == [{"ip": p["status"]["podIP"]}], f"podIPs {p['status'].get('podIPs')}")
            cs = p["status"]["containerStatuses"][0]
            check(cs["ready"] and "running" in cs["state"], f"container status {cs}")
        for ip in ips:
            info = rpc(ip, "getblockchaininfo")
            check(info["chain"] == "regtest", f"{ip}: chain {info['chain']}")
        log(f"getblockchaininfo answers on {ips}")
        # The image's entrypoint ran (the pod gives only args) and moved the data directory.
        logs0 = cluster_logs(pods[0]["metadata"]["name"], ns)
        check("assuming arguments for bitcoind" in logs0, f"the image's entrypoint did not run: {logs0[:300]}")

        rpc(ips[0], "addnode", [f"{ips[1]}:18444", "add"])
        wait("peer connection 0 <-> 1",
             lambda: ips[1] in peers(ips[0]) and ips[0] in peers(ips[1]), timeout=60)
        added = rpc(ips[0], "getaddednodeinfo")
        check(any(a["addednode"] == f"{ips[1]}:18444" for a in added), f"getaddednodeinfo: {added}")
        log(f"addnode {ips[0]} -> {ips[1]}: getpeerinfo shows the connection on both")

        # The connection carries blocks: mine on 0, see it on 1.
        addr = rpc(ips[0], "getnewaddress")
        rpc(ips[0], "generatetoaddress", [3, addr])
        wait("block propagation 0 -> 1", lambda: rpc(ips[1], "getblockcount") == 3, timeout=30)
        log("blocks mined on pod 0 reach pod 1")

        # Names of the headless service resolve inside the pods (the cluster's DNS).
        name1 = f"{pods[1]['metadata']['name']}.btc.{ns}.svc.cluster.local"
        rpc(ips[2], "addnode", [f"{name1}:18444", "onetry"])
        # A peer added by name shows its name as addr (as in Bitcoin Core).
        wait(f"pod 2 connects to {name1}",
             lambda: any(a in (ips[1], name1) for a in peers(ips[2])), timeout=30)
        log(f"pod 2 reached pod 1 by its DNS name {name1}")


if __name__ == "__main__":
    main(test)
