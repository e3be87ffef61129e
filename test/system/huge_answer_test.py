#!/usr/bin/env python3
"""`serve` is not dumpable, and a node that answers every RPC call with 64 MiB (the image kubectl-bitcoin.local/huge-answer:1,
built by the local cluster's tooling) cannot make the controller read without bound: the network
is Degraded with reason NodeAnswerTooLarge, the controller is neither restarted nor OOM-killed,
and its container's peak memory (the kernel's cgroup counter) stays far below its limit."""
import glob

from kbtest import *

NS = None


def controller_pod():
    pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")["items"]
    pods = [p for p in pods if pod_ready(p) and not p["metadata"].get("deletionTimestamp")]
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    return pods[0]


def peak_memory_bytes(pod):
    """The container's peak memory from its cgroup on the node (cgroup v1: memory.max_usage_in_bytes;
    v2: memory.peak)."""
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    for pattern in ("/sys/fs/cgroup/memory/kubepods*/**/%s/memory.max_usage_in_bytes",
                    "/sys/fs/cgroup/kubepods*/**/%s/memory.peak"):
        found = glob.glob(pattern % container_id, recursive=True)
        if found:
            return int(open(found[0]).read())
    raise AssertionError("no memory cgroup for container %s" % container_id)


def test_a_huge_answer_degrades_the_network_not_the_controller():
    pod = controller_pod()
    restarts = pod["status"]["containerStatuses"][0]["restartCount"]
    limit = pod["spec"]["containers"][0]["resources"]["limits"]["memory"]
    apply_network(NS, "huge", {"nodes": 1, "image": "kubectl-bitcoin.local/huge-answer:1"})
    wait_until("Degraded NodeAnswerTooLarge", lambda: degraded_reason(NS, "huge")[0] == "NodeAnswerTooLarge", timeout=180)
    reason, message = degraded_reason(NS, "huge")
    log("condition: %s: %s" % (reason, message))
    assert "MiB" in message or "bytes" in message, message
    time.sleep(20)  # further reconciles keep calling the node
    pod = controller_pod()
    status = pod["status"]["containerStatuses"][0]
    assert status["restartCount"] == restarts, "the controller restarted: %s" % status
    assert "OOMKilled" not in json.dumps(status), status
    peak = peak_memory_bytes(pod)
    log("controller's peak memory %.1f MiB (limit %s)" % (peak / 1048576.0, limit))
    assert peak < 100 * 1048576, "the controller's memory peaked at %d bytes" % peak


def test_serve_is_not_dumpable():
    """The controller holds Secrets in memory: it marks itself not dumpable (no core file, no
    ptrace by its own uid). The kernel then gives /proc/PID/ of the process to root instead of its
    uid (65532), which the node's host can see."""
    pod = controller_pod()
    container_id = pod["status"]["containerStatuses"][0]["containerID"].split("://", 1)[1]
    procs = glob.glob("/sys/fs/cgroup/pids/kubepods*/**/%s/cgroup.procs" % container_id, recursive=True)
    assert procs, "no cgroup for the controller's container"
    pids = open(procs[0]).read().split()
    assert pids, "no process in the controller's container"
    status = open("/proc/%s/status" % pids[0]).read()
    uid = [line.split()[1] for line in status.splitlines() if line.startswith("Uid:")][0]
    assert uid == "65532", "the controller runs as uid %s" % uid
    owner = os.stat("/proc/%s/environ" % pids[0]).st_uid
    assert owner == 0, "/proc/%s/environ belongs to uid %d: the process is dumpable" % (pids[0], owner)
    log("serve (pid %s, uid %s) is not dumpable: its /proc entries belong to root" % (pids[0], uid))


if __name__ == "__main__":
    NS = fresh_namespace("kbt-huge")
    try:
        main([test_serve_is_not_dumpable, test_a_huge_answer_degrades_the_network_not_the_controller])
    finally:
        delete_namespace(NS)
