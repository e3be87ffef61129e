#!/usr/bin/env python3
"""Real kubectl against the local cluster: the node is Ready and RBAC answers per Role."""

from clusterlib import Namespace, check, kjson, kubectl, log, main


def test():
    nodes = kjson("get", "nodes")["items"]
    check(len(nodes) == 1, f"want 1 node, got {len(nodes)}")
    node = nodes[0]
    ready = [c for c in node["status"]["conditions"] if c["type"] == "Ready"]
    check(ready and ready[0]["status"] == "True", f"node {node['metadata']['name']} is not Ready: {ready}")
    for r in ("cpu", "memory", "pods"):
        check(r in node["status"]["capacity"], f"node capacity lacks {r}")
    out = kubectl("get", "nodes").stdout
    check(" Ready " in out, f"kubectl get nodes does not show Ready:\n{out}")
    log(f"node {node['metadata']['name']} Ready, capacity {node['status']['capacity']}")

    ver = kjson("version")["serverVersion"]["gitVersion"]
    check(ver.startswith("v1."), f"server version {ver!r} is not a release version")

    def can_i(*args):
        p = kubectl("auth", "can-i", *args, check_rc=False)
        return p.stdout.strip()

    check(can_i("*", "*", "--all-namespaces") == "yes", "the admin kubeconfig is not cluster-admin")
    with Namespace("rbac") as ns:
        kubectl("create", "serviceaccount", "reader", "-n", ns)
        kubectl("create", "role", "pod-getter", "--verb=get", "--resource=pods", "-n", ns)
        kubectl("create", "rolebinding", "reader-gets-pods", "--role=pod-getter",
                f"--serviceaccount={ns}:reader", "-n", ns)
        sa = f"system:serviceaccount:{ns}:reader"
        cases = [
            (["get", "pods"], "yes"),
            (["list", "pods"], "no"),
            (["list", "secrets"], "no"),
            (["get", "secrets"], "no"),
            (["delete", "pods"], "no"),
        ]
        for verb_res, want in cases:
            got = can_i(*verb_res, "-n", ns, f"--as={sa}")
            check(got == want, f"can-i {' '.join(verb_res)} as {sa}: want {want}, got {got}")
        got = can_i("get", "pods", "-n", "default", f"--as={sa}")
        check(got == "no", f"the Role leaked into namespace default: {got}")
        # The controller-manager runs each controller with its own service account.
        got = can_i("create", "pods", "-n", ns, "--as=system:serviceaccount:kube-system:replicaset-controller")
        check(got == "yes", f"replicaset-controller cannot create pods: {got}")
        log("kubectl auth can-i answers per RBAC")


if __name__ == "__main__":
    main(test)
