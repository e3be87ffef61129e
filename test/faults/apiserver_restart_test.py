"""The API server is killed and restarted while networks are being created and scaled.

A private control plane (control_plane.py) and the controller on the host, with leader election
and restarted like the kubelet would when it exits (it exits when it cannot renew its Lease). N
networks (short 20, long 50) are applied in batches while the API server is SIGKILLed; then every
network is scaled while it is stopped with SIGTERM (graceful shutdown); the long version scales
once more through a second SIGKILL. Writes are retried through the outage, like a user would.

Afterwards every network must converge to its spec (StatefulSet replicas = spec.nodes, Pods,
Service, NetworkPolicy, both Secrets, status.observedGeneration == metadata.generation), no object
may be created twice (audit log) or be missing. Figures: the time to converge after the last
restart, the API server's downtime, the controller's restarts, its log lines per second per network.
"""
import signal
import threading
import time

from control_plane import ControlPlane, log, metric_value, wait_until
from faultlib import (FakeKubelet, apply_docs, check_creates, divergence, fail, figure, log_rate, network_doc, pick,
                      seeded_random, snapshot, wait_converged)

N = pick(20, 50)
BATCH = 2  # small batches: the restart lands in the middle of the writes
NS = "faultsa-restart"
# Every node RPC fails (FakeKubelet: Ready pods at addresses where nothing listens): the
# controller must back off, neither flood its log nor reconcile in a hot loop.
MAX_LOG_LINES_PER_SECOND_PER_NETWORK = 0.5
MAX_RECONCILES_PER_SECOND_PER_NETWORK = 0.25


def reconciles(ctl):
    text = ctl.metrics()
    return sum(metric_value(text, "kubectl_bitcoin_reconcile_total", {"result": r}) or 0 for r in ("success", "error"))


def writer(cp, docs, done, errors):
    try:
        for i in range(0, len(docs), BATCH):
            apply_docs(cp, docs[i:i + BATCH])
    except Exception as e:  # noqa: BLE001 - reported by the main thread
        errors.append(e)
    finally:
        done.set()


def phase(cp, rng, docs, sig, what):
    """Applies docs in a thread and restarts the API server with sig while it is busy."""
    done, errors = threading.Event(), []
    t = threading.Thread(target=writer, args=(cp, docs, done, errors), daemon=True)
    t.start()
    time.sleep(rng.uniform(0.5, 2.0))  # some batches went through, the rest are to come
    down = rng.choice([0, 1, 2])
    log("%s: restarting the API server with %s (down %ds extra) while writing" % (what, sig.name, down))
    took = cp.restart_apiserver(sig, down_seconds=down)
    ready_at = time.time()
    log("%s: API server back after %.1fs" % (what, took))
    t.join()
    if errors:
        fail("%s: writes failed: %s" % (what, errors[0]))
    return took, ready_at


def main():
    rng, _ = seeded_random()
    with ControlPlane("restart") as cp:
        cp.kubectl("create", "namespace", NS)
        kubelet = FakeKubelet(cp, NS)  # pods get Ready and an address where nothing answers
        ctl = cp.start_controller("a", args=["--workers", "4"], restart_on_exit=True)
        wait_until("the controller to be ready", ctl.ready, 90)

        desired = {"net-%02d" % i: rng.randint(1, 3) for i in range(N)}
        took, ready_at = phase(cp, rng, [network_doc(NS, n, k) for n, k in desired.items()], signal.SIGKILL,
                               "create %d networks" % N)
        downtimes = [took]
        rounds = pick([signal.SIGTERM], [signal.SIGTERM, signal.SIGKILL])
        for r, sig in enumerate(rounds):
            desired = {n: rng.choice([k2 for k2 in range(0, 5) if k2 != k]) for n, k in desired.items()}
            took, ready_at = phase(cp, rng, [network_doc(NS, n, k) for n, k in desired.items()], sig,
                                   "scale round %d" % (r + 1))
            downtimes.append(took)
        writes_done = time.time()

        converge = wait_converged(cp, NS, desired, timeout=300)
        converged_at = time.time()
        after_restart = converged_at - ready_at
        log("converged %.1fs after the last restart (%.1fs after the last write)" % (after_restart,
                                                                                   converged_at - writes_done))
        try:
            creates = check_creates(cp, NS, desired)
        except AssertionError as e:
            fail(str(e))
        # Steady state: nothing changes, every RPC fails (no pod runs). Log volume stays bounded.
        window = pick(20, 40)
        restarts_before = ctl.restarts
        reconciles_before = reconciles(ctl)
        t0 = time.time()
        time.sleep(window)
        reconcile_rate = (reconciles(ctl) - reconciles_before) / (time.time() - t0) / N
        rate, top = log_rate(ctl.records(ctl.all_log_lines()), N, t0, time.time())
        kubelet.stop()
        if ctl.restarts != restarts_before:
            fail("the controller restarted in the steady window")
        problems = divergence(snapshot(cp, NS), desired)
        if problems:
            fail("diverged again in the steady window: %s" % problems[:5])

        figure("apiserver_restart_networks", N)
        figure("apiserver_downtime_s", ",".join("%.1f" % d for d in downtimes))
        figure("converge_after_restart_s", "%.1f" % after_restart)
        figure("converge_after_last_write_s", "%.1f" % (converged_at - writes_done))
        figure("converge_poll_s", "%.1f" % converge)
        figure("controller_restarts", ctl.restarts)
        figure("controller_creates", creates)
        figure("log_lines_per_s_per_network", "%.3f" % rate)
        figure("reconciles_per_s_per_network", "%.3f" % reconcile_rate)
        figure("pods_given_unreachable_ips", kubelet.patched)
        log("most frequent log messages in the steady window: %s" % top)
        if rate > MAX_LOG_LINES_PER_SECOND_PER_NETWORK:
            fail("the controller logs %.2f lines/s per network in a steady state (bound %.2f); top: %s"
                 % (rate, MAX_LOG_LINES_PER_SECOND_PER_NETWORK, top))
        if reconcile_rate > MAX_RECONCILES_PER_SECOND_PER_NETWORK:
            fail("the controller reconciles each network %.2f times a second while its nodes refuse RPC (bound %.2f):"
                 " a hot loop" % (reconcile_rate, MAX_RECONCILES_PER_SECOND_PER_NETWORK))
    log("PASS")


if __name__ == "__main__":
    main()
