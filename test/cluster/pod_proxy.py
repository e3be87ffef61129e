#!/usr/bin/env python3
"""The API server's pod proxy and service proxy reach a pod's HTTP port, and another
pod reaches the Service's ClusterIP (DNAT by the node agent)."""

import json

from clusterlib import Namespace, apply, check, cluster_logs, kjson, kubectl, log, main, wait, wait_pods_ready

MANIFEST = """
apiVersion: v1
kind: ConfigMap
metadata: {name: site}
data: {hello.txt: "hello from the pod\\n"}
---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Pod
metadata: {name: web, labels: {app: web}}
spec:
  containers:
  - name: web
    image: python:3.11
    command: ["python3", "-m", "http.server", "8080", "--directory", "/site"]
    ports: [{name: http, containerPort: 8080}]
    volumeMounts: [{name: site, mountPath: /site}]
    readinessProbe: {httpGet: {path: /hello.txt, port: http}, periodSeconds: 1}
  volumes:
  - {name: site, configMap: {name: site}}
"""

CLIENT = """
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  restartPolicy: Never
  containers:
  - name: client
    image: busybox
    command: ["python3", "-c", %s]
"""

CLIENT_CODE = r'''
import json, os, urllib.request
out = {}
for name, url in [("clusterip", "http://%s:%s/hello.txt" % (os.environ["WEB_SERVICE_HOST"], os.environ["WEB_SERVICE_PORT"])),
                  ("dns", "http://web/hello.txt")]:
    try:
        out[name] = urllib.request.urlopen(url, timeout=10).read().decode()
    except Exception as e:
        out[name] = "ERROR %s" % e
print("RESULT " + json.dumps(out), flush=True)
'''


def test():
    with Namespace("proxy") as ns:
        apply(MANIFEST, ns)
        wait_pods_ready(ns, "app=web", 1, timeout=60)
        body = kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/pods/web:8080/proxy/hello.txt").stdout
        check(body == "hello from the pod\n", f"pods/proxy returned {body!r}")
        log("pods/proxy reaches the pod's HTTP port")

        def svc_proxy():
            p = kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/services/web:http/proxy/hello.txt", check_rc=False)
            return p.returncode == 0 and p.stdout == "hello from the pod\n"

        wait("services/proxy (needs the EndpointSlice)", svc_proxy, 60)
        log("services/proxy reaches the pod through its endpoints")

        apply(CLIENT % json.dumps(CLIENT_CODE), ns)
        wait("client pod to finish",
             lambda: kjson("get", "pod", "client", "-n", ns)["status"].get("phase") in ("Succeeded", "Failed"), 60)
        out = cluster_logs("client", ns)
        lines = [l for l in out.splitlines() if l.startswith("RESULT ")]
        check(lines, f"client printed no RESULT: {out[-400:]}")
        res = json.loads(lines[-1][7:])
        check(res["clusterip"] == "hello from the pod\n", f"ClusterIP from a pod: {res['clusterip']!r}")
        check(res["dns"] == "hello from the pod\n", f"service name from a pod: {res['dns']!r}")
        log("another pod reaches the Service by ClusterIP and by name")

        # kubectl logs goes through the API server to the node agent's log endpoint.
        logs = kubectl("logs", "web", "-n", ns).stdout
        check("GET /hello.txt" in logs, f"kubectl logs web: {logs[-300:]!r}")
        log("kubectl logs works")

        # kubectl exec goes the same way (SPDY from the apiserver to the agent).
        out = kubectl("exec", "web", "-n", ns, "--", "sh", "-c", "cat /site/hello.txt; hostname").stdout
        check(out == "hello from the pod\nweb\n", f"kubectl exec: {out!r}")
        p = kubectl("exec", "web", "-n", ns, "--", "sh", "-c", "exit 4", check_rc=False)
        check(p.returncode == 4, f"kubectl exec exit code {p.returncode} (want 4)")
        out = kubectl("exec", "-i", "web", "-n", ns, "--", "cat", input="via stdin").stdout
        check(out == "via stdin", f"kubectl exec -i: {out!r}")
        log("kubectl exec works (stdout, exit code, stdin)")


if __name__ == "__main__":
    main(test)
