#!/usr/bin/env python3
"""`kubectl bitcoin mine NET --node K --measure` on real networks: a delay for every node, hop
counts that match the topology, and the block it reports really is every node's tip afterwards
(checked with bitcoin-cli in the pods, not through the command under test). A node the block
cannot reach (a custom topology that leaves it out) is reported as not reached after --timeout.
The delays are printed as FIGURE lines: they come from a machine shared with other work, so they
are upper bounds of what the network does, and their ± is the measurement's own window."""
from kbtest import *

NS = None


def measure(name, node, *extra):
    code, out, err = plugin("mine", name, "-n", NS, "--node", str(node), "--measure", "-o", "json", *extra,
                            timeout=120)
    report = json.loads(out)
    log("measured from node %d: %s" % (node, json.dumps(
        [(n["node"], n["hops"], n.get("delayMicros"), n.get("latestMicros")) for n in report["nodes"]])))
    return report


def tips(name, count):
    creds = credentials(NS, name)
    return [rpc(ip, creds, "getbestblockhash") for ip in ready_ips(NS, name, count)]


def connected_as(name, peers_per_node):
    """Whether node i is connected to exactly peers_per_node[i] other nodes of the network."""
    ips = ready_ips(NS, name, len(peers_per_node))
    if not ips:
        return False
    creds = credentials(NS, name)
    return [len(set(peer_ips(ip, creds)) & set(ips)) for ip in ips] == peers_per_node


def leave_initial_block_download(name, miner, nodes, count=4):
    """One block mined on `miner` and seen by `nodes`. A fresh network's nodes are in initial block
    download (their tip, the genesis block, is years old), and then bitcoind fetches blocks only
    from peers it dialled itself when it has any: a block can stall at a node that the miner
    dialled. After one block every node's tip is recent and any peer will do."""
    plugin("mine", name, "-n", NS, "--node", str(miner))
    creds = credentials(NS, name)
    ips = ready_ips(NS, name, count)
    wait_until("%s: nodes %s have the first block" % (name, nodes),
               lambda: all(rpc(ips[i], creds, "getblockcount") >= 1 for i in nodes), timeout=60)


def test_ring_of_four():
    apply_network(NS, "ring", {"nodes": 4, "topology": "ring"})
    wait_until("ring: 4 nodes Ready", lambda: network_ready(NS, "ring", 4), timeout=300)
    wait_until("ring: every node has its two ring peers", lambda: connected_as("ring", [2, 2, 2, 2]), timeout=120)
    leave_initial_block_download("ring", 1, [0, 1, 2, 3])
    for miner, hops in ((0, [0, 1, 2, 1]), (1, [1, 0, 1, 2])):
        report = measure("ring", miner)
        assert report["miner"] == miner and report["method"]["poll"] == "getbestblockhash"
        assert [n["hops"] for n in report["nodes"]] == hops, report["nodes"]
        for n in report["nodes"]:
            assert n["reached"], n
            assert 0 <= n["earliestMicros"] <= n["delayMicros"] <= n["latestMicros"], n
            assert n["latestMicros"] < 30_000_000, n
        assert report["nodes"][miner]["latestMicros"] == 0
        wait_until("every node's tip is the measured block", lambda: set(tips("ring", 4)) == {report["block"]["hash"]},
                   timeout=30)
        for n in report["nodes"]:
            if n["node"] != miner:
                figure("propagation.ring4.from%d.node%d" % (miner, n["node"]), "%.1f" % (n["delayMicros"] / 1000), "ms",
                       "± %.1f ms, %d hop(s), median round trip %.1f ms" % (
                           (n["latestMicros"] - n["earliestMicros"]) / 2000, n["hops"],
                           report["method"]["medianRoundTripMicros"] / 1000))
    # The table form says how it measured.
    _, out, _ = plugin("mine", "ring", "-n", NS, "--measure")
    assert "polling getbestblockhash" in out and "NODE" in out and "HOPS" in out, out
    assert len([l for l in out.splitlines() if l.split() and l.split()[0] in "0123"]) == 4, out


def test_unreachable_node_is_reported_after_the_timeout():
    # Node 3 has no edge: nobody relays the block to it.
    apply_network(NS, "gap", {"nodes": 4, "topology": "custom",
                              "customEdges": [{"from": 0, "to": 1}, {"from": 1, "to": 2}]})
    wait_until("gap: 4 nodes Ready", lambda: network_ready(NS, "gap", 4), timeout=300)
    wait_until("gap: 0-1 and 1-2 connected, 3 alone", lambda: connected_as("gap", [1, 2, 1, 0]), timeout=120)
    leave_initial_block_download("gap", 1, [0, 1, 2])  # node 1: a neighbour of every connected node
    report = measure("gap", 0, "--timeout", "5s")
    by_node = {n["node"]: n for n in report["nodes"]}
    assert [by_node[i]["hops"] for i in range(4)] == [0, 1, 2, None], report["nodes"]
    assert by_node[1]["reached"] and by_node[2]["reached"], report["nodes"]
    assert not by_node[3]["reached"] and "delayMicros" not in by_node[3], by_node[3]
    _, out, _ = plugin("mine", "gap", "-n", NS, "--measure", "--timeout", "3s")
    assert "not reached within 3.0 s" in out, out


def test_usage_errors():
    code, _, err = plugin("mine", "ring", "-n", NS, "5", "--measure", check=False)
    assert code == 2 and "--measure mines exactly one block" in err, err
    code, _, err = plugin("mine", "ring", "-n", NS, "--measure", "--timeout", "soon", check=False)
    assert code == 2 and "--timeout" in err, err
    code, _, err = plugin("mine", "ring", "-n", NS, "-o", "json", check=False)
    assert code == 2 and "--measure" in err, err


if __name__ == "__main__":
    NS = fresh_namespace("dashboard-measure")
    try:
        main([test_usage_errors, test_ring_of_four, test_unreachable_node_is_reported_after_the_timeout])
    finally:
        delete_namespace(NS)
