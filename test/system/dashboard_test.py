#!/usr/bin/env python3
"""`kubectl bitcoin dashboard` on a real network, looked at by a real browser: a 4-node ring on the
local cluster, the dashboard command started as a user starts it, headless Chromium (Debian's
chromium) loads the URL it printed. The page must show the network's name, one element per node
and one per live connection, and those connections must be the ring's edges, which the nodes' own
getpeerinfo (bitcoin-cli in the pods) confirms independently. The local server refuses requests
for another Host (DNS rebinding), without the token, and other methods. A screenshot goes into
the test's log directory.

Then the ring is split {0,1}/{2,3} by spec.partitions, each side mines, and the page must show
the two partition groups, only in-group connections and two fork groups. Two halves of a network that share no edge, each mining, must show as two fork groups
in any case."""
import os
import re
import signal
import subprocess
import sys
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(__file__))
import browser  # noqa: E402
from kbtest import *  # noqa: E402,F401

NETWORK = "dash"
RING = {"0-1", "1-2", "2-3", "0-3"}


def live_edges_from_nodes(ns):
    """The ring's connections as the nodes themselves report them (getpeerinfo via kubectl exec)."""
    ips = ready_ips(ns, NETWORK, 4)
    if not ips:
        return None
    creds = credentials(ns, NETWORK)
    index = {ip: i for i, ip in enumerate(ips)}
    edges = set()
    for i, ip in enumerate(ips):
        for peer in peer_ips(ip, creds):
            if peer in index:
                edges.add("%d-%d" % tuple(sorted((i, index[peer]))))
    return edges


class Dashboard:
    """The command as a user runs it; stopped with SIGTERM (what Ctrl-C's SIGINT does too)."""

    def __init__(self, ns, network=NETWORK):
        self.proc = subprocess.Popen(["kubectl", "bitcoin", "dashboard", network, "-n", ns, "--refresh", "1s"],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
        line = self.proc.stdout.readline()
        match = re.search(r"(http://127\.0\.0\.1:(\d+)/([0-9a-f]+)/)", line)
        if not match:
            self.proc.kill()
            raise AssertionError("dashboard printed no URL: %r %s" % (line, self.proc.stderr.read()[-2000:]))
        self.url, self.port, self.token = match.group(1), int(match.group(2)), match.group(3)
        log("dashboard at", "http://127.0.0.1:%d/<token>/" % self.port)

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(timeout=15)
        assert code == 0, "dashboard exited %d after SIGTERM: %s" % (code, self.proc.stderr.read()[-2000:])


def status_of(url, method="GET", host=None):
    request = urllib.request.Request(url, method=method)
    if host:
        request.add_header("Host", host)
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return answer.status, answer.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def page_elements(url):
    return browser.Elements(browser.dump_dom(url, budget_ms=4000))


def save_screenshot(d, name, size):
    """What the page looks like now, into the test's log directory."""
    log("screenshot:", browser.screenshot(d.url, os.path.join(test_log_dir("system.dashboard"), name),
                                          budget_ms=6000, size=size))


def mine_apart(ns, network):
    """One block on node 2, then three on node 0. Regtest blocks are deterministic: the same parent,
    reward address and second make the same block on both sides; a second apart, they differ."""
    plugin("mine", network, "-n", ns, "--node", "2", "1")
    time.sleep(1.5)
    plugin("mine", network, "-n", ns, "--node", "0", "3")


def wait_for_heights(ns, network, heights):
    """Until the network's status (what the page draws) shows these node heights."""
    wait_until("the status shows heights %s" % heights, lambda: [
        n.get("blocks") for n in get_network(ns, network)["status"]["nodes"]] == heights, timeout=180)


def wait_for_two_forks(d, timeout):
    """The page's DOM once it draws the tip groups {0,1} and {2,3}."""
    def two_forks():
        elements = page_elements(d.url)
        forks = sorted(e["attrs"]["data-nodes"] for e in elements.with_attr("data-fork"))
        return elements if forks == ["0,1", "2,3"] else None
    return wait_until("the page draws two fork groups", two_forks, timeout=timeout, interval=1)


def check_local_server_guards(d):
    code, body = status_of(d.url + "api/state", host="rebound.example:%d" % d.port)
    assert code == 403, (code, body)
    code, _ = status_of("http://127.0.0.1:%d/api/state" % d.port)
    assert code == 404, code
    code, _ = status_of("http://127.0.0.1:%d/%s/api/state" % (d.port, "0" * len(d.token)))
    assert code == 404, code
    code, _ = status_of(d.url + "api/state", method="POST")
    assert code == 405, code
    code, body = status_of(d.url + "api/state?network=Not_A_Name")
    assert code == 400 and "network" in body, (code, body)
    with urllib.request.urlopen(d.url, timeout=10) as answer:
        policy = answer.headers.get("Content-Security-Policy", "")
        assert "default-src 'none'" in policy and "connect-src 'self'" in policy, policy
        assert answer.headers.get("Referrer-Policy") == "no-referrer"


def test_dashboard_shows_the_ring():
    ns = fresh_namespace("dashboard")
    try:
        apply_network(ns, NETWORK, {"nodes": 4, "topology": "ring"})
        wait_until("4 nodes Ready", lambda: network_ready(ns, NETWORK, 4), timeout=300)
        wait_until("the nodes report the ring's connections", lambda: live_edges_from_nodes(ns) == RING, timeout=120)
        plugin("mine", NETWORK, "-n", ns, "3")
        wait_for_heights(ns, NETWORK, [3, 3, 3, 3])
        d = Dashboard(ns)
        try:
            check_local_server_guards(d)

            def drawn():
                elements = page_elements(d.url)
                edges = {e["attrs"]["data-edge"] for e in elements.with_attr("data-edge")}
                return elements if edges == RING else None
            elements = wait_until("the page draws the ring's live connections", drawn, timeout=60, interval=1)
            assert elements.by_id("network-name")["text"] == NETWORK
            nodes = sorted(e["attrs"]["data-node"] for e in elements.with_attr("data-node"))
            assert nodes == ["0", "1", "2", "3"], nodes
            edges = [e["attrs"]["data-edge"] for e in elements.with_attr("data-edge")]
            assert sorted(edges) == sorted(RING), edges  # one element per connection, none twice
            assert elements.with_attr("data-planned-edge") == []
            tips = {e["attrs"]["data-tip"] for e in elements.with_attr("data-node")}
            assert len(tips) == 1 and "" not in tips, tips  # one tip: all four in sync
            forks = elements.with_attr("data-fork")
            assert len(forks) == 1 and forks[0]["attrs"]["data-nodes"] == "0,1,2,3", forks
            save_screenshot(d, "ring.png", "1280,900")

            kubectl("-n", ns, "patch", "bitcoinnetworks." + GROUP, NETWORK, "--type=merge", "-p", json.dumps(
                {"spec": {"partitions": [{"name": "left", "nodes": [0, 1]}, {"name": "right", "nodes": [2, 3]}]}}))
            wait_until("the partition is in force", lambda: get_network(ns, NETWORK).get("status", {}).get("partition"),
                       timeout=120)
            mine_apart(ns, NETWORK)
            wait_for_heights(ns, NETWORK, [6, 6, 4, 4])
            elements = wait_for_two_forks(d, timeout=120)

            def only_inside_groups():
                page = page_elements(d.url)
                return page if {e["attrs"]["data-edge"] for e in page.with_attr("data-edge")} == {"0-1", "2-3"} else None
            elements = wait_until("the page shows live connections only inside the groups", only_inside_groups,
                                  timeout=60, interval=1)
            groups = sorted(e["attrs"]["data-partition-group"] for e in elements.with_attr("data-partition-group"))
            assert groups == ["left", "right"], groups
            save_screenshot(d, "partitioned.png", "1280,900")
        finally:
            d.stop()
    finally:
        delete_namespace(ns)


def test_two_chains_show_as_two_fork_groups():
    """Two halves that share no edge ({0,1} and {2,3}, a custom topology) mine separately: the page
    shows two tip groups, each coloured apart, whether the controller writes status.forks or the
    page groups the nodes' tips itself."""
    ns = fresh_namespace("dashboard")
    try:
        apply_network(ns, "halves", {"nodes": 4, "topology": "custom",
                                     "customEdges": [{"from": 0, "to": 1}, {"from": 2, "to": 3}]})
        wait_until("4 nodes Ready", lambda: network_ready(ns, "halves", 4), timeout=300)
        mine_apart(ns, "halves")

        wait_for_heights(ns, "halves", [3, 3, 1, 1])
        d = Dashboard(ns, "halves")
        try:
            elements = wait_for_two_forks(d, timeout=60)
            edges = sorted(e["attrs"]["data-edge"] for e in elements.with_attr("data-edge"))
            assert edges == ["0-1", "2-3"], edges
            tips = [e["attrs"]["data-tip"] for e in sorted(elements.with_attr("data-node"),
                                                            key=lambda e: int(e["attrs"]["data-node"]))]
            assert tips[0] == tips[1] and tips[2] == tips[3] and tips[0] != tips[2], tips
            creds, ips = credentials(ns, "halves"), ready_ips(ns, "halves", 4)
            assert rpc(ips[0], creds, "getblockhash", 1) != rpc(ips[2], creds, "getblockhash", 1), "the halves did not fork"
            save_screenshot(d, "two-chains.png", "1280,800")
        finally:
            d.stop()
    finally:
        delete_namespace(ns)


def test_dashboard_refuses_a_non_loopback_address():
    code, _, err = plugin("dashboard", NETWORK, "--address", "0.0.0.0", check=False)
    assert code == 2 and "--address 0.0.0.0 is not a loopback address" in err, (code, err)


if __name__ == "__main__":
    if not browser.available():
        print("chromium is not installed (hack/install-deps.sh installs it); skipping")
        sys.exit(77)
    main([test_dashboard_refuses_a_non_loopback_address, test_dashboard_shows_the_ring,
          test_two_chains_show_as_two_fork_groups])
