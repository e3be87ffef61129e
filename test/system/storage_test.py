#!/usr/bin/env python3
"""`spec.storage.size` gives each node a PersistentVolumeClaim that the cluster's provisioner
binds, and a node pod deleted and recreated keeps its chain: same height, same best block hash."""
from kbtest import *

NS = None
NAME = "kept"


def test_claims_are_bound():
    apply_network(NS, NAME, {"nodes": 2, "storage": {"size": "64Mi"}})
    wait_until("2 nodes Ready", lambda: network_ready(NS, NAME, 2), timeout=300)
    claims = kubectl_json("-n", NS, "get", "pvc")["items"]
    assert len(claims) == 2, [c["metadata"]["name"] for c in claims]
    assert all(c["status"]["phase"] == "Bound" for c in claims), [c["status"] for c in claims]
    for claim in claims:
        pv = kubectl_json("get", "pv", claim["spec"]["volumeName"])
        assert pv["spec"]["storageClassName"] == "standard", pv["spec"]


def test_a_recreated_node_keeps_its_chain():
    # One node alone: it has no peer to download the chain from again, so after the restart the
    # chain can only come from its volume.
    apply_network(NS, "solo", {"nodes": 1, "storage": {"size": "64Mi"}})
    wait_until("solo Ready", lambda: network_ready(NS, "solo", 1), timeout=300)
    plugin("mine", "solo", "7", "-n", NS)
    creds = credentials(NS, "solo")
    ip = ready_ips(NS, "solo", 1)[0]
    wait_until("height 7", lambda: rpc(ip, creds, "getblockcount") == 7, timeout=60)
    best = rpc(ip, creds, "getbestblockhash")
    uid = kubectl_json("-n", NS, "get", "pod", "solo-sts-0")["metadata"]["uid"]
    kubectl("-n", NS, "delete", "pod", "solo-sts-0", "--wait=true")
    wait_until("solo-sts-0 recreated and Ready",
               lambda: kubectl_json("-n", NS, "get", "pod", "solo-sts-0")["metadata"]["uid"] != uid
               and ready_ips(NS, "solo", 1), timeout=240)
    ip = ready_ips(NS, "solo", 1)[0]
    assert rpc(ip, creds, "getblockcount") == 7
    assert rpc(ip, creds, "getbestblockhash") == best
    log("the recreated node kept its chain: height 7, best block %s" % best)


if __name__ == "__main__":
    NS = fresh_namespace("storage")
    try:
        main([test_claims_are_bound, test_a_recreated_node_keeps_its_chain])
    finally:
        delete_namespace(NS)
