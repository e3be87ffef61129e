#!/usr/bin/env python3
"""Forks, reorgs and node metrics on the local cluster, with real nodes and the installed controller.

A 2-node network is split without spec.partitions: node 1 turns its P2P networking off
(`setnetworkactive false` through bitcoin-cli in its pod; the RPC gateway refuses that method, see
docs/rpc-gateway.md), both nodes mine to different addresses (blocks to the same address in the
same second would be identical blocks), and the test checks:

- status.forks: two groups with the right fork point (the block both had before the split) and
  depths, then Forked=True (reason TipsDiffer); `kubectl bitcoin status NET` shows the groups;
- /metrics: every documented bitcoin_node_* series for both nodes, and scraping it many times
  causes no node RPC (the controller's own kubectl_bitcoin_node_rpc_calls_total, read in windows
  in which no reconcile ran);
- after reconnecting: node 1 follows the longer chain, exactly one Reorg Event (node 1, depth 3,
  the right tips and fork point), not repeated after a resync; Forked=False, one group;
- `kubectl bitcoin status NET -w` with stdout a pipe prints a frame per change (Forked=True, then
  the Reorg) and exits 0 on SIGINT;
- after the network is deleted its series are gone from /metrics.
"""
import re
import signal
import socket
import subprocess
import urllib.request

from kbtest import *

NET = "fk"
SIDE_A_BLOCKS = 5  # node 0
SIDE_B_BLOCKS = 3  # node 1: the shorter side, which reorgs
NODE_SERIES = ["bitcoin_node_blocks", "bitcoin_node_headers", "bitcoin_node_verification_progress",
               "bitcoin_node_peers", "bitcoin_node_mempool_transactions", "bitcoin_node_mempool_bytes",
               "bitcoin_node_chain_tips"]
RESYNC_SECONDS = 30  # the chart's default resync: the controller looks at a ready network this often

state = {}


def status(ns):
    return get_network(ns, NET).get("status", {})


def condition(ns, kind):
    for c in status(ns).get("conditions", []):
        if c["type"] == kind:
            return c
    return {}


def address(ip, creds):
    try:
        return rpc(ip, creds, "getnewaddress")
    except RpcError as e:  # Bitcoin Core without a wallet loaded
        if e.code not in (-18, -19):
            raise
        rpc(ip, creds, "createwallet", "forks")
        return rpc(ip, creds, "getnewaddress")


class Metrics:
    """One port-forward to the leading controller pod, for many scrapes."""

    def __enter__(self):
        pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")["items"]
        pods = [p for p in pods if pod_ready(p) and not p["metadata"].get("deletionTimestamp")]
        assert pods, "no ready controller pod"
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = None
        for pod in pods:
            self._forward(pod["metadata"]["name"])
            if metric_values(self.scrape(), "kubectl_bitcoin_leader") == [1.0]:
                return self
            self.close()
        raise AssertionError("no controller pod says it leads")

    def _forward(self, pod):
        self.proc = subprocess.Popen(["kubectl", "-n", CONTROLLER_NS, "port-forward", "pod/" + pod,
                                      "%d:8080" % self.port], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=ENV)
        deadline = time.time() + 20
        while True:
            try:
                self.scrape()
                return
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise AssertionError("port-forward to %s did not answer" % pod)
                time.sleep(0.3)

    def scrape(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.port, timeout=10) as resp:
            return resp.read().decode()

    def close(self):
        if self.proc:
            self.proc.terminate()
            self.proc.wait(timeout=10)
            self.proc = None

    def __exit__(self, *exc):
        self.close()


def series(text, name, ns):
    """{labels text: value} of a metric's samples for this test's network."""
    out = {}
    for line in text.splitlines():
        if (line.startswith(name + "{") and 'namespace="%s"' % ns in line and 'network="%s"' % NET in line):
            labels, value = line.rsplit(" ", 1)
            out[labels] = float(value)
    return out


def test_network_comes_up_and_mines_a_base():
    ns = state["ns"] = fresh_namespace("forks")
    code, _, err = apply_network(ns, NET, {"nodes": 2})
    assert code == 0, err
    wait_until("2 nodes ready", lambda: network_ready(ns, NET, 2), timeout=300)
    ips = state["ips"] = ready_ips(ns, NET, 2)
    creds = state["creds"] = credentials(ns, NET)
    state["addresses"] = [address(ip, creds) for ip in ips]
    rpc(ips[0], creds, "generatetoaddress", 2, state["addresses"][0])
    wait_until("both nodes on one tip in the status", lambda: (
        len(status(ns).get("forks", [])) == 1 and status(ns)["forks"][0]["nodes"] == [0, 1]
        and condition(ns, "Forked").get("reason") == "OneTip"), timeout=RESYNC_SECONDS + 60)
    state["base"] = rpc(ips[0], creds, "getblockcount")
    state["base_hash"] = rpc(ips[0], creds, "getblockhash", state["base"])
    log("base", state["base"], state["base_hash"])


def test_split_mine_both_sides_forked():
    ns, ips, creds = state["ns"], state["ips"], state["creds"]
    rpc(ips[1], creds, "setnetworkactive", False)
    wait_until("no connection between the nodes", lambda: (
        rpc(ips[0], creds, "getconnectioncount") == 0 and rpc(ips[1], creds, "getconnectioncount") == 0), timeout=60)
    # The watch starts here: its frames must show the fork, then the reorg.
    state["watch"] = subprocess.Popen([os.path.join(BUILD, "kubectl-bitcoin"), "status", NET, "-n", ns, "-w"],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV)
    rpc(ips[1], creds, "generatetoaddress", SIDE_B_BLOCKS, state["addresses"][1])
    rpc(ips[0], creds, "generatetoaddress", SIDE_A_BLOCKS, state["addresses"][0])
    assert rpc(ips[0], creds, "getconnectioncount") == 0 and rpc(ips[1], creds, "getconnectioncount") == 0
    base = state["base"]
    tips = state["tips"] = [rpc(ip, creds, "getbestblockhash") for ip in ips]
    assert tips[0] != tips[1]

    def forked():
        s = status(ns)
        forks = s.get("forks", [])
        c = condition(ns, "Forked")
        return len(forks) == 2 and c.get("status") == "True" and (forks, c)

    started = time.time()
    forks, cond = wait_until("Forked=True with two groups", forked, timeout=RESYNC_SECONDS + 15 + 60)
    figure("forks.forked_true_after_split", "%.1f" % (time.time() - started), "s",
           "mining on both sides done -> Forked=True; bounded by the resync period + the 15 s grace")
    expected = [
        {"height": base + SIDE_A_BLOCKS, "hash": tips[0], "nodes": [0],
         "forkPoint": {"height": base, "hash": state["base_hash"]}, "depth": SIDE_A_BLOCKS},
        {"height": base + SIDE_B_BLOCKS, "hash": tips[1], "nodes": [1],
         "forkPoint": {"height": base, "hash": state["base_hash"]}, "depth": SIDE_B_BLOCKS},
    ]
    assert forks == expected, "status.forks %s, expected %s" % (forks, expected)
    assert cond["reason"] == "TipsDiffer", cond
    assert ("%d/%s on node 0 (fork at %d)" % (base + SIDE_A_BLOCKS, tips[0][:12], base)) in cond["message"], cond
    out = plugin("status", NET, "-n", ns)[1]
    log(out)
    assert "Forks:      Forked=True (TipsDiffer" in out, out
    assert ("%d/%s  node 0  fork at %d, depth %d" % (base + SIDE_A_BLOCKS, tips[0][:12], base, SIDE_A_BLOCKS)) in out
    assert ("%d/%s  node 1  fork at %d, depth %d" % (base + SIDE_B_BLOCKS, tips[1][:12], base, SIDE_B_BLOCKS)) in out


def test_metrics_series_for_every_node_and_scrapes_cost_no_rpc():
    ns = state["ns"]
    with Metrics() as m:
        text = m.scrape()
        for name in NODE_SERIES:
            found = series(text, name, ns)
            for node in ("0", "1"):
                assert any('node="%s"' % node in labels for labels in found), "%s has no series for node %s: %s" % (
                    name, node, found)
        blocks = series(text, "bitcoin_node_blocks", ns)
        assert sorted(blocks.values()) == [state["base"] + SIDE_B_BLOCKS, state["base"] + SIDE_A_BLOCKS], blocks
        assert series(text, "bitcoin_node_chain_tips", ns), "no chain tips series"
        # Scrapes against node calls, in windows in which no reconcile ran (other networks of the
        # shared cluster reconcile too: a window with a reconcile is measured again).
        scrapes = 100
        for attempt in range(10):
            before = m.scrape()
            started = time.time()
            for _ in range(scrapes):
                m.scrape()
            after = m.scrape()
            reconciles = (sum(metric_values(after, "kubectl_bitcoin_reconcile_total"))
                          - sum(metric_values(before, "kubectl_bitcoin_reconcile_total")))
            calls = (sum(metric_values(after, "kubectl_bitcoin_node_rpc_calls_total"))
                     - sum(metric_values(before, "kubectl_bitcoin_node_rpc_calls_total")))
            log("window %d: %d scrapes in %.2fs, %d reconciles, %d node calls"
                % (attempt, scrapes + 1, time.time() - started, reconciles, calls))
            assert sum(metric_values(before, "kubectl_bitcoin_node_rpc_calls_total")) > 0, "node calls are not counted"
            if reconciles == 0:
                assert calls == 0, "%d node RPC calls during %d scrapes without a reconcile" % (calls, scrapes + 1)
                figure("forks.node_rpc_calls_per_100_scrapes", int(calls), "calls")
                return
        raise AssertionError("no window of %d scrapes without a reconcile in 10 attempts" % scrapes)


def test_reconnect_one_reorg_event_forked_false():
    ns, ips, creds = state["ns"], state["ips"], state["creds"]
    base, tips = state["base"], state["tips"]
    rpc(ips[1], creds, "setnetworkactive", True)
    # The controller's addnode entry is retried by bitcoind on its own schedule; dial now.
    added = rpc(ips[1], creds, "getaddednodeinfo")
    for entry in added:
        rpc(ips[1], creds, "addnode", entry["addednode"], "onetry")
    wait_until("node 1 on node 0's tip", lambda: rpc(ips[1], creds, "getbestblockhash") == tips[0], timeout=90)

    def reorg_events():
        return kubectl_json("-n", ns, "get", "events", "--field-selector", "reason=Reorg")["items"]

    started = time.time()
    events = wait_until("a Reorg event", lambda: reorg_events(), timeout=RESYNC_SECONDS + 60)
    figure("forks.reorg_event_after_heal", "%.1f" % (time.time() - started), "s",
           "node 1 on the longer chain -> Reorg Event; bounded by the resync period")
    # The new tip is the one the controller saw first after the reorg: node 0's tip, or a block below
    # it on node 0's chain when the controller looked while node 1 was still catching up (it looks
    # again every few seconds while an edge is not connected yet).
    messages = [e["message"] for e in events]
    match = re.fullmatch(r"node 1: reorg of depth %d from %d/%s to (\d+)/([0-9a-f]{12}) \(fork at %d\)" % (
        SIDE_B_BLOCKS, base + SIDE_B_BLOCKS, tips[1][:12], base), messages[0]) if len(messages) == 1 else None
    assert match, messages
    to_height = int(match.group(1))
    assert base + SIDE_B_BLOCKS < to_height <= base + SIDE_A_BLOCKS, messages
    assert rpc(ips[0], creds, "getblockhash", to_height)[:12] == match.group(2), messages
    assert events[0]["type"] == "Normal" and events[0]["involvedObject"]["name"] == NET
    wait_until("Forked=False with one group", lambda: (
        condition(ns, "Forked").get("status") == "False" and condition(ns, "Forked").get("reason") == "OneTip"
        and len(status(ns).get("forks", [])) == 1 and status(ns)["forks"][0]["nodes"] == [0, 1]), timeout=60)
    # A resync later the controller has looked again: still that one event, seen once.
    time.sleep(RESYNC_SECONDS + 5)
    events = reorg_events()
    assert len(events) == 1 and events[0].get("count", 1) == 1, [(e["message"], e.get("count")) for e in events]


def test_watch_printed_the_fork_and_the_reorg_and_exits_on_sigint():
    proc = state.pop("watch")
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    log(out[-3000:])
    assert proc.returncode == 0, "status -w exited %d: %s" % (proc.returncode, err[-2000:])
    frames = [f for f in out.split("\n\n") if f.strip()]
    assert len(frames) >= 3, "expected a frame per change, got %d: %s" % (len(frames), out[-2000:])
    assert all(f.startswith(NET + "  ") for f in frames), frames[:3]
    forked = [i for i, f in enumerate(frames) if "Forked=True (TipsDiffer" in f]
    reorged = [i for i, f in enumerate(frames) if re.search(r"Reorg: node 1: reorg of depth %d " % SIDE_B_BLOCKS, f)]
    assert forked and reorged and forked[0] < reorged[-1], "frames: %s" % frames
    assert "node 0  fork at %d, depth %d" % (state["base"], SIDE_A_BLOCKS) in frames[forked[0]], frames[forked[0]]


def test_deleting_the_network_removes_its_series():
    ns = state["ns"]
    kubectl("-n", ns, "delete", "bitcoinnetworks." + GROUP, NET, "--wait=true")
    with Metrics() as m:
        wait_until("no series of the deleted network", lambda: not any(
            series(m.scrape(), name, ns) for name in NODE_SERIES + ["bitcoin_network_block_arrival_delay_seconds_count"]),
            timeout=60)


def cleanup():
    if "watch" in state:
        state["watch"].kill()
    if "ns" in state:
        delete_namespace(state["ns"])


if __name__ == "__main__":
    try:
        main([test_network_comes_up_and_mines_a_base, test_split_mine_both_sides_forked,
              test_metrics_series_for_every_node_and_scrapes_cost_no_rpc, test_reconnect_one_reorg_event_forked_false,
              test_watch_printed_the_fork_and_the_reorg_and_exits_on_sigint, test_deleting_the_network_removes_its_series])
    finally:
        cleanup()
