#!/usr/bin/env python3
"""Container environment and volumes: command/args with $(VAR) expansion, env, envFrom,
valueFrom (secretKeyRef, configMapKeyRef, fieldRef), secret/configMap/emptyDir/downwardAPI
volumes, the service-account files, workingDir, runAsUser/runAsGroup, hostname."""

import json
import os
import subprocess

from clusterlib import Namespace, apply, check, cluster_logs, kjson, log, main, rpc, wait, wait_pods_ready

SCRIPT = r'''
import json, os, socket, sys
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
def read(p):
    try:
        return open(p).read()
    except Exception as e:
        return "ERROR %s" % e
out = {"argv": sys.argv[1:], "env": dict(os.environ), "cwd": os.getcwd(), "uid": os.getuid(), "gid": os.getgid(),
       "hostname": socket.gethostname(), "secret": read("/etc/creds/password"), "config": read("/etc/app/mode"),
       "item": read("/etc/items/renamed.txt"), "labels": read("/etc/podinfo/labels"), "sa_ns": read(sa + "/namespace"),
       "sa_ca": read(sa + "/ca.crt")[:27], "hosts": read("/etc/hosts")}
open("/scratch/note", "w").write("shared")
out["scratch"] = read("/scratch/note")
print("RESULT " + json.dumps(out), flush=True)
'''

MANIFEST = """
apiVersion: v1
kind: Secret
metadata: {name: creds}
stringData: {user: alice, password: s3cret}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: app}
data: {mode: regtest, color: blue, other.txt: items}
---
apiVersion: v1
kind: Pod
metadata: {name: envy, labels: {tier: test}}
spec:
  restartPolicy: Never
  securityContext: {runAsUser: 1234, runAsGroup: 2345}
  containers:
  - name: c
    image: python:3.11
    workingDir: /opt/local-cluster-test/wd
    command: ["python3", "-c", %s]
    args: ["--user=$(USER_NAME)", "--ip=$(MY_IP)", "--literal=$$(NOT_EXPANDED)", "--unknown=$(NOPE)"]
    env:
    - {name: USER_NAME, valueFrom: {secretKeyRef: {name: creds, key: user}}}
    - {name: MODE, valueFrom: {configMapKeyRef: {name: app, key: mode}}}
    - {name: MY_IP, valueFrom: {fieldRef: {fieldPath: status.podIP}}}
    - {name: MY_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
    - {name: MY_NS, valueFrom: {fieldRef: {fieldPath: metadata.namespace}}}
    - {name: COMBINED, value: "$(MY_NAME)@$(MY_NS)"}
    envFrom:
    - {prefix: CFG_, configMapRef: {name: app}}
    volumeMounts:
    - {name: creds, mountPath: /etc/creds}
    - {name: app, mountPath: /etc/app}
    - {name: items, mountPath: /etc/items}
    - {name: podinfo, mountPath: /etc/podinfo}
    - {name: scratch, mountPath: /scratch}
  volumes:
  - {name: creds, secret: {secretName: creds}}
  - {name: app, configMap: {name: app}}
  - {name: items, configMap: {name: app, items: [{key: other.txt, path: renamed.txt}]}}
  - {name: podinfo, downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}}
  - {name: scratch, emptyDir: {}}
""" % json.dumps(SCRIPT)

# A Bitcoin node as a non-root user: the mapped binaries live under root's home, which
# that user cannot enter; the agent exposes them inside the container's mount namespace.
NONROOT = """
apiVersion: v1
kind: Pod
metadata: {name: nonroot, labels: {app: nonroot}}
spec:
  securityContext: {runAsUser: 1000, runAsGroup: 1000, fsGroup: 1000, runAsNonRoot: true}
  containers:
  - name: bitcoind
    image: lncm/bitcoind:v27.0
    args: ["-regtest", "-server", "-rpcbind=0.0.0.0", "-rpcallowip=0.0.0.0/0", "-rpcuser=u", "-rpcpassword=p",
           "-printtoconsole", "-datadir=/data"]
    volumeMounts: [{name: data, mountPath: /data}]
    readinessProbe:
      exec: {command: ["sh", "-c", "bitcoin-cli -regtest -rpcuser=u -rpcpassword=p getblockcount"]}
      periodSeconds: 1
      timeoutSeconds: 5
  volumes: [{name: data, emptyDir: {}}]
"""


def test():
    with Namespace("envvol") as ns:
        apply(MANIFEST, ns)
        wait("envy to finish", lambda: kjson("get", "pod", "envy", "-n", ns)["status"].get("phase") in ("Succeeded", "Failed"), 60)
        pod = kjson("get", "pod", "envy", "-n", ns)
        out = cluster_logs("envy", ns)
        check(pod["status"]["phase"] == "Succeeded", f"envy {pod['status']['phase']}: {out[-600:]}")
        res = json.loads([l for l in out.splitlines() if l.startswith("RESULT ")][-1][7:])
        ip = pod["status"]["podIP"]
        env = res["env"]
        expect = {
            "argv": ["--user=alice", f"--ip={ip}", "--literal=$(NOT_EXPANDED)", "--unknown=$(NOPE)"],
            "cwd": "/opt/local-cluster-test/wd", "uid": 1234, "gid": 2345, "hostname": "envy",
            "secret": "s3cret", "config": "regtest", "item": "items", "sa_ns": ns,
            "sa_ca": "-----BEGIN CERTIFICATE-----", "scratch": "shared",
        }
        for k, v in expect.items():
            check(res[k] == v, f"{k}: want {v!r}, got {res[k]!r}")
        for k, v in {"USER_NAME": "alice", "MODE": "regtest", "MY_IP": ip, "MY_NAME": "envy", "MY_NS": ns,
                     "COMBINED": f"envy@{ns}", "CFG_color": "blue", "CFG_mode": "regtest"}.items():
            check(env.get(k) == v, f"env {k}: want {v!r}, got {env.get(k)!r}")
        check('tier="test"' in res["labels"], f"downwardAPI labels: {res['labels']!r}")
        check(f"{ip}\tenvy" in res["hosts"], f"/etc/hosts lacks the pod itself: {res['hosts']!r}")
        log("env, envFrom, valueFrom, $(VAR) expansion, volumes, workingDir, runAsUser/Group, hostname: ok")

        apply(NONROOT, ns)
        pods = wait_pods_ready(ns, "app=nonroot", 1, timeout=90)
        uid = pods[0]["metadata"]["uid"]
        pids = subprocess.run(["ip", "netns", "pids", f"kbc-{uid}"], capture_output=True, text=True).stdout.split()
        uids = {open(f"/proc/{p}/status").read().split("Uid:")[1].split()[0] for p in pids if os.path.exists(f"/proc/{p}")}
        check(uids == {"1000"}, f"bitcoind of the non-root pod runs as {uids}")
        check(rpc(pods[0]["status"]["podIP"], "getblockcount", user="u", password="p") == 0, "non-root node RPC")
        log("a Bitcoin node runs as uid 1000 with an exec readiness probe")


if __name__ == "__main__":
    main(test)
