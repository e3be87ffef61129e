#!/usr/bin/env python3
"""A network's whole life against the real controller pod and real bitcoind processes:
3 nodes Ready and fully connected, scale 3→5 (spec.nodes) and 5→2 (kubectl scale), a deleted
pod replaced and reconnected with its old address removed everywhere, deletion leaving nothing."""
from kbtest import *

NS = None
NAME = "life"


def peers_are(ips, creds, expected_count):
    """Every node is connected to exactly all the others."""
    for ip in ips:
        want = sorted(set(ips) - {ip})
        if peer_ips(ip, creds) != want:
            return False
    return len(ips) == expected_count


def test_three_nodes_become_ready_and_connected():
    apply_network(NS, NAME, {"nodes": 3})
    wait_until("3 nodes Ready in status", lambda: network_ready(NS, NAME, 3), timeout=240)
    ips = ready_ips(NS, NAME, 3)
    creds = credentials(NS, NAME)
    wait_until("every node's getpeerinfo shows the other two", lambda: peers_are(ips, creds, 3), timeout=120)
    status = get_network(NS, NAME)["status"]
    assert [n["ip"] for n in status["nodes"]] == ips, status["nodes"]
    assert all(n["ready"] and "blocks" in n for n in status["nodes"]), status["nodes"]
    assert status["nodes"][1]["dnsName"] == "life-sts-1.life-svc"


def test_scale_up_through_spec_nodes():
    kubectl("-n", NS, "patch", "btcnet", NAME, "--type=merge", "-p", '{"spec":{"nodes":5}}')
    wait_until("5 nodes Ready", lambda: network_ready(NS, NAME, 5), timeout=240)
    ips = ready_ips(NS, NAME, 5)
    creds = credentials(NS, NAME)
    wait_until("5 nodes fully meshed", lambda: peers_are(ips, creds, 5), timeout=120)


def test_scale_down_through_kubectl_scale():
    before = ready_ips(NS, NAME, 5)
    kubectl("-n", NS, "scale", "btcnet/" + NAME, "--replicas=2")
    wait_until("2 nodes Ready", lambda: network_ready(NS, NAME, 2) and ready_ips(NS, NAME, 2), timeout=240)
    ips = ready_ips(NS, NAME, 2)
    creds = credentials(NS, NAME)
    gone = set(before) - set(ips)
    wait_until("survivors connected only to each other", lambda: peers_are(ips, creds, 2), timeout=120)
    wait_until("stale peers removed from every added-node list",
               lambda: all(not (set(added_ips(ip, creds)) & gone) for ip in ips), timeout=60)


def test_deleted_pod_is_replaced_and_reconnected():
    ips = ready_ips(NS, NAME, 2)
    creds = credentials(NS, NAME)
    old_ip = ips[1]
    kubectl("-n", NS, "delete", "pod", NAME + "-sts-1", "--wait=true")
    new_ips = wait_until("pod 1 back with a new IP",
                         lambda: (lambda got: got if got and got[1] != old_ip else None)(ready_ips(NS, NAME, 2)),
                         timeout=240)
    wait_until("replacement reconnected", lambda: peers_are(new_ips, creds, 2), timeout=120)
    wait_until("old IP gone from every getaddednodeinfo",
               lambda: all(old_ip not in added_ips(ip, creds) for ip in new_ips), timeout=60)
    wait_until("status shows the new IP", lambda: get_network(NS, NAME)["status"]["nodes"][1].get("ip") == new_ips[1])


def test_delete_leaves_nothing_behind():
    kubectl("-n", NS, "delete", "btcnet", NAME, "--wait=true")

    def nothing_left():
        for kind in ("statefulsets", "services", "secrets", "networkpolicies", "pods"):
            items = kubectl_json("-n", NS, "get", kind, "-l", GROUP + "/network=" + NAME)["items"]
            if items:
                return False
        return True
    wait_until("no StatefulSet, Service, Secret, NetworkPolicy or pod left", nothing_left, timeout=180)


if __name__ == "__main__":
    NS = fresh_namespace("kbt-life")
    try:
        main([test_three_nodes_become_ready_and_connected, test_scale_up_through_spec_nodes,
              test_scale_down_through_kubectl_scale, test_deleted_pod_is_replaced_and_reconnected,
              test_delete_leaves_nothing_behind])
    finally:
        delete_namespace(NS)
