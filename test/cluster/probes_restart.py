#!/usr/bin/env python3
"""Probes and restarts: a crashing container restarts with back-off (restartCount,
lastState), a failing liveness probe restarts its container, a failing readiness probe
keeps the pod unready, startup probes gate the others, restartPolicy Never/OnFailure
finish the pod, and deletion sends SIGTERM then SIGKILL after the grace period."""

import os
import subprocess
import time

from clusterlib import Namespace, apply, check, cluster_logs, kjson, kubectl, log, main, wait

MANIFEST = """
apiVersion: v1
kind: Pod
metadata: {name: crasher}
spec:
  containers:
  - {name: c, image: busybox, command: ["sh", "-c", "echo run; exit 3"]}
---
apiVersion: v1
kind: Pod
metadata: {name: unlive}
spec:
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    livenessProbe: {exec: {command: ["test", "-e", "/nonexistent"]}, periodSeconds: 1, failureThreshold: 2}
---
apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: c
    image: busybox
    command: ["sleep", "3600"]
    readinessProbe: {tcpSocket: {port: 9}, periodSeconds: 1}
---
apiVersion: v1
kind: Pod
metadata: {name: slowstart}
spec:
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "sleep 3; touch /tmp/started-$(HOSTNAME); exec sleep 3600"]
    startupProbe: {exec: {command: ["sh", "-c", "test -e /tmp/started-$HOSTNAME"]}, periodSeconds: 1, failureThreshold: 30}
---
apiVersion: v1
kind: Pod
metadata: {name: once}
spec:
  restartPolicy: Never
  containers:
  - {name: c, image: busybox, command: ["sh", "-c", "exit 7"]}
---
apiVersion: v1
kind: Pod
metadata: {name: onfailure}
spec:
  restartPolicy: OnFailure
  containers:
  - {name: c, image: busybox, command: ["sh", "-c", "exit 0"]}
---
apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: c
    image: busybox
    command: ["python3", "-c", "import signal,sys,time\\nsignal.signal(signal.SIGTERM, lambda *a: (print('got SIGTERM', flush=True), sys.exit(0)))\\nprint('ready', flush=True)\\nwhile True: time.sleep(1)"]
---
apiVersion: v1
kind: Pod
metadata: {name: stubborn}
spec:
  terminationGracePeriodSeconds: 2
  containers:
  - name: c
    image: busybox
    command: ["sh", "-c", "trap '' TERM; while true; do sleep 1; done"]
"""


def status(ns, name):
    return kjson("get", "pod", name, "-n", ns)["status"]


def cs(ns, name):
    st = status(ns, name)
    return (st.get("containerStatuses") or [{}])[0]


def test():
    with Namespace("probes") as ns:
        apply(MANIFEST, ns)

        c = wait("crasher to restart twice", lambda: cs(ns, "crasher").get("restartCount", 0) >= 2 and cs(ns, "crasher"), 60)
        last = c["lastState"].get("terminated", {})
        check(last.get("exitCode") == 3, f"crasher lastState {c['lastState']}")
        log(f"crasher: restartCount {c['restartCount']}, lastState exit {last.get('exitCode')}")
        wait("CrashLoopBackOff", lambda: (cs(ns, "crasher")["state"].get("waiting") or {}).get("reason") == "CrashLoopBackOff", 60, 0.2)

        c = wait("liveness restart", lambda: cs(ns, "unlive").get("restartCount", 0) >= 1 and cs(ns, "unlive"), 60)
        log(f"unlive: restarted by its liveness probe ({c['restartCount']})")

        time.sleep(3)
        st = status(ns, "unready")
        check(st["phase"] == "Running" and not cs(ns, "unready")["ready"], f"unready: {st['phase']} ready={cs(ns, 'unready')['ready']}")
        ready = [x for x in st["conditions"] if x["type"] == "Ready"][0]
        check(ready["status"] == "False", f"unready Ready condition {ready}")

        c = cs(ns, "slowstart")
        check(c.get("started") is False or c.get("ready"), f"slowstart: {c}")
        wait("slowstart started and ready", lambda: cs(ns, "slowstart").get("started") and cs(ns, "slowstart").get("ready"), 60)
        log("startup probe gated readiness")

        wait("once Failed", lambda: status(ns, "once")["phase"] == "Failed", 30)
        check(cs(ns, "once")["state"]["terminated"]["exitCode"] == 7, "once exit code")
        check(cs(ns, "once")["restartCount"] == 0, "restartPolicy Never restarted")
        wait("onfailure Succeeded", lambda: status(ns, "onfailure")["phase"] == "Succeeded", 30)
        log("restartPolicy Never -> Failed, OnFailure + exit 0 -> Succeeded")

        wait("graceful running", lambda: "ready" in cluster_logs("graceful", ns), 30)
        t0 = time.time()
        kubectl("delete", "pod", "graceful", "-n", ns, "--wait=true", "--timeout=60s")
        took = time.time() - t0
        check("got SIGTERM" in cluster_logs("graceful", ns), "graceful did not see SIGTERM")
        check(took < 25, f"graceful deletion took {took:.1f}s (grace 30s: SIGTERM was not handled)")
        log(f"graceful: SIGTERM handled, deleted in {took:.1f}s")

        uid = kjson("get", "pod", "stubborn", "-n", ns)["metadata"]["uid"]
        t0 = time.time()
        kubectl("delete", "pod", "stubborn", "-n", ns, "--wait=true", "--timeout=60s")
        took = time.time() - t0
        check(1.5 <= took < 20, f"stubborn (ignores SIGTERM, grace 2s) deleted after {took:.1f}s")
        gone = subprocess.run(["ip", "netns", "pids", f"kbc-{uid}"], capture_output=True).returncode != 0
        check(gone, "stubborn's network namespace is still there")
        log(f"stubborn: SIGKILL after the grace period ({took:.1f}s)")


if __name__ == "__main__":
    main(test)
