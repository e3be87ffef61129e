#!/usr/bin/env python3
"""install / upgrade / uninstall of the embedded chart, against the real API server, and Helm's
own view of what was installed (the release record is Helm's format)."""
from kbtest import *


def object_versions():
    out = {}
    for kind in ("deployments", "services", "serviceaccounts", "roles", "rolebindings", "secrets"):
        for item in kubectl_json("-n", CONTROLLER_NS, "get", kind)["items"]:
            out[kind + "/" + item["metadata"]["name"]] = item["metadata"]["resourceVersion"]
    for kind in ("clusterroles", "clusterrolebindings"):
        out[kind] = kubectl_json("get", kind, "bitcoin-controller")["metadata"]["resourceVersion"]
    out["crd"] = kubectl_json("get", "crd", "bitcoinnetworks." + GROUP)["metadata"]["resourceVersion"]
    return out


def test_second_install_changes_nothing():
    before = object_versions()
    code, out, err = plugin("install")
    assert "no changes" in (out + err).lower(), out + err
    assert object_versions() == before, "a second install wrote to the cluster"


def test_helm_recognises_the_release():
    code, out, err = run(["helm", "list", "-n", CONTROLLER_NS, "-o", "json"])
    releases = json.loads(out)
    assert [r["name"] for r in releases] == ["bitcoin-controller"], releases
    assert releases[0]["status"] == "deployed"
    assert releases[0]["chart"].startswith("bitcoin-controller-")


def test_two_replicas_one_leader():
    plugin("install", "--set", "replicaCount=2", "--wait", "--timeout", "4m")

    def leaders():
        pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")
        ready = [p for p in pods["items"] if pod_ready(p) and not p["metadata"].get("deletionTimestamp")]
        if len(ready) != 2:
            return None
        flags = []
        for pod in ready:
            flags += metric_values(pod_metrics(CONTROLLER_NS, pod["metadata"]["name"]), "kubectl_bitcoin_leader")
        return sorted(flags) == [0.0, 1.0]
    wait_until("two Ready replicas, exactly one leading", leaders, timeout=120)
    lease = kubectl_json("-n", CONTROLLER_NS, "get", "lease", "bitcoin-controller")
    assert lease["spec"]["holderIdentity"].startswith("bitcoin-controller-")
    plugin("install", "--set", "replicaCount=1", "--wait", "--timeout", "4m")


def users_networks():
    """The networks hack/test.sh found on a cluster that was running before it started
    (KB_USERS_NETWORKS, "namespace/name" separated by spaces) and that still exist: removing the
    CRD would delete them."""
    listed = os.environ.get("KB_USERS_NETWORKS", "").split()
    if not listed:
        return []
    existing = {n["metadata"]["namespace"] + "/" + n["metadata"]["name"]
                for n in kubectl_json("get", "bitcoinnetworks." + GROUP, "-A")["items"]}
    return [n for n in listed if n in existing]


def test_uninstall_keeps_crd_and_networks_then_crds_flag_removes_them():
    if users_networks():
        log("SKIPPED the CRD removal: this cluster was running before hack/test.sh and holds the user's networks "
            "%s, which removing the CRD would delete; hack/test.sh on a cluster it starts itself (as CI does) "
            "runs it" % users_networks())
        return
    ns = fresh_namespace("kbt-uninst")
    try:
        apply_network(ns, "keep", {"nodes": 0})
        plugin("uninstall", "--wait")
        assert kubectl_json("-n", CONTROLLER_NS, "get", "deployments")["items"] == []
        assert kubectl_json("get", "crd", "bitcoinnetworks." + GROUP)
        assert get_network(ns, "keep")["metadata"]["name"] == "keep"
        assert kubectl_json("-n", CONTROLLER_NS, "get", "secrets", "-l", "owner=helm")["items"] == []
        # The CLI notices the missing controller and says what to do.
        _, out, _ = plugin("status", "-n", ns)
        assert "Controller: not installed" in out and "kubectl bitcoin install" in out, out
        code, out, err = plugin("uninstall", "--crds", check=False)
        assert code != 0 and "--yes" in err, (code, err)  # no terminal: must confirm with --yes
        plugin("install", "--wait", "--timeout", "4m")
        plugin("uninstall", "--crds", "--yes", "--wait")
        code, _, _ = run(["kubectl", "get", "crd", "bitcoinnetworks." + GROUP], check=False)
        assert code != 0, "the CRD is still there"
        # Every command that needs the CRD says it is missing and what to run.
        for args in (["status"], ["status", "demo"], ["scale", "demo", "--nodes", "2"], ["delete", "demo"],
                     ["logs", "demo"], ["create", "demo", "--nodes", "1"], ["rpc", "demo", "getblockcount"],
                     ["mine", "demo"]):
            code, _, err = plugin(*args, "-n", ns, check=False)
            assert code == 1 and "BitcoinNetwork CRD is not installed" in err and "kubectl bitcoin install" in err, (
                args, code, err)
    finally:
        delete_namespace(ns)


def test_helm_install_of_the_same_chart():
    if users_networks():
        log("SKIPPED: helm uninstall of a second release removes the shared CRD, and with it the user's networks %s"
            % users_networks())
        return
    ns = "kbt-helm"
    run(["helm", "install", "via-helm", os.path.join(REPO, "chart", "bitcoin-controller"), "-n", ns,
         "--create-namespace", "--wait", "--timeout", "4m"])
    try:
        deployment = kubectl_json("-n", ns, "get", "deployment", "via-helm-bitcoin-controller")
        assert deployment["status"].get("availableReplicas") == 1, deployment["status"]
    finally:
        run(["helm", "uninstall", "via-helm", "-n", ns, "--wait"], check=False)
        run(["kubectl", "delete", "crd", "bitcoinnetworks." + GROUP, "--wait=true"], check=False)
        delete_namespace(ns)


if __name__ == "__main__":
    main([test_second_install_changes_nothing, test_helm_recognises_the_release, test_two_replicas_one_leader,
          test_uninstall_keeps_crd_and_networks_then_crds_flag_removes_them, test_helm_install_of_the_same_chart])
