#!/usr/bin/env python3
"""Wallet RPC through the gateway: `kubectl bitcoin rpc NET METHOD --wallet NAME` reaches the
node's /wallet/NAME endpoint. createwallet where the node has it (Bitcoin Core), else the node's
default wallet (the local cluster's bundled node has one legacy wallet, wallet.dat, and no
createwallet); then getnewaddress, mining 101 blocks to it, getbalance, sendtoaddress, and the
transaction in the mempool."""
from kbtest import *

NS = None


def rpc_cli(*args):
    code, out, err = plugin("rpc", "w", *args, "-n", NS, check=False)
    return code, out.strip(), err.strip()


def test_wallet_calls_through_the_gateway():
    apply_network(NS, "w", {"nodes": 1})
    wait_until("w Ready", lambda: network_ready(NS, "w", 1), timeout=240)
    code, out, err = rpc_cli("createwallet", "alice")
    if code == 0:
        wallet = "alice"
    else:
        assert "-32601" in err, "createwallet failed for another reason than a missing method: %s" % err
        code, out, err = rpc_cli("listwallets")
        assert code == 0, err
        wallet = json.loads(out)[0]
        log("the node has no createwallet; using its wallet %r" % wallet)
    code, address, err = rpc_cli("getnewaddress", "--wallet", wallet)
    assert code == 0 and address, err
    code, out, err = rpc_cli("generatetoaddress", "101", address)
    assert code == 0 and len(json.loads(out)) == 101, err
    code, balance, err = rpc_cli("getbalance", "--wallet", wallet)
    assert code == 0 and float(balance) > 0, (balance, err)
    code, other, err = rpc_cli("getnewaddress", "--wallet", wallet)
    code, txid, err = rpc_cli("sendtoaddress", other, "1.5", "--wallet", wallet)
    assert code == 0 and len(txid) == 64, err
    code, out, err = rpc_cli("getrawmempool")
    assert txid in json.loads(out), out
    code, _, err = rpc_cli("getbalance", "--wallet", "no/such")
    assert code != 0 and "wallet" in err.lower(), err
    log("wallet %r: balance %s, sent 1.5 in %s" % (wallet, balance, txid))


if __name__ == "__main__":
    NS = fresh_namespace("kbt-wallet")
    try:
        main([test_wallet_calls_through_the_gateway])
    finally:
        delete_namespace(NS)
