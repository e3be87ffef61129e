#!/usr/bin/env python3
"""Pods that never answer RPC (test/faults/kwok.py: kwok makes them Running and Ready with loopback
IPs whose RPC port accepts and never answers), 20 networks of 3 nodes, the controller with its
defaults (2 workers, not-ready poll 2 s doubling up to the 30 s resync, probe deadline 2 s) on a
private control plane. The controller must stay calm:

- every network reports its nodes not ready with reason NodeNotResponding (and Degraded says so)
  within NODES * probe / workers + slack: a node never heard from costs a worker the short probe
  deadline, not the 15 s call deadline (FIGURE unanswering_diagnosed_s);
- then, over WINDOW seconds, bounds derived from the back-off, not picked:
  - reconciles per network <= the passes the doubling poll allows in WINDOW (max_passes), +1 for
    a pass already queued when the window starts;
  - RPC connections per node <= the same (one probe per node per pass, counted on the node side),
    and in all <= workers * (WINDOW / probe + 1) (each probe holds a worker for its deadline);
  - no "node failing" log line (logged once per diagnosis, and all were diagnosed before), and
    at most one line per network in all;
  - CPU < 2 % of a core (no hot loop; the issue's idle target is 1 %, the window has probes);
  - zero writes by the controller besides its Lease (the audit log).
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from control_plane import ControlPlane, log, metric_value, wait_until  # noqa: E402
from faultlib import apply_docs, figure, network_doc, process_usage  # noqa: E402
from kwok import SimulatedNodes  # noqa: E402
from lease_terms import parse_time  # noqa: E402

NETWORKS, NODES_PER_NETWORK = 20, 3
NAMESPACE = "unanswering"
WINDOW = 60.0
# The controller's defaults (pkg/cli/serve_command.cpp, pkg/controller/reconciler.hpp).
WORKERS, NOT_READY_POLL, RESYNC, PROBE = 2, 2.0, 30.0, 2.0
CPU_SHARE_LIMIT = 0.02
USER = "system:serviceaccount:kb-faults-system:bitcoin-controller"


def max_passes(window, poll, resync):
    """The most passes of one network in any window of `window` seconds when its delays are
    poll, 2*poll, 4*poll, ... capped at resync: the densest stretch is the start of the series."""
    passes, elapsed, delay = 1, 0.0, poll
    while elapsed + delay <= window:
        elapsed += delay
        passes += 1
        delay = min(delay * 2, resync)
    return passes


def diagnosed(cp):
    """The networks whose every node is reported not ready with NodeNotResponding."""
    items = cp.kubectl_json("-n", NAMESPACE, "get", "bitcoinnetworks")["items"]
    done = []
    for n in items:
        status = n.get("status", {})
        nodes = status.get("nodes", [])
        degraded = [c for c in status.get("conditions", []) if c["type"] == "Degraded"]
        if (len(nodes) == NODES_PER_NETWORK and all(not x.get("ready") and x.get("reason") == "NodeNotResponding"
                                                    for x in nodes)
                and degraded and degraded[0].get("reason") == "NodeNotResponding"):
            done.append(n["metadata"]["name"])
    return done


def reconciles(ctl):
    text = ctl.metrics()
    return sum(metric_value(text, "kubectl_bitcoin_reconcile_total", {"result": r}) or 0
               for r in ("success", "error", "requeue"))


def main():
    with ControlPlane("unanswering") as cp, SimulatedNodes(cp, nodes=1) as sim:
        ctl = cp.start_controller()
        wait_until("the controller to be ready", ctl.ready, timeout=60)
        cp.kubectl("create", "namespace", NAMESPACE)
        t0 = time.time()
        apply_docs(cp, [network_doc(NAMESPACE, "net-%02d" % i, NODES_PER_NETWORK) for i in range(NETWORKS)])
        pods = NETWORKS * NODES_PER_NETWORK
        wait_until("%d pods Running with an IP" % pods, lambda: cp.kubectl(
            "-n", NAMESPACE, "get", "pods", "--field-selector=status.phase=Running", "-o", "name").count("\n") == pods,
            timeout=120)
        limit = pods * PROBE / WORKERS + 30
        wait_until("every network to report NodeNotResponding", lambda: len(diagnosed(cp)) == NETWORKS,
                   timeout=limit, interval=1)
        figure("unanswering_diagnosed_s", time.time() - t0, " s (bound %.0f s)" % limit)
        time.sleep(2 * NOT_READY_POLL)  # the status writes of the last diagnosis land

        lines0, rec0, conn0 = len(ctl.log_lines()), reconciles(ctl), dict(sim.silent.accepted_by_ip)
        cpu0, w0 = process_usage(ctl.pid)[1], time.time()
        time.sleep(WINDOW)
        cpu1, w1 = process_usage(ctl.pid)[1], time.time()
        lines, rec1, conn1 = ctl.log_lines()[lines0:], reconciles(ctl), dict(sim.silent.accepted_by_ip)

        passes_bound = max_passes(WINDOW, NOT_READY_POLL, RESYNC) + 1
        per_network = (rec1 - rec0) / NETWORKS
        per_node = {ip: conn1.get(ip, 0) - conn0.get(ip, 0) for ip in conn1}
        total_conn = sum(per_node.values())
        conn_bound = WORKERS * (WINDOW / PROBE + 1)
        cpu_share = (cpu1 - cpu0) / (w1 - w0)
        failing = [line for line in lines if '"node failing"' in line]
        writes = [e for e in cp.audit_events()
                  if e.get("user", {}).get("username") == USER and e.get("stage") == "ResponseComplete"
                  and e.get("verb") in ("create", "update", "patch", "delete")
                  and e.get("objectRef", {}).get("resource") != "leases"
                  and w0 <= parse_time(e["requestReceivedTimestamp"]) < w1]
        figure("unanswering_reconciles_per_network", per_network, " in %.0f s (bound %d)" % (WINDOW, passes_bound))
        figure("unanswering_max_connections_per_node", max(per_node.values(), default=0),
               " in %.0f s (bound %d)" % (WINDOW, passes_bound))
        figure("unanswering_connections_total", total_conn, " in %.0f s (bound %.0f)" % (WINDOW, conn_bound))
        figure("unanswering_log_lines", len(lines), " in %.0f s (bound %d)" % (WINDOW, NETWORKS))
        figure("unanswering_cpu_percent", 100 * cpu_share, " %% (bound %.0f %%)" % (100 * CPU_SHARE_LIMIT))
        figure("unanswering_writes_at_rest", len(writes))

        assert per_network <= passes_bound, "%.1f reconciles per network in %.0f s" % (per_network, WINDOW)
        assert max(per_node.values(), default=0) <= passes_bound, "connections per node: %s" % per_node
        assert total_conn <= conn_bound, "%d connections in %.0f s" % (total_conn, WINDOW)
        assert not failing, "diagnoses logged again:\n%s" % "\n".join(failing[:5])
        assert len(lines) <= NETWORKS, "%d log lines in %.0f s:\n%s" % (len(lines), WINDOW, "\n".join(lines[:10]))
        assert cpu_share < CPU_SHARE_LIMIT, "CPU %.1f %% of a core" % (100 * cpu_share)
        assert not writes, "writes at rest: %s" % [(e["verb"], e["objectRef"]) for e in writes[:5]]
        assert len(diagnosed(cp)) == NETWORKS, "a network's status no longer reports NodeNotResponding"
        assert ctl.alive()
        log("unanswering pods: OK")


if __name__ == "__main__":
    main()
