#!/usr/bin/env python3
"""Safe by default: generated credentials that appear nowhere but their Secret, pods that pass
Pod Security "restricted", and specs the API server rejects with the field named."""
from kbtest import *

NS = None


def test_invalid_specs_are_rejected_with_the_field_named():
    cases = [
        ({"nodes": -1}, "spec.nodes"),
        ({"nodes": "x"}, "spec.nodes"),
        ({"nodes": 101}, "spec.nodes"),
        ({"nodes": 2, "topology": "hexagon"}, "spec.topology"),
        ({"nodes": 2, "topology": "custom", "customEdges": [{"from": 0, "to": 5}]}, "spec.customEdges"),
        ({"nodes": 2, "args": ["-rpcpassword=x"]}, "spec.args"),
        ({"nodes": 2, "secret": "Not_A_Name"}, "spec.secret"),
    ]
    for spec, field in cases:
        code, out, err = apply_network(NS, "bad", spec)
        assert code != 0, "accepted %s" % spec
        assert field in err, "message for %s does not name %s: %s" % (spec, field, err)
        log("rejected %s: %s" % (json.dumps(spec), err.strip().splitlines()[-1][:160]))


def test_generated_secret_never_leaks():
    apply_network(NS, "sec", {"nodes": 2, "mining": {"enabled": True, "intervalSeconds": 5}})
    wait_until("network Ready", lambda: network_ready(NS, "sec", 2), timeout=240)
    user, password = credentials(NS, "sec")
    assert len(password) >= 32, "generated password too short"
    ips = ready_ips(NS, "sec", 2)
    assert rpc(ips[0], (user, password), "getblockcount") >= 0  # the credentials work
    # Pod specs, StatefulSet, Events: nowhere.
    for what in (["pods", "-l", GROUP + "/network=sec"], ["statefulsets"], ["events"], ["btcnet", "sec"]):
        text = kubectl("-n", NS, "get", *what, "-o", "json")
        assert password not in text, "password found in %s" % what
    # The bitcoind processes' arguments on this machine.
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            try:
                with open("/proc/%s/cmdline" % pid, "rb") as f:
                    assert password.encode() not in f.read(), "password in the arguments of process %s" % pid
            except OSError:
                pass
    # The controller's logs and the nodes' logs.
    pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")["items"]
    assert pods, "no controller pod"
    for pod in pods:
        _, logs, _ = run([os.path.join(REPO, "hack", "local-cluster.sh"), "logs", pod["metadata"]["name"],
                          "-n", CONTROLLER_NS])
        assert logs.strip(), "controller logs are empty"
        assert password not in logs, "password in the controller's logs"
    for i in range(2):
        _, logs, _ = run([os.path.join(REPO, "hack", "local-cluster.sh"), "logs", "sec-sts-%d" % i, "-n", NS])
        assert password not in logs, "password in node %d's logs" % i


def test_restricted_pod_security_does_not_stop_any_pod():
    ns = fresh_namespace("kbt-psa", {"pod-security.kubernetes.io/enforce": "restricted",
                                     "pod-security.kubernetes.io/enforce-version": "latest"})
    try:
        apply_network(ns, "strict", {"nodes": 2})
        wait_until("network Ready under enforce=restricted", lambda: network_ready(ns, "strict", 2), timeout=240)
        events = kubectl("-n", ns, "get", "events", "-o", "json")
        assert "violates PodSecurity" not in events
    finally:
        delete_namespace(ns)


def test_user_secret_and_missing_secret():
    apply_network(NS, "usersec", {"nodes": 1, "secret": "mine"})
    wait_until("Degraded names the missing Secret", lambda: degraded_reason(NS, "usersec")[0] == "SecretNotFound"
               and "mine" in degraded_reason(NS, "usersec")[1], timeout=60)
    kubectl("-n", NS, "create", "secret", "generic", "mine", "--from-literal=BC_RPC_USER=alice",
            "--from-literal=BC_RPC_PASSWORD=correct-horse-battery")
    # Without the opt-in annotation the controller refuses the Secret and creates nothing with it.
    wait_until("Degraded SecretNotAllowed", lambda: degraded_reason(NS, "usersec")[0] == "SecretNotAllowed",
               timeout=120)
    code, _, _ = run(["kubectl", "-n", NS, "get", "secret", "usersec-rpcauth"], check=False)
    assert code != 0, "rpcauth Secret written from a Secret that did not opt in"
    kubectl("-n", NS, "annotate", "secret", "mine", "bitcoin.kubectl-bitcoin.dev/allowed-networks=usersec")
    wait_until("network Ready with the user's Secret", lambda: network_ready(NS, "usersec", 1), timeout=300)
    ip = ready_ips(NS, "usersec", 1)[0]
    assert rpc(ip, ("alice", "correct-horse-battery"), "getblockcount") >= 0


def test_foreign_object_is_a_conflict_and_left_alone():
    kubectl("-n", NS, "create", "service", "clusterip", "taken-svc", "--tcp=80:80")
    before = kubectl_json("-n", NS, "get", "service", "taken-svc")["metadata"]["resourceVersion"]
    apply_network(NS, "taken", {"nodes": 1})
    wait_until("Degraded Conflict naming the Service", lambda: degraded_reason(NS, "taken")[0] == "Conflict"
               and "taken-svc" in degraded_reason(NS, "taken")[1], timeout=60)
    assert kubectl_json("-n", NS, "get", "service", "taken-svc")["metadata"]["resourceVersion"] == before
    code, _, _ = run(["kubectl", "-n", NS, "get", "statefulset", "taken-sts"], check=False)
    assert code != 0, "StatefulSet created despite the conflict"


if __name__ == "__main__":
    NS = fresh_namespace("kbt-sec")
    try:
        main([test_invalid_specs_are_rejected_with_the_field_named, test_generated_secret_never_leaks,
              test_restricted_pod_security_does_not_stop_any_pod, test_user_secret_and_missing_secret,
              test_foreign_object_is_a_conflict_and_left_alone])
    finally:
        delete_namespace(NS)
