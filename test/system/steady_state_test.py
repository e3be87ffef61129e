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
    # A status write is right when what the controller observes changed (a readiness probe that
    # timed out on a loaded machine, a peer that reconnected): such a window is reported and
    # measured once more. A controller that writes without a change fails both windows.
    for attempt in (1, 2):
        changes = measure_window(seconds)
        if not changes:
            return
        log("window %d: %s" % (attempt, changes))
    raise AssertionError("the controller wrote at steady state in two windows in a row: %s" % changes)


def measure_window(seconds):
    """Returns None when the controller made no write and no object changed, else what changed."""
    writes_before, versions_before = controller_metrics(), resource_versions()
    status_before = get_network(NS, "calm")["status"]
    log("measuring for %ds; controller writes so far: %d" % (seconds, writes_before))
    time.sleep(seconds)
    writes_after, versions_after = controller_metrics(), resource_versions()
    log("controller writes during the window: %d" % (writes_after - writes_before))
    changed = {k: (v, versions_after.get(k)) for k, v in versions_before.items() if versions_after.get(k) != v}
    if not changed and writes_after == writes_before:
        return None
    status_after = get_network(NS, "calm")["status"]
    diff = {k: (status_before.get(k), status_after.get(k)) for k in set(status_before) | set(status_after)
            if status_before.get(k) != status_after.get(k)}
    events = kubectl("-n", NS, "get", "events", "--sort-by=.lastTimestamp")
    log("events:\n" + events[-2000:])
    # Writes or changed objects while the status stayed the same: writes without a cause, fail now.
    assert diff, "the controller wrote %d times (changed: %s) but the status did not change" % (
        writes_after - writes_before, changed)
    return {"writes": writes_after - writes_before, "objects": changed, "status": json.dumps(diff)[:1500]}

if __name__ == "__main__":
    NS = fresh_namespace("kbt-calm")
    try:
        main([test_zero_writes_at_steady_state])
    finally:
        delete_namespace(NS)
