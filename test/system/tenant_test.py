#!/usr/bin/env python3
"""A hostile tenant: a user who may only create BitcoinNetworks in a namespace names another
network's Secret and an image of their choice. The controller refuses (the condition says why),
runs nothing with that image, and the password goes nowhere: no pod, no rpcauth Secret, and the
gateway does not take it for the tenant's network. With an image allow-list installed, the API
server itself refuses the tenant's image."""
from kbtest import *

NS = None


def as_tenant(config, *args, input=None):
    return run(["kubectl", "--kubeconfig", config, *args], check=False, input=input)


def tenant_network(name, spec):
    return json.dumps({"apiVersion": GROUP + "/v1", "kind": "BitcoinNetwork", "metadata": {"name": name},
                       "spec": spec})


def test_tenant_cannot_borrow_another_networks_secret():
    apply_network(NS, "victim", {"nodes": 1})
    wait_until("victim Ready", lambda: network_ready(NS, "victim", 1), timeout=240)
    kubectl("-n", NS, "create", "serviceaccount", "tenant")
    kubectl("-n", NS, "create", "role", "create-networks", "--verb=create", "--resource=bitcoinnetworks." + GROUP)
    kubectl("-n", NS, "create", "rolebinding", "tenant-creates", "--role=create-networks",
            "--serviceaccount=%s:tenant" % NS)
    config = kubeconfig_for("tenant", NS)
    try:
        code, _, err = as_tenant(config, "get", "secret", "victim-rpc")
        assert code != 0 and "forbidden" in err.lower(), "the tenant can read the victim's Secret: %s" % err
        code, out, err = as_tenant(config, "create", "-f", "-",
                                   input=tenant_network("thief", {"nodes": 1, "secret": "victim-rpc", "image": "busybox:1.35"}))
        assert code == 0, "the tenant may create networks: %s" % err
        wait_until("thief Degraded SecretNotAllowed naming the Secret",
                   lambda: degraded_reason(NS, "thief")[0] == "SecretNotAllowed"
                   and "victim-rpc" in degraded_reason(NS, "thief")[1], timeout=60)
        log("refused: " + degraded_reason(NS, "thief")[1])
        time.sleep(5)  # a few more reconciles: still nothing
        for kind, name in (("statefulset", "thief-sts"), ("secret", "thief-rpcauth"), ("service", "thief-svc")):
            code, _, _ = run(["kubectl", "-n", NS, "get", kind, name], check=False)
            assert code != 0, "%s %s exists for a refused network" % (kind, name)
        pods = kubectl_json("-n", NS, "get", "pods", "-l", GROUP + "/network=thief")["items"]
        assert not pods, "pods run for the refused network: %s" % [p["metadata"]["name"] for p in pods]
        # The gateway does not accept the victim's credentials for the tenant's network either.
        code, _, err = plugin("rpc", "thief", "getblockcount", "-n", NS, check=False)
        assert code != 0, "the gateway served the refused network"
        log("gateway: " + err.strip().splitlines()[-1][:200])
    finally:
        os.unlink(config)


def test_image_allow_list_refuses_the_tenants_image_up_front():
    plugin("install", "--set-json", 'networks.allowedImages=["bitcoin/bitcoin","docker.io/bitcoin/bitcoin"]',
           "--wait", "--timeout", "4m")
    config = kubeconfig_for("tenant", NS)
    try:
        # Server-side dry runs: admission runs, nothing is stored (the policy takes a moment to
        # become active after install).
        def refused():
            code, _, err = as_tenant(config, "create", "--dry-run=server", "-f", "-",
                                     input=tenant_network("own-image", {"nodes": 1, "image": "busybox:1.35"}))
            return code != 0 and "ValidatingAdmissionPolicy" in err and "bitcoin/bitcoin" in err and err
        err = wait_until("the API server refuses an image outside the allow-list", refused, timeout=60)
        log("refused up front: " + err.strip()[:200])
        code, _, err = as_tenant(config, "create", "--dry-run=server", "-f", "-",
                                 input=tenant_network("allowed-image", {"nodes": 1, "image": "bitcoin/bitcoin:29.3"}))
        assert code == 0, "an allowed image was refused: %s" % err
    finally:
        os.unlink(config)
        plugin("install", "--wait", "--timeout", "4m")


if __name__ == "__main__":
    NS = fresh_namespace("kbt-tenant")
    try:
        main([test_tenant_cannot_borrow_another_networks_secret, test_image_allow_list_refuses_the_tenants_image_up_front])
    finally:
        delete_namespace(NS)
