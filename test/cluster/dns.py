#!/usr/bin/env python3
"""The cluster DNS (CoreDNS behind kube-dns): a pod resolves a ClusterIP Service by its short
and its full name, and a StatefulSet pod by its stable name behind a headless Service."""

from clusterlib import BUSYBOX, Namespace, apply, check, exec_in, kjson, log, main, wait, wait_pods_ready

MANIFEST = f"""
apiVersion: v1
kind: Service
metadata: {{name: web}}
spec:
  selector: {{app: demo}}
  ports: [{{port: 80}}]
---
apiVersion: v1
kind: Service
metadata: {{name: demo-svc}}
spec:
  clusterIP: None
  selector: {{app: demo}}
  ports: [{{port: 80}}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {{name: demo-sts}}
spec:
  serviceName: demo-svc
  replicas: 1
  selector: {{matchLabels: {{app: demo}}}}
  template:
    metadata: {{labels: {{app: demo}}}}
    spec:
      terminationGracePeriodSeconds: 1
      containers: [{{name: c, image: {BUSYBOX}, command: ["sleep", "3600"]}}]
---
apiVersion: v1
kind: Pod
metadata: {{name: client, labels: {{app: client}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers: [{{name: c, image: {BUSYBOX}, command: ["sleep", "3600"]}}]
"""


def resolve(ns, name):
    out = exec_in("client", ns, "nslookup", name, check_rc=False).stdout
    # busybox nslookup: the server first, then "Name: ..." / "Address: ..." of the answer.
    answer = out.split("Name:", 1)[1] if "Name:" in out else ""
    return [line.split()[-1] for line in answer.splitlines() if line.strip().startswith("Address")]


def test():
    with Namespace("dns") as ns:
        apply(MANIFEST, ns)
        wait_pods_ready(ns, "app=demo", 1, timeout=90)
        wait_pods_ready(ns, "app=client", 1, timeout=90)
        cluster_ip = kjson("get", "service", "web", "-n", ns)["spec"]["clusterIP"]
        pod_ip = kjson("get", "pod", "demo-sts-0", "-n", ns)["status"]["podIP"]
        resolv = exec_in("client", ns, "cat", "/etc/resolv.conf").stdout
        check("nameserver 10.96.0.10" in resolv and f"{ns}.svc.cluster.local" in resolv, f"resolv.conf: {resolv}")
        for name, want in (("web", cluster_ip), (f"web.{ns}.svc.cluster.local", cluster_ip),
                           (f"demo-sts-0.demo-svc.{ns}.svc.cluster.local", pod_ip),
                           ("kubernetes.default.svc.cluster.local", kjson("get", "service", "kubernetes", "-n", "default")["spec"]["clusterIP"])):
            got = wait(f"{name} to resolve to {want}", lambda: want in resolve(ns, name) and resolve(ns, name), timeout=30)
            log(f"{name} -> {got}")


if __name__ == "__main__":
    main(test)
