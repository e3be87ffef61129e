#!/usr/bin/env python3
"""Topologies produce exactly their edges; mining keeps every node at the same height."""
from kbtest import *

NS = None


def check_edges(name, nodes, spec, expected):
    apply_network(NS, name, dict(spec, nodes=nodes))
    wait_until("%s: %d nodes Ready" % (name, nodes), lambda: network_ready(NS, name, nodes), timeout=240)
    ips = ready_ips(NS, name, nodes)
    creds = credentials(NS, name)
    wait_until("%s: edges are exactly %s" % (name, sorted(expected)),
               lambda: edges_of(ips, creds) == expected, timeout=120)
    kubectl("-n", NS, "delete", "btcnet", name, "--wait=false")


def test_ring():
    check_edges("ring", 4, {"topology": "ring"}, {(0, 1), (1, 2), (2, 3), (0, 3)})


def test_custom():
    check_edges("custom", 4, {"topology": "custom", "customEdges": [{"from": 0, "to": 2}, {"from": 3, "to": 1}]},
                {(0, 2), (1, 3)})


def connected(nodes, edges):
    reached, frontier = {0}, [0]
    while frontier:
        node = frontier.pop()
        for a, b in edges:
            for x, y in ((a, b), (b, a)):
                if x == node and y not in reached:
                    reached.add(y)
                    frontier.append(y)
    return len(reached) == nodes


def test_random_is_connected_bounded_and_stable_when_scaled():
    """What the nodes' getpeerinfo shows: a connected graph, no node above the degree, and scaling
    up by one node keeps every existing connection and only adds the new node's."""
    spec = {"topology": "random", "degree": 2, "seed": 11}
    apply_network(NS, "rnd", dict(spec, nodes=5))
    wait_until("rnd: 5 nodes Ready", lambda: network_ready(NS, "rnd", 5), timeout=240)
    creds = credentials(NS, "rnd")

    def settled(count):
        ips = ready_ips(NS, "rnd", count)
        edges = edges_of(ips, creds)
        degrees = [sum(1 for e in edges if i in e) for i in range(count)]
        return edges if connected(count, edges) and max(degrees) <= 2 else None
    before = wait_until("rnd: connected with at most 2 peers per node", lambda: settled(5), timeout=120)

    def status_shows_the_degrees():
        """status.nodes[] gives each ready node (at its current IP) its number of peers, which
        `hack/bench.sh bignet` and `status` read: here, its degree in the graph the nodes show."""
        ips = ready_ips(NS, "rnd", 5)
        got = {n["ordinal"]: n.get("peers") for n in get_network(NS, "rnd").get("status", {}).get("nodes", [])
               if ips and n.get("ready") and n.get("ip") == ips[n["ordinal"]]}
        return got == {i: sum(1 for e in before if i in e) for i in range(5)}
    # Within a resync (30 s) of the connections: the status is rewritten on the next pass.
    wait_until("rnd: the status shows each node's peers", status_shows_the_degrees, timeout=60)
    apply_network(NS, "rnd", dict(spec, nodes=6))
    wait_until("rnd: 6 nodes Ready", lambda: network_ready(NS, "rnd", 6), timeout=240)
    after = wait_until("rnd: 6 nodes connected, at most 2 peers each, old edges kept",
                       lambda: (lambda e: e if e and before <= e else None)(settled(6)), timeout=120)
    assert all(5 in e for e in after - before), (before, after)
    log("random topology edges: 5 nodes %s, 6 nodes %s" % (sorted(before), sorted(after)))
    kubectl("-n", NS, "delete", "btcnet", "rnd", "--wait=false")


def test_mining_keeps_nodes_at_the_same_height():
    apply_network(NS, "mine", {"nodes": 3, "mining": {"enabled": True, "intervalSeconds": 2}})
    wait_until("mining network Ready", lambda: network_ready(NS, "mine", 3), timeout=240)
    ips = ready_ips(NS, "mine", 3)
    creds = credentials(NS, "mine")

    def same_height_above(minimum):
        heights = {rpc(ip, creds, "getblockcount") for ip in ips}
        return len(heights) == 1 and heights.pop() >= minimum
    wait_until("all nodes at the same height >= 3", lambda: same_height_above(3), timeout=120)
    wait_until("status.blockHeight follows",
               lambda: get_network(NS, "mine")["status"].get("blockHeight", 0) >= 3, timeout=60)
    status = get_network(NS, "mine")["status"]
    assert all(n.get("blocks", 0) >= 3 for n in status["nodes"]), status["nodes"]


if __name__ == "__main__":
    NS = fresh_namespace("kbt-topo")
    try:
        main([test_ring, test_custom, test_random_is_connected_bounded_and_stable_when_scaled,
              test_mining_keeps_nodes_at_the_same_height])
    finally:
        delete_namespace(NS)
