#!/usr/bin/env python3
"""`down` leaves nothing behind: no component or pod processes, network namespaces,
bridge, veths, iptables chains, mounts or created mount points; a warm `up` takes
under 60 s; a second `down` is clean again. Run it LAST: the cluster is down afterwards."""

import glob
import os
import subprocess
import time

from clusterlib import SCRIPT, check, kubectl, load_env, log, main, wait_pods_ready, Namespace, apply

POD = """
apiVersion: v1
kind: Pod
metadata: {name: p, labels: {app: p}}
spec:
  containers:
  - {name: c, image: busybox, command: ["sleep", "3600"], volumeMounts: [{name: d, mountPath: /lc-test-mountpoint/data}]}
  volumes: [{name: d, emptyDir: {}}]
"""


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout


def cache_root():
    return os.environ.get("KUBECTL_BITCOIN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kubectl-bitcoin")


def leftovers(state, pids):
    found = []
    for pid in pids:
        if os.path.exists(f"/proc/{pid}") and "Z" not in sh(f"grep State /proc/{pid}/status"):
            found.append(f"process {pid} still runs")
    host_net = os.readlink("/proc/self/ns/net")
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            exe = os.readlink(f"{proc}/exe")
            net = os.readlink(f"{proc}/ns/net")
            cmdline = open(f"{proc}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if exe.startswith(cache_root()) and (net != host_net or "kube-" in exe or "etcd" in exe or "node-agent" in exe):
            found.append(f"process {proc[6:]} ({exe}) still runs")
        elif state in cmdline and "down_leaves_nothing" not in cmdline:
            found.append(f"process {proc[6:]} ({cmdline[:80]}) still runs")
    if any(l.startswith("kbc-") for l in sh("ip netns list").split()):
        found.append("network namespaces: " + sh("ip netns list").strip())
    links = [l for l in sh("ip -o link show | awk -F': ' '{print $2}'").split() if l.split("@")[0].startswith(("kbc", "kbv", "kbp"))]
    if links:
        found.append(f"links: {links}")
    if "KBC-" in sh("iptables -w -t nat -S 2>/dev/null"):
        found.append("iptables chains KBC-* remain")
    mounts = [l for l in open("/proc/mounts").read().splitlines() if state in l or "/lc-test-mountpoint" in l]
    if mounts:
        found.append(f"mounts: {mounts}")
    if os.path.exists("/lc-test-mountpoint"):
        found.append("the mount point /lc-test-mountpoint created for a pod is still there")
    if os.path.isdir(os.path.join(state, "pods")) or os.path.isdir(os.path.join(state, "etcd")):
        found.append("pod or etcd state remains in the state dir")
    return found


def running_pids(state):
    pids = []
    for f in glob.glob(os.path.join(state, "run", "*.pid")):
        pids.append(int(open(f).read().strip()))
    for ns in sh("ip netns list").split():
        if ns.startswith("kbc-"):
            pids += [int(p) for p in sh(f"ip netns pids {ns}").split()]
    return pids


def down_and_check(state):
    pids = running_pids(state)
    check(pids, "nothing was running before down")
    t0 = time.time()
    p = subprocess.run([SCRIPT, "down"], capture_output=True, text=True, timeout=180)
    check(p.returncode == 0, f"down failed: {p.stderr}")
    found = leftovers(state, pids)
    check(not found, "down left things behind: " + "; ".join(found))
    log(f"down in {time.time() - t0:.1f}s left nothing behind ({len(pids)} processes stopped)")


def test():
    state = os.environ["LOCAL_CLUSTER_DIR"]
    # Something in every kind of place: a pod with a netns, veth, a private mount and
    # a mount point that had to be created on the host.
    with Namespace("down") as ns:
        apply(POD, ns)
        wait_pods_ready(ns, "app=p", 1, 60)
        down_and_check(state)

    # Two concurrent ups (say, two test runners): one starts the cluster, the other
    # waits for it and reuses it; never two copies of a component.
    t0 = time.time()
    other = subprocess.Popen([SCRIPT, "up"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    p = subprocess.run([SCRIPT, "up"], capture_output=True, text=True, timeout=300)
    took = time.time() - t0
    out2, err2 = other.communicate(timeout=300)
    check(p.returncode == 0, f"up failed: {p.stderr[-800:]}")
    check(other.returncode == 0, f"concurrent up failed: {err2[-800:]}")
    agents = [l for l in sh("ps -eo args").splitlines() if l.startswith(os.path.join(cache_root(), "agent-"))
              and f"--state-dir={state}" in l]
    check(len(agents) == 1, f"{len(agents)} node agents run after two concurrent ups")
    check(p.stdout.strip() == os.path.join(state, "admin.kubeconfig"), f"up printed {p.stdout!r}")
    check(took < 60, f"warm up took {took:.1f}s (limit 60s)")
    log(f"warm up in {took:.1f}s")
    load_env()
    check(subprocess.run([SCRIPT, "status"], capture_output=True).returncode == 0, "status not healthy after up")
    p2 = subprocess.run([SCRIPT, "up"], capture_output=True, text=True, timeout=60)
    check(p2.returncode == 0 and "reused" in p2.stderr, f"second up did not reuse the cluster: {p2.stderr}")
    down_and_check(state)
    check(subprocess.run([SCRIPT, "status"], capture_output=True).returncode != 0, "status says healthy after down")


if __name__ == "__main__":
    main(test)
