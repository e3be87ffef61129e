#!/usr/bin/env python3
"""`down` leaves nothing behind: no component, runtime or container processes, no network
namespaces (the node's and CNI's), links or routes, no iptables chains on the host, no mounts,
no kubepods cgroups, no files the kubelet, containerd or CNI wrote outside the state dir; a warm
`up` takes under 60 s; a second `down` is clean again. Run it LAST: the cluster is down
afterwards. Skipped (exit 77) when the cluster was running before hack/test.sh started
(KB_CLUSTER_PREEXISTING=1), or, run by ctest alone, before the fixture's cluster.up (no marker
file KB_CLUSTER_STARTED_MARKER): a user's cluster and its workloads are never taken down."""

import glob
import os
import subprocess
import sys
import time

from clusterlib import BUSYBOX, SCRIPT, Namespace, apply, check, kjson, load_env, log, main, wait_pods_ready

WORKLOAD = f"""
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {{name: claim}}
spec:
  accessModes: [ReadWriteOnce]
  resources: {{requests: {{storage: 16Mi}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: p, labels: {{app: p}}}}
spec:
  terminationGracePeriodSeconds: 30
  containers:
  - name: c
    image: {BUSYBOX}
    command: ["sh", "-c", "echo kept > /claim/file; trap '' TERM; sleep 3600"]
    volumeMounts: [{{name: d, mountPath: /scratch}}, {{name: claim, mountPath: /claim}}]
  volumes: [{{name: d, emptyDir: {{}}}}, {{name: claim, persistentVolumeClaim: {{claimName: claim}}}}]
---
apiVersion: v1
kind: Service
metadata: {{name: p}}
spec:
  selector: {{app: p}}
  ports: [{{port: 80}}]
"""

NODE_NETNS = "kbc-node"
HOST_PATHS = ["/run/containerd", "/var/lib/cni", "/var/log/containers", "/var/log/pods", "/var/lib/kubelet", "/etc/cni", "/opt/cni"]


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout


def cache_root():
    return os.environ.get("KUBECTL_BITCOIN_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "kubectl-bitcoin")


def start_time(pid):
    """The process's start time in clock ticks (field 22 of /proc/PID/stat), or None: with
    pid_max at 32768 a PID is soon reused, so a process is its PID and its start time."""
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def leftovers(state, pids, paths_before):
    found = []
    for pid, started in pids:
        if start_time(pid) == started and "Z" not in sh(f"grep State /proc/{pid}/status"):
            found.append(f"process {pid} still runs")
    host_net = os.readlink("/proc/self/ns/net")
    for proc in glob.glob("/proc/[0-9]*"):
        try:
            exe = os.readlink(f"{proc}/exe")
            net = os.readlink(f"{proc}/ns/net")
            cmdline = open(f"{proc}/cmdline", "rb").read().replace(b"\0", b" ").decode(errors="replace")
            cgroup = open(f"{proc}/cgroup").read()
        except OSError:
            continue
        if exe.startswith(cache_root()):
            found.append(f"process {proc[6:]} ({exe}) still runs")
        elif "/kubepods" in cgroup:
            found.append(f"container process {proc[6:]} ({cmdline[:60]}) still runs")
        elif state in cmdline and "down_leaves_nothing" not in cmdline and net != host_net:
            found.append(f"process {proc[6:]} ({cmdline[:80]}) still runs")
    namespaces = [n for n in sh("ip netns list").split() if n == NODE_NETNS or n.startswith("cni-")]
    if namespaces:
        found.append(f"network namespaces: {namespaces}")
    links = [l.split("@")[0] for l in sh("ip -o link show | awk -F': ' '{print $2}'").split()]
    links = [l for l in links if l.startswith(("kbc", "cni", "veth"))]
    if links:
        found.append(f"links: {links}")
    routes = [r for r in sh("ip route show").splitlines() if r.startswith(("10.244.", "10.96.", "10.243."))]
    if routes:
        found.append(f"routes: {routes}")
    for table in ("filter", "nat", "mangle"):
        chains = [l for l in sh(f"iptables -w -t {table} -S 2>/dev/null").splitlines() if "KUBE-" in l]
        if chains:
            found.append(f"iptables {table}: {chains[:3]}")
    mounts = [l.split()[1] for l in open("/proc/mounts").read().splitlines()
              if state in l or "/run/netns/cni-" in l or "/run/containerd" in l or "/var/lib/kubelet" in l]
    if mounts:
        found.append(f"mounts: {mounts[:5]}")
    cgroups = glob.glob("/sys/fs/cgroup/*/kubepods") + glob.glob("/sys/fs/cgroup/kubepods")
    if cgroups:
        found.append(f"cgroups: {cgroups}")
    for p in HOST_PATHS:
        if p not in paths_before and os.path.exists(p):
            found.append(f"{p} was created by the cluster and is still there")
    for d in ("node", "etcd", "run"):
        if os.path.isdir(os.path.join(state, d)):
            found.append(f"{d}/ remains in the state dir")
    return found


def running_pids(state):
    pids = []
    for f in glob.glob(os.path.join(state, "run", "*.pid")):
        pids.append(int(open(f).read().strip()))
    pids += [int(p) for p in sh(f"ip netns pids {NODE_NETNS}").split()]
    for procs in glob.glob("/sys/fs/cgroup/pids/kubepods/**/cgroup.procs", recursive=True):
        pids += [int(p) for p in open(procs).read().split()]
    return [(pid, start_time(pid)) for pid in sorted(set(pids)) if start_time(pid) is not None]


def paths_before_up(state):
    try:
        return [l.strip() for l in open(os.path.join(state, "host-paths-before")) if l.startswith("/")]
    except OSError:
        return []


def down_and_check(state):
    pids = running_pids(state)
    paths_before = paths_before_up(state)
    check(pids, "nothing was running before down")
    t0 = time.time()
    p = subprocess.run([SCRIPT, "down"], capture_output=True, text=True, timeout=180)
    check(p.returncode == 0, f"down failed: {p.stderr}")
    found = leftovers(state, pids, paths_before)
    check(not found, "down left things behind: " + "; ".join(found))
    log(f"down in {time.time() - t0:.1f}s left nothing behind ({len(pids)} processes stopped)")


def cluster_was_running_before():
    """hack/test.sh says so (it ran `up` itself before ctest); under plain ctest, cluster.up left a
    marker when it started the cluster."""
    said = os.environ.get("KB_CLUSTER_PREEXISTING")
    if said in ("0", "1"):
        return said == "1"
    marker = os.environ.get("KB_CLUSTER_STARTED_MARKER")
    return not (marker and os.path.exists(marker))


def test():
    if cluster_was_running_before():
        print("SKIPPED: the cluster was running before this test run started; down would take the user's cluster "
              "and workloads away (run hack/local-cluster.sh down first to include this test)", flush=True)
        sys.exit(77)
    state = os.environ["LOCAL_CLUSTER_DIR"]
    # Something in every kind of place: a pod with a sandbox, CNI netns and veth, an emptyDir,
    # a PersistentVolume from the provisioner, a Service (iptables rules), and a container that
    # ignores SIGTERM.
    with Namespace("down") as ns:
        apply(WORKLOAD, ns)
        wait_pods_ready(ns, "app=p", 1, 120)
        check(kjson("get", "pvc", "claim", "-n", ns)["status"]["phase"] == "Bound", "the claim is not Bound")
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
    kubelets = [l for l in sh("ps -eo args").splitlines() if l.startswith(cache_root()) and "/kubelet " in l]
    check(len(kubelets) == 1, f"{len(kubelets)} kubelets run after two concurrent ups")
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
