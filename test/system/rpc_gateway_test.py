#!/usr/bin/env python3
"""`kubectl bitcoin rpc` and `mine` from the host through the API server's services/proxy and the
controller's RPC gateway, as an admin and as a user whose RBAC allows less."""

from kbtest import *

NS = None


def test_rpc_through_the_cluster():
    apply_network(NS, "r", {"nodes": 2})
    wait_until("network Ready", lambda: network_ready(NS, "r", 2), timeout=240)
    _, out, _ = plugin("rpc", "r", "getblockchaininfo", "--node", "1", "-n", NS)
    info = json.loads(out)
    assert info["chain"] == "regtest", info
    # The same answer the node gives directly.
    ip = ready_ips(NS, "r", 2)[1]
    assert info["bestblockhash"] == rpc(ip, credentials(NS, "r"), "getbestblockhash")
    _, out, _ = plugin("rpc", "r", "getblockhash", "0", "-n", NS)
    assert len(out.strip()) == 64, out
    _, out, _ = plugin("rpc", "r", "getblockcount", "-n", NS, "-o", "json")
    assert out.strip().isdigit(), out


def test_mine_moves_both_tips():
    ips = ready_ips(NS, "r", 2)
    creds = credentials(NS, "r")
    before = rpc(ips[0], creds, "getblockcount")
    _, out, _ = plugin("mine", "r", "5", "--node", "1", "-n", NS)
    assert "mined 5 block(s)" in out, out
    wait_until("both nodes at height %d" % (before + 5),
               lambda: all(rpc(ip, creds, "getblockcount") == before + 5 for ip in ips), timeout=60)


def test_errors_say_what_exists_and_what_is_wrong():
    code, _, err = plugin("rpc", "r", "getblockcount", "--node", "7", "-n", NS, check=False)
    assert code == 1 and "0 to 1" in err, (code, err)
    code, _, err = plugin("rpc", "nope", "getblockcount", "-n", NS, check=False)
    assert code == 1 and "not found" in err and "r" in err, (code, err)
    code, _, err = plugin("rpc", "r", "getblock", '{"a":', "-n", NS, check=False)
    assert code == 2 and '{"a":' in err, (code, err)
    code, _, err = plugin("rpc", "r", "stop", "-n", NS, check=False)
    assert code == 1 and "stop" in err and "not allow" in err, (code, err)
    # A method the gateway does not know is refused by its allow-list, naming how to allow it.
    code, _, err = plugin("rpc", "r", "nosuchmethod", "-n", NS, check=False)
    assert code == 1 and "allow-list" in err and "gateway.methods.allow" in err, (code, err)
    # An allowed method the node lacks (the bundled node has no getindexinfo; Bitcoin Core has)
    # comes back as the node's own error.
    code, _, err = plugin("rpc", "r", "getindexinfo", "-n", NS, check=False)
    assert code == 0 or (code == 1 and "-32601" in err), (code, err)
    # The node is still up after the denied stop.
    assert rpc(ready_ips(NS, "r", 2)[0], credentials(NS, "r"), "getblockcount") >= 0


def test_rbac_decides_who_may_use_the_gateway():
    kubectl("-n", NS, "create", "serviceaccount", "alice")
    kubectl("-n", NS, "create", "role", "network-reader", "--verb=get,list", "--resource=bitcoinnetworks." + GROUP)
    kubectl("-n", NS, "create", "role", "rpc-secret", "--verb=get", "--resource=secrets", "--resource-name=r-rpc")
    for role in ("network-reader", "rpc-secret"):
        kubectl("-n", NS, "create", "rolebinding", role, "--role=" + role, "--serviceaccount=%s:alice" % NS)
    config = kubeconfig_for("alice", NS)
    code, _, err = plugin("--kubeconfig", config, "rpc", "r", "getblockcount", check=False)
    assert code == 1 and "services/proxy" in err, (code, err)
    log("refused as expected: " + err.strip().splitlines()[-1][:200])
    # Allowed to use exactly the gateway's service port: then it works.
    kubectl("-n", CONTROLLER_NS, "create", "role", "rpc-gateway-user-" + NS, "--verb=create",
            "--resource=services/proxy", "--resource-name=bitcoin-controller:rpc-gateway")
    kubectl("-n", CONTROLLER_NS, "create", "rolebinding", "rpc-gateway-user-" + NS,
            "--role=rpc-gateway-user-" + NS, "--serviceaccount=%s:alice" % NS)
    try:
        _, out, _ = wait_until("alice may call RPC once RBAC allows it", lambda: plugin(
            "--kubeconfig", config, "rpc", "r", "getblockcount"), timeout=30)
        assert out.strip().isdigit(), out
        # Without the Secret she cannot use another network of the namespace.
        apply_network(NS, "other", {"nodes": 1})
        code, _, err = plugin("--kubeconfig", config, "rpc", "other", "getblockcount", check=False)
        assert code == 1 and "Secret" in err, (code, err)
    finally:
        kubectl("-n", CONTROLLER_NS, "delete", "rolebinding,role", "rpc-gateway-user-" + NS, check=False)
        os.unlink(config)


if __name__ == "__main__":
    NS = fresh_namespace("kbt-rpc")
    try:
        main([test_rpc_through_the_cluster, test_mine_moves_both_tips, test_errors_say_what_exists_and_what_is_wrong,
              test_rbac_decides_who_may_use_the_gateway])
    finally:
        delete_namespace(NS)
