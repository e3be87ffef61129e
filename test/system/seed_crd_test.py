#!/usr/bin/env python3
"""Keeps hack/bench/seed honest without the original controller's binary: its CRD, restated as
apiextensions.k8s.io/v1, and its RBAC, on a real API server (the private control plane of
test/faults/control_plane.py; CRDs and ClusterRoles are cluster-wide, so not the shared cluster).

- the CRD is accepted, becomes Established and is structural;
- a network in the shape of the original's README example is stored unchanged; one without
  spec.nodes, or with a string there, is refused naming the field;
- the status the original controller writes through the status subresource (every field of its
  Go type, and `nodes: null` for a network without pods) is stored unchanged;
- the ServiceAccount may do exactly what the original calls, and not what it does not call.
"""
import json
import os
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
sys.path.insert(0, os.path.join(REPO, "test", "faults"))
import control_plane  # noqa: E402

SEED_DIR = os.path.join(REPO, "hack", "bench", "seed")
GROUP = "bitcoincontroller.christianb93.github.com"
CRD = "bitcoinnetworks." + GROUP
SA = "system:serviceaccount:bitcoin-controller:bitcoin-controller-sva"
NS = "seed-crd"


def network(name, spec):
    return {"apiVersion": GROUP + "/v1", "kind": "BitcoinNetwork", "metadata": {"name": name, "namespace": NS},
            "spec": spec}


def create(cp, doc):
    """Creates doc as the admin; returns (ok, kubectl's output)."""
    proc = subprocess.run([os.path.join(cp.bin, "kubectl"), "--kubeconfig", cp.kubeconfig, "create", "-f", "-",
                           "-o", "json"], input=json.dumps(doc), capture_output=True, text=True, timeout=60)
    return proc.returncode == 0, proc.stdout + proc.stderr


def check(condition, what, detail=""):
    if not condition:
        raise AssertionError("%s; got: %s" % (what, detail))
    control_plane.log("ok:", what)


def main():
    with control_plane.ControlPlane("seed-crd") as cp:
        cp.kubectl("apply", "-f", os.path.join(SEED_DIR, "crd.yaml"))
        control_plane.wait_until("the CRD to be established", lambda: cp.kubectl(
            "get", "crd", CRD, "-o", "jsonpath={.status.conditions[?(@.type==\"Established\")].status}") == "True",
                                 timeout=30)
        conditions = {c["type"]: c["status"] for c in cp.kubectl_json("get", "crd", CRD)["status"]["conditions"]}
        check(conditions.get("NonStructuralSchema") is None,
              "the restated schema is structural", conditions)
        cp.kubectl("create", "namespace", NS)

        ok, out = create(cp, network("readme-shape", {"nodes": 3, "secret": "bitcoin-default-secret"}))
        check(ok, "the README's example shape is accepted", out)
        check(json.loads(out)["spec"] == {"nodes": 3, "secret": "bitcoin-default-secret"},
              "its spec is stored unchanged", out)
        # What the original's client sends for a network without a secret: "" (no omitempty).
        ok, out = create(cp, network("no-secret", {"nodes": 1, "secret": ""}))
        check(ok and json.loads(out)["spec"] == {"nodes": 1, "secret": ""},
              "an empty secret, as the original's client sends it, is kept", out)

        ok, out = create(cp, network("no-nodes", {"secret": "s"}))
        check(not ok and "spec.nodes" in out and "Required" in out,
              "a spec without nodes is refused naming spec.nodes", out)
        ok, out = create(cp, network("string-nodes", {"nodes": "three"}))
        check(not ok and "spec.nodes" in out, "a string in spec.nodes is refused naming it", out)
        ok, out = create(cp, network("huge-nodes", {"nodes": 2 ** 31}))
        check(not ok and "spec.nodes" in out, "a count beyond int32 is refused naming spec.nodes", out)

        # The status the original writes with UpdateStatus: first for a network without pods...
        path = "/apis/%s/v1/namespaces/%s/bitcoinnetworks/readme-shape/status" % (GROUP, NS)
        obj = cp.api("GET", path)
        obj["status"] = {"nodes": None}
        stored = cp.api("PUT", path, obj)
        check(stored.get("status") == {"nodes": None},
              "status.nodes null (no pods yet) is accepted and kept", stored.get("status"))
        # ...then with a node, every field of its Go type.
        node = {"ordinal": 0, "ready": True, "ip": "10.244.0.7", "nodeName": "readme-shape-sts-0",
                "dnsName": "readme-shape-sts-0.readme-shape-svc"}
        stored["status"] = {"nodes": [node]}
        stored = cp.api("PUT", path, stored)
        check(stored["status"] == {"nodes": [node]},
              "every status field the original writes is kept", stored["status"])
        check(cp.api("GET", path)["spec"] == {"nodes": 3, "secret": "bitcoin-default-secret"},
              "a status write leaves spec alone")

        cp.kubectl("apply", "-f", os.path.join(SEED_DIR, "rbac.yaml"))
        allowed = [("list", "bitcoinnetworks." + GROUP), ("watch", "bitcoinnetworks." + GROUP),
                   ("update", "bitcoinnetworks." + GROUP, "--subresource=status"),
                   ("create", "statefulsets.apps"), ("update", "statefulsets.apps"), ("watch", "statefulsets.apps"),
                   ("create", "services"), ("list", "services"), ("watch", "pods"), ("list", "pods"),
                   ("create", "events"), ("patch", "events"), ("get", "secrets/bitcoin-default-secret")]
        denied = [("get", "bitcoinnetworks." + GROUP), ("update", "bitcoinnetworks." + GROUP),
                  ("delete", "statefulsets.apps"), ("update", "services"), ("delete", "services"),
                  ("create", "pods"), ("get", "secrets/other"), ("list", "secrets"), ("delete", "events")]
        for expected, cases in (("yes", allowed), ("no", denied)):
            for case in cases:
                answer = cp.kubectl("auth", "can-i", *case, "-n", NS, "--as", SA, check=False).strip()
                check(answer == expected, "can-i %s: %s" % (" ".join(case), expected), answer)
    print("seed_crd: all checks passed")


if __name__ == "__main__":
    main()
