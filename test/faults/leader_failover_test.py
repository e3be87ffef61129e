#!/usr/bin/env python3
"""Leader failover on a private control plane (test/faults/control_plane.py), two replicas of
`kubectl-bitcoin serve --leader-elect` with the chart's timings (lease 15 s, renew deadline 10 s,
retry 2 s):

1. kill -9 of the leader during a burst of network creations: the other replica holds the Lease
   within lease duration + 1.1 retry periods (FIGURE failover_s, and failover_first_write_s until its
   first write), and every network is completed.
2. The leader's connection to the API server is cut by a proxy that blackholes it (sockets stay
   open, bytes are dropped): the cut leader stops acting by its renew deadline (its log, and it
   exits so that a fresh process campaigns again), the other takes over after the lease expires
   (FIGURE cut_failover_s), the proxy resumes while the old process may still be winding down, and
   the old process writes nothing after its renew deadline.

In both: the Lease's whole history comes from a watch; the terms never overlap (a term starts only
after the previous one was released or its renew deadline passed; leaseTransitions counts each
change), and the audit log shows every write of every controller process inside one of that
process's terms (processes are told apart by the identity in their User-Agent).

KB_CHAOS_LONG=1: more networks and several rounds of each fault.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from control_plane import ControlPlane, log, wait_until  # noqa: E402
from faultlib import figure  # noqa: E402
from lease_terms import (LONG, RENEW_DEADLINE, RETRY_PERIOD, TAKEOVER_BOUND, LeaseHistory, check_history,  # noqa: E402
                         controller_writes, create_burst, identity_of, kill_mid_burst, new_namespace,
                         parse_time, start_pair, wait_complete, wait_mid_burst)

NETWORKS = 40 if LONG else 12
ROUNDS = 3 if LONG else 1
# A slower client-side rate limit stretches the burst over seconds, so that the fault lands in it.
SUPERVISED = {"a"}  # started with restart_on_exit
CONTROLLER_ARGS = ["--kube-api-qps", "15", "--kube-api-burst", "15", "--workers", "2"]


def leader_of(history, controllers):
    holder = history.holder()
    for c in controllers:
        if holder and identity_of(holder) == c.identity:
            return c, holder
    return None, holder


def first_write_by(cp, namespace, identity, after):
    writes = [w for w in controller_writes(cp, namespace) if w["identity"] == identity and w["at"] >= after]
    return writes[0]["at"] if writes else None


def kill_round(cp, history, ctls, namespace, round_no):
    leader, holder = leader_of(history, ctls)
    assert leader, "no leader among %s: holder %r" % ([c.identity for c in ctls], holder)
    for c in ctls:
        if c is not leader:
            wait_until("standby %s to be ready" % c.identity, lambda: c.alive() and c.ready(), timeout=60)
    names = create_burst(cp, namespace, "kill%d" % round_no, NETWORKS)
    failover, new_holder, t_kill = kill_mid_burst(cp, history, leader, holder, namespace, names)
    first = wait_until("the new leader's first write",
                       lambda: first_write_by(cp, namespace, new_holder, t_kill + failover), timeout=30, interval=0.1)
    figure("failover_s", failover)
    figure("failover_first_write_s", first - t_kill)
    converge = wait_complete(cp, namespace, names, timeout=120)
    figure("failover_converge_s", time.time() - t_kill)
    log("every network of round %d complete %.1fs after the takeover was seen" % (round_no, converge))
    come_back(leader)
    return names


def come_back(ctl):
    """The killed replica comes back as a fresh standby with a new identity (a supervised one by
    itself, like a pod's container restarted by the kubelet)."""
    if ctl.identity in SUPERVISED:
        wait_until("%s to be restarted" % ctl.identity, ctl.alive, timeout=30)
    else:
        ctl.restart()
    wait_until("%s to be ready again" % ctl.identity, ctl.ready, timeout=60)


def cut_round(cp, history, ctls, proxied, proxy, namespace, round_no):
    """proxied must lead: cuts its path mid-burst, resumes it the moment the cut leader's term ends
    (while that process still runs, with its caches and reconciles of before the cut), and waits
    for the other replica to take over once the lease expired."""
    holder = wait_until("%s to lead" % proxied.identity,
                        lambda: history.holder() if identity_of(history.holder()) == proxied.identity else None,
                        timeout=60, interval=0.1)
    restarts = proxied.restarts
    names = create_burst(cp, namespace, "cut%d" % round_no, NETWORKS)
    wait_mid_burst(cp, namespace, holder, names)
    proxy.cut(blackhole=True)
    t_cut = proxy.cut_at
    cut_pid = proxied.pid
    log("cut the path of leader %s" % holder)
    # The cut leader's own view: it stopped acting at its renew deadline.
    stopped = wait_until("the cut leader to log the end of its term", lambda: [
        r for r in proxied.log_records() if "renew deadline" in r.get("error", "")], timeout=30, interval=0.02)
    proxy.resume()
    still_running = proxied.alive() and proxied.pid == cut_pid
    log("resumed the path %.2fs after the cut; the cut process %s" % (
        time.time() - t_cut, "is still running" if still_running else "had already exited"))
    last_renew = max(t["last_renew"] for t in history.terms() if t["identity"] == holder)
    stopped_at = parse_time(stopped[-1]["ts"])
    figure("cut_stop_after_last_renew_s", stopped_at - last_renew)
    assert stopped_at <= last_renew + RENEW_DEADLINE + 0.5, (
        "the cut leader stopped acting %.2fs after its last renew (renew deadline %ss)" % (
            stopped_at - last_renew, RENEW_DEADLINE))
    _, spec = history.wait_for_holder("another replica to take over from the cut leader",
                                      lambda h: h and h != holder, timeout=TAKEOVER_BOUND + RETRY_PERIOD + 15)
    acquired = parse_time(spec["acquireTime"])
    figure("cut_failover_s", acquired - t_cut)
    # Its last renew came at most a retry period before the cut; the others saw it at most 1.1
    # retry periods later and waited a lease duration from then.
    assert acquired - t_cut <= TAKEOVER_BOUND + RETRY_PERIOD, "takeover %.2fs after the cut" % (acquired - t_cut)
    converge = wait_complete(cp, namespace, names, timeout=120)
    log("every network of round %d complete %.1fs after the takeover was seen" % (round_no, converge))
    # The cut process exits after losing its term (a fresh one campaigns again): the harness restarts it.
    wait_until("the cut process to exit and be restarted", lambda: proxied.restarts > restarts and proxied.alive(),
               timeout=60)
    assert proxied.exits[restarts] == 1, "exit codes %s" % proxied.exits
    late = [w for w in controller_writes(cp)
            if w["identity"] == holder and w["at"] > last_renew + RENEW_DEADLINE and w["resource"] != "leases"]
    assert not late, "the cut leader wrote after its term: %s" % late[:3]
    return names


def test_failover():
    with ControlPlane("failover") as cp:
        history = LeaseHistory(cp)
        try:
            ns = new_namespace(cp, "faultsb-failover")
            proxy, a, b = start_pair(cp, history, CONTROLLER_ARGS, supervise_a=True)
            all_names = []
            for r in range(ROUNDS):
                # a (behind the proxy) leads: cut it; b takes over; kill b; the restarted a takes over.
                all_names += cut_round(cp, history, [a, b], a, proxy, ns, r)
                all_names += kill_round(cp, history, [a, b], ns, r)
            _, writes = check_history(cp, history)
            assert len({w["identity"] for w in writes}) >= 3, "writes by %s" % {w["identity"] for w in writes}
            wait_complete(cp, ns, all_names, timeout=60)
            proxy.close()
        finally:
            history.stop()


if __name__ == "__main__":
    t0 = time.time()
    test_failover()
    log("PASS leader_failover in %.0fs" % (time.time() - t0))
