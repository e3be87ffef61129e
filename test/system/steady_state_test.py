#!/usr/bin/env python3
"""A steady network costs the API server no writes: the controller's own counter of write
requests (kubectl_bitcoin_controller_api_writes_total, scraped from the controller pod's
/metrics) and the objects' resourceVersions stay the same for KB_STEADY_SECONDS (default 300)."""
from kbtest import *

NS = None


def controller_metrics():
    pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")["items"]
    total = 0.0
    for pod in pods:
        total += sum(metric_values(pod_metrics(CONTROLLER_NS, pod["metadata"]["name"]),
                                   "kubectl_bitcoin_controller_api_writes_total"))
    return total


def resource_versions():
    out = {}
    for kind in ("btcnet", "statefulsets", "services", "secrets", "networkpolicies"):
        for item in kubectl_json("-n", NS, "get", kind)["items"]:
            out[kind + "/" + item["metadata"]["name"]] = item["metadata"]["resourceVersion"]
    return out


def other_networks_settled():
    """The controller's write counter is global: networks of earlier tests whose namespaces are
    still being deleted are reconciled (and written) until they are gone. At rest means all of
    them are gone; networks elsewhere that are not being deleted are listed in the log."""
    terminating = {n["metadata"]["name"] for n in kubectl_json("get", "namespaces")["items"]
                   if n.get("status", {}).get("phase") == "Terminating"}
    networks = kubectl_json("get", "bitcoinnetworks." + GROUP, "-A")["items"]
    dying = [n["metadata"]["namespace"] + "/" + n["metadata"]["name"] for n in networks
             if n["metadata"]["namespace"] in terminating or n["metadata"].get("deletionTimestamp")]
    return not dying


def test_zero_writes_at_steady_state():
    wait_until("networks of earlier tests deleted", other_networks_settled, timeout=300, interval=2)
    others = [n["metadata"]["namespace"] + "/" + n["metadata"]["name"]
              for n in kubectl_json("get", "bitcoinnetworks." + GROUP, "-A")["items"]]
    if others:
        log("other networks in the cluster (their writes count too): %s" % others)
    apply_network(NS, "calm", {"nodes": 3})
    wait_until("network Ready", lambda: network_ready(NS, "calm", 3), timeout=240)
    time.sleep(10)  # let the last status write and the informers settle
    seconds = int(os.environ.get("KB_STEADY_SECONDS", "300"))
    writes_before, versions_before = controller_metrics(), resource_versions()
    log("measuring for %ds; controller writes so far: %d" % (seconds, writes_before))
    time.sleep(seconds)
    writes_after, versions_after = controller_metrics(), resource_versions()
    log("controller writes during the window: %d" % (writes_after - writes_before))
    changed = {k: (v, versions_after.get(k)) for k, v in versions_before.items() if versions_after.get(k) != v}
    assert not changed, "objects changed at steady state: %s" % changed
    assert writes_after == writes_before, "the controller wrote %d times at steady state" % (writes_after - writes_before)


if __name__ == "__main__":
    NS = fresh_namespace("kbt-calm")
    try:
        main([test_zero_writes_at_steady_state])
    finally:
        delete_namespace(NS)
