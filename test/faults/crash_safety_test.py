"""kill -9 of the controller at random points of a create/scale/delete run; after each restart the
cluster converges to the spec, every time.

A private control plane (control_plane.py), the controller on the host with leader election (a
restarted process with the same identity takes its Lease back at once). N networks (short 30,
long 100) are created; then each round (short 5, long 20) creates, scales and deletes a random
share of them in batches while the controller is killed with SIGKILL at a random moment (and, in
half of the rounds, once more while it is catching up) and started again. After every round: every
network equals its spec (StatefulSet replicas, Pods, Service, NetworkPolicy, both Secrets,
observedGeneration), nothing is left of deleted networks (the controller manager's garbage
collector removes what they owned), and over the whole run no object was created twice (network
names are never reused, so a second "201 Created" for a name means an object was lost or
re-created). The seed is printed; KB_SEED replays a run.
"""
import threading
import time

from control_plane import ControlPlane, log, wait_until
from faultlib import (apply_docs, check_creates, delete_networks, fail, figure, network_doc, pick,
                      seeded_random, wait_converged)

N = pick(30, 100)
ROUNDS = pick(5, 20)
NS = "faultsa-crash"
BATCH = 10


def main():
    rng, seed = seeded_random()
    with ControlPlane("crash") as cp:
        cp.kubectl("create", "namespace", NS)
        ctl = cp.start_controller("a", args=["--workers", "4"])
        wait_until("the controller to be ready", ctl.ready, 90)
        serial = 0

        def new_name():
            nonlocal serial
            serial += 1
            return "net-%03d" % serial

        desired = {new_name(): rng.randint(0, 3) for _ in range(N)}
        converge_times, kills = [], 0
        for r in range(ROUNDS + 1):
            if r == 0:
                writes = [network_doc(NS, n, k) for n, k in desired.items()]
                deletes = []
                what = "create %d networks" % N
            else:
                names = sorted(desired)
                deletes = rng.sample(names, max(1, len(names) // 10))
                scaled = rng.sample([n for n in names if n not in deletes], max(1, len(names) // 5))
                for n in deletes:
                    del desired[n]
                for n in scaled:
                    desired[n] = rng.choice([k for k in range(0, 5) if k != desired[n]])
                created = [new_name() for _ in range(max(1, N - len(desired)))]
                for n in created:
                    desired[n] = rng.randint(0, 3)
                writes = [network_doc(NS, n, desired[n]) for n in scaled + created]
                what = "round %d: create %d, scale %d, delete %d" % (r, len(created), len(scaled), len(deletes))

            errors = []

            def write():
                try:
                    for i in range(0, len(writes), BATCH):
                        apply_docs(cp, writes[i:i + BATCH])
                    delete_networks(cp, NS, deletes)
                except Exception as e:  # noqa: BLE001 - reported below
                    errors.append(e)

            t = threading.Thread(target=write, daemon=True)
            t.start()
            delay = rng.uniform(0.2, 4.0)
            time.sleep(delay)
            code = ctl.restart()
            kills += 1
            log("%s; killed the controller (kill -9, exit %s) %.1fs in, restarted" % (what, code, delay))
            t.join()
            if errors:
                fail("writes failed: %s" % errors[0])
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.5, 3.0))
                ctl.restart()
                kills += 1
                log("killed it again while it caught up")
            t0 = time.time()
            try:
                wait_converged(cp, NS, desired, timeout=240)
            except AssertionError as e:
                fail("%s (seed %d): %s" % (what, seed, e))
            converge_times.append(time.time() - t0)
            log("%s: converged %.1fs after the last restart" % (what, converge_times[-1]))

        try:
            creates = check_creates(cp, NS, ["net-%03d" % i for i in range(1, serial + 1)])
        except AssertionError as e:
            fail("%s (seed %d)" % (e, seed))
        figure("crash_networks", N)
        figure("crash_rounds", ROUNDS)
        figure("crash_kills", kills)
        figure("crash_converge_after_restart_s_median", "%.1f" % sorted(converge_times)[len(converge_times) // 2])
        figure("crash_converge_after_restart_s_max", "%.1f" % max(converge_times))
        figure("crash_controller_creates", creates)
    log("PASS")


if __name__ == "__main__":
    main()
