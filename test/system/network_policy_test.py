#!/usr/bin/env python3
"""A network's NetworkPolicy, enforced by the cluster: a pod in another namespace cannot open the
network's RPC or P2P port, the network's own pods open each other's P2P port, and the controller
reaches RPC (status heights, `kubectl bitcoin rpc` through the gateway). A reachable pod in the
same namespace proves that the refused connections are refused by the policy, not by routing."""
from kbtest import *

NS = None
OTHER = None
NAME = "fenced"

CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: prober, labels: {app: prober}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox:1.35, command: ["sleep", "3600"]}]
"""

OPEN_SERVER = """
apiVersion: v1
kind: Pod
metadata: {name: open-server, labels: {app: open-server}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{name: c, image: busybox:1.35, command: ["httpd", "-f", "-p", "18443"]}]
"""


def can_connect_from_prober(ip, port):
    # busybox's nc: exit 1 when the connection fails within -w seconds (refused or dropped);
    # connected, it waits for the server until `timeout` ends it.
    out = run(["kubectl", "-n", OTHER, "exec", "prober", "--", "sh", "-c",
               "timeout 8 nc -w 3 %s %d </dev/null; echo rc=$?" % (ip, port)], check=False)[1]
    return out.strip().splitlines()[-1] != "rc=1"


def test_network_ready_means_the_controller_reaches_rpc():
    apply_network(NS, NAME, {"nodes": 2})
    wait_until("2 nodes Ready", lambda: network_ready(NS, NAME, 2), timeout=240)
    status = get_network(NS, NAME)["status"]
    assert all("blocks" in n for n in status["nodes"]), status["nodes"]
    policies = kubectl_json("-n", NS, "get", "networkpolicies")["items"]
    assert [p["metadata"]["name"] for p in policies], "the controller made no NetworkPolicy"
    _, out, _ = plugin("rpc", NAME, "getblockcount", "-n", NS)
    assert out.strip() == "0", out


def test_own_pods_reach_each_other_p2p():
    ips = ready_ips(NS, NAME, 2)
    for src, dst in ((0, 1), (1, 0)):
        pod = "%s-sts-%d" % (NAME, src)
        rc = run(["kubectl", "-n", NS, "exec", pod, "-c", "bitcoind", "--", "bash", "-c",
                  "exec 3<>/dev/tcp/%s/18444" % ips[dst]], check=False)[0]
        assert rc == 0, "%s cannot open P2P on %s" % (pod, ips[dst])


def test_another_namespace_is_fenced_off():
    global OTHER
    OTHER = fresh_namespace("np-other")
    kubectl("-n", OTHER, "apply", "-f", "-", input=CLIENT)
    kubectl("-n", NS, "apply", "-f", "-", input=OPEN_SERVER)
    wait_until("prober and open-server Running",
               lambda: pod_ready(kubectl_json("-n", OTHER, "get", "pod", "prober"))
               and pod_ready(kubectl_json("-n", NS, "get", "pod", "open-server")), timeout=120)
    open_ip = kubectl_json("-n", NS, "get", "pod", "open-server")["status"]["podIP"]
    wait_until("the prober reaches a pod without a policy in the network's namespace",
               lambda: can_connect_from_prober(open_ip, 18443), timeout=60)
    for ip in ready_ips(NS, NAME, 2):
        for port in (18443, 18444):
            assert not can_connect_from_prober(ip, port), "a pod in %s opened %s:%d" % (OTHER, ip, port)
    log("RPC and P2P of the network are closed to another namespace; open to the network itself")


if __name__ == "__main__":
    NS = fresh_namespace("np")
    try:
        main([test_network_ready_means_the_controller_reaches_rpc, test_own_pods_reach_each_other_p2p,
              test_another_namespace_is_fenced_off])
    finally:
        delete_namespace(NS)
        if OTHER:
            delete_namespace(OTHER)
