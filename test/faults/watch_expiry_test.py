"""Every watch of the controller expires (410 Gone) while it runs; every informer relists and its
cache ends right, and changes made meanwhile to each watched kind are reconciled.

The private API server runs with --watch-cache=false, so watches are served by etcd itself: a watch
resumed from a compacted revision gets 410 Gone ("too old resource version"). (With the watch
cache, a compaction alone does not expire a watch the cache still holds; only a restart does.)
The controller reaches the API server through a TCP proxy. With the proxy cut (shorter than the
Lease's renew deadline, so the controller keeps leading), each kind the controller watches is
changed behind its back: a network scaled, one deleted, one created; a StatefulSet, a Service and
a NetworkPolicy deleted; a Pod deleted. etcd is then compacted past every resourceVersion the
controller holds, and the proxy lets it in again.

Checked: every informer (BitcoinNetworks, StatefulSets, Services, Pods, NetworkPolicies; see
Controller in pkg/controller/controller.cpp) relisted (metric kubectl_bitcoin_informer_lists
and the controller's "resourceVersion expired, relisting" log line for that resource); the networks
converge to the new spec; each informer's cache holds exactly what the server holds
(kubectl_bitcoin_informer_objects against a list with the same selector). Repeated (short 1,
long 3 rounds) with new changes each time.
"""
import time

from control_plane import ControlPlane, GROUP, log, metric_value, wait_until
from faultlib import (TcpProxy, apply_docs, delete_networks, fail, figure, network_doc, pick, seeded_random,
                      wait_converged)

NS = "faultsa-watch"
RESOURCES = {  # informer resource -> (kubectl resource, label selector the controller's informer uses)
    "bitcoinnetworks": ("bitcoinnetworks." + GROUP, ""),
    "statefulsets": ("statefulsets", "app.kubernetes.io/managed-by=kubectl-bitcoin"),
    "services": ("services", "app.kubernetes.io/managed-by=kubectl-bitcoin"),
    "networkpolicies": ("networkpolicies", "app.kubernetes.io/managed-by=kubectl-bitcoin"),
    "pods": ("pods", GROUP + "/network"),
}


def informer_metrics(ctl, name):
    text = ctl.metrics()
    return {r: metric_value(text, name, {"resource": r}) for r in RESOURCES}


def server_counts(cp):
    out = {}
    for r, (kind, selector) in RESOURCES.items():
        args = ["get", kind, "-A", "-o", "name"] + (["-l", selector] if selector else [])
        out[r] = len(cp.kubectl(*args).split())
    return out


def change_everything(cp, rng, desired, serial):
    """Changes each watched kind: returns the new desired spec."""
    names = sorted(desired)
    scaled, deleted, kept = names[0], names[1], names[2:]
    desired = dict(desired)
    desired[scaled] = desired[scaled] % 3 + 1
    del desired[deleted]
    created = "net-new-%d" % serial
    desired[created] = rng.randint(1, 2)
    apply_docs(cp, [network_doc(NS, scaled, desired[scaled]), network_doc(NS, created, desired[created])])
    delete_networks(cp, NS, [deleted])
    sts, svc, pol, pod = rng.sample(kept, 4)
    cp.kubectl("-n", NS, "delete", "--wait=false", "statefulset/%s-sts" % sts, "service/%s-svc" % svc,
               "networkpolicy/%s-peers" % pol, "pod/%s-sts-0" % pod)
    log("round %d behind the controller's back: scaled %s, deleted %s, created %s; deleted the StatefulSet of %s, "
        "the Service of %s, the NetworkPolicy of %s, a Pod of %s" % (serial, scaled, deleted, created, sts, svc,
                                                                   pol, pod))
    return desired


def main():
    rng, _ = seeded_random()
    rounds = pick(1, 3)
    with ControlPlane("watch", apiserver_args=["--watch-cache=false"]) as cp:
        proxy = TcpProxy(cp.apiserver_port)
        kubeconfig = cp.controller_kubeconfig("https://127.0.0.1:%d" % proxy.port)
        cp.kubectl("create", "namespace", NS)
        desired = {"net-%d" % i: 2 for i in range(8)}
        apply_docs(cp, [network_doc(NS, n, k) for n, k in desired.items()])
        ctl = cp.start_controller("a", kubeconfig=kubeconfig)
        wait_until("the controller to be ready", ctl.ready, 90)
        wait_converged(cp, NS, desired, timeout=120)

        relist_seconds = []
        for serial in range(1, rounds + 1):
            before = informer_metrics(ctl, "kubectl_bitcoin_informer_lists")
            log_mark = len(ctl.log_lines())
            proxy.cut()
            t_cut = time.time()
            desired = change_everything(cp, rng, desired, serial)
            # A write after the last change, then compaction: every resourceVersion the
            # controller holds is older than the compacted revision.
            cp.kubectl("-n", NS, "create", "configmap", "mark-%d" % serial)
            revision = cp.compact_etcd()
            cut_for = time.time() - t_cut
            if cut_for > 8:
                fail("the cut lasted %.1fs, too close to the Lease's renew deadline (10s)" % cut_for)
            proxy.resume()
            t_resume = time.time()
            log("compacted etcd at revision %d; controller cut off for %.1fs" % (revision, cut_for))

            relisted = wait_until("every informer to relist", lambda: all(
                (informer_metrics(ctl, "kubectl_bitcoin_informer_lists")[r] or 0) > (before[r] or 0)
                for r in RESOURCES), timeout=60)
            relist_seconds.append(time.time() - t_resume)
            converge = wait_converged(cp, NS, desired, timeout=180)
            log("round %d: every informer relisted %.1fs after the cut ended; converged after %.1fs"
                % (serial, relist_seconds[-1], converge))
            assert relisted
            expired_lines = [line for line in ctl.log_lines()[log_mark:] if "expired, relisting" in line]
            for line in expired_lines:
                log("controller: " + line[:240])
            for r, (kind, _) in RESOURCES.items():
                if not any(kind.split(".")[0] in line for line in expired_lines):
                    fail("no 'resourceVersion expired, relisting' line for %s; lines: %s" % (kind, expired_lines))

            def caches_right():
                cached = informer_metrics(ctl, "kubectl_bitcoin_informer_objects")
                server = server_counts(cp)
                if cached != {r: float(v) for r, v in server.items()}:
                    raise AssertionError("cached %s, on the server %s" % (cached, server))
                return True

            wait_until("every informer's cache to hold what the server holds", caches_right, timeout=60)
            if not ctl.alive():
                fail("the controller exited (it must keep leading through a short cut)")

        figure("watch_expiry_rounds", rounds)
        figure("relist_after_cut_s", ",".join("%.1f" % s for s in relist_seconds))
        log("lists per informer: %s" % informer_metrics(ctl, "kubectl_bitcoin_informer_lists"))
    log("PASS")


if __name__ == "__main__":
    main()
