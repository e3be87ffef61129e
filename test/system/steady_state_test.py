#!/usr/bin/env python3
"""A steady network costs the API server no writes: for KB_STEADY_SECONDS (default 300) the API
server's audit log records no write by the controller to the network's namespace, and the
network's objects keep their resourceVersions. Counted per namespace, so other networks on the
cluster (a user's demo mining every 10 s, earlier tests' networks being deleted) change nothing."""
from kbtest import *

NS = None


def resource_versions():
    out = {}
    for kind in ("btcnet", "statefulsets", "services", "secrets", "networkpolicies"):
        for item in kubectl_json("-n", NS, "get", kind)["items"]:
            out[kind + "/" + item["metadata"]["name"]] = item["metadata"]["resourceVersion"]
    return out


def test_zero_writes_at_steady_state():
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
    """Returns None when the controller made no write to the namespace and no object changed,
    else what was written and what changed."""
    started, versions_before = time.time(), resource_versions()
    status_before = get_network(NS, "calm")["status"]
    log("measuring for %ds" % seconds)
    time.sleep(seconds)
    writes = audit_writes(started, namespace=NS, user_prefix=CONTROLLER_USER_PREFIX)
    versions_after = resource_versions()
    log("controller writes to %s during the window (API server audit log): %d" % (NS, len(writes)))
    changed = {k: (v, versions_after.get(k)) for k, v in versions_before.items() if versions_after.get(k) != v}
    if not changed and not writes:
        return None
    status_after = get_network(NS, "calm")["status"]
    diff = {k: (status_before.get(k), status_after.get(k)) for k in set(status_before) | set(status_after)
            if status_before.get(k) != status_after.get(k)}
    events = kubectl("-n", NS, "get", "events", "--sort-by=.lastTimestamp")
    log("events:\n" + events[-2000:])
    written = [describe_write(w) for w in writes]
    # Writes or changed objects while the status stayed the same: writes without a cause, fail now.
    assert diff, "the controller wrote %s (changed: %s) but the status did not change" % (written, changed)
    return {"writes": written, "objects": changed, "status": json.dumps(diff)[:1500]}


if __name__ == "__main__":
    NS = fresh_namespace("kbt-calm")
    try:
        main([test_zero_writes_at_steady_state])
    finally:
        delete_namespace(NS)
