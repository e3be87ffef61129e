#!/usr/bin/env python3
"""A Deployment whose image is the project's controller image runs the mapped
kubectl-bitcoin binary with the in-cluster environment.

The mapping is exercised with a stand-in written here (selected through the state
dir's images.env, which the node agent reads at every container start), so the test
is real about the mapping whether or not build/kubectl-bitcoin exists. When the real
binary exists, a second pod runs `kubectl-bitcoin version` with it."""

import json
import os
import tempfile

from clusterlib import (REPO, Namespace, apply, check, cluster_logs, kjson, kubectl, log, main, wait,
                        wait_pods_ready)

STAND_IN = r'''#!/usr/bin/env python3
import json, os, ssl, sys, urllib.request
from http.server import BaseHTTPRequestHandler, HTTPServer
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
def api(path):
    req = urllib.request.Request("https://%s:%s%s" % (os.environ["KUBERNETES_SERVICE_HOST"],
        os.environ["KUBERNETES_SERVICE_PORT"], path), headers={"Authorization": "Bearer " + open(sa + "/token").read()})
    try:
        return urllib.request.urlopen(req, context=ssl.create_default_context(cafile=sa + "/ca.crt"), timeout=5).status
    except urllib.error.HTTPError as e:
        return e.code
class H(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({"argv": sys.argv, "env": dict(os.environ), "version_status": api("/version"),
                           "cwd": os.getcwd(), "uid": os.getuid()}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json"); self.end_headers()
        self.wfile.write(body)
print("stand-in kubectl-bitcoin", sys.argv[1:], flush=True)
HTTPServer(("0.0.0.0", 8080), H).serve_forever()
'''

MANIFEST = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: controller}
spec:
  replicas: 1
  selector: {matchLabels: {app: controller}}
  template:
    metadata: {labels: {app: controller}}
    spec:
      containers:
      - name: manager
        image: ghcr.io/example/kubectl-bitcoin:dev
        args: ["serve", "--port=8080"]
        ports: [{name: http, containerPort: 8080}]
        readinessProbe: {httpGet: {path: /healthz, port: http}, periodSeconds: 1}
"""

REAL = """
apiVersion: v1
kind: Pod
metadata: {name: real}
spec:
  restartPolicy: Never
  containers:
  - name: kubectl-bitcoin
    image: kubectl-bitcoin:latest
    args: ["version"]
"""


def test():
    state = os.environ["LOCAL_CLUSTER_DIR"]
    images_env = os.path.join(state, "images.env")
    saved = open(images_env).read() if os.path.exists(images_env) else None
    tmp = tempfile.mkdtemp(prefix="stand-in-")
    os.chmod(tmp, 0o755)
    stand_in = os.path.join(tmp, "kubectl-bitcoin")
    with open(stand_in, "w") as f:
        f.write(STAND_IN)
    os.chmod(stand_in, 0o755)
    try:
        with open(images_env, "w") as f:
            f.write(f"KUBECTL_BITCOIN_BIN={stand_in}\n")
        with Namespace("ctrlimg") as ns:
            apply(MANIFEST, ns)
            pods = wait_pods_ready(ns, "app=controller", 1, timeout=60)
            name = pods[0]["metadata"]["name"]
            doc = json.loads(kubectl("get", "--raw", f"/api/v1/namespaces/{ns}/pods/{name}:8080/proxy/").stdout)
            check(doc["argv"][0] == stand_in, f"argv[0] is {doc['argv'][0]}, not the mapped binary")
            check(doc["argv"][1:] == ["serve", "--port=8080"], f"args {doc['argv'][1:]}")
            env = doc["env"]
            check(env.get("KUBERNETES_SERVICE_HOST") and env.get("KUBERNETES_SERVICE_PORT"),
                  "no in-cluster KUBERNETES_SERVICE_HOST/PORT")
            check(doc["version_status"] == 200, f"in-cluster call to /version: HTTP {doc['version_status']}")
            check(env.get("HOSTNAME") == name, f"HOSTNAME {env.get('HOSTNAME')}")
            log(f"controller image ran {doc['argv']} with KUBERNETES_SERVICE_HOST={env['KUBERNETES_SERVICE_HOST']}")
            check("stand-in kubectl-bitcoin" in cluster_logs(name, ns), "container log is missing")
    finally:
        if saved is None:
            os.remove(images_env)
        else:
            with open(images_env, "w") as f:
                f.write(saved)

    real = os.environ.get("KUBECTL_BITCOIN_BIN") or os.path.join(REPO, "build", "kubectl-bitcoin")
    if not os.access(real, os.X_OK):
        log(f"{real} not built: skipping the run of the real binary")
        return
    with Namespace("ctrlreal") as ns:
        apply(REAL, ns)
        wait("real kubectl-bitcoin to finish",
             lambda: kjson("get", "pod", "real", "-n", ns)["status"].get("phase") in ("Succeeded", "Failed"), 60)
        pod = kjson("get", "pod", "real", "-n", ns)
        out = cluster_logs("real", ns)
        check(pod["status"]["phase"] == "Succeeded", f"kubectl-bitcoin version in a pod: {pod['status']['phase']}: {out[-300:]}")
        log(f"real {real} ran in a pod: {out.strip()[:120]}")


if __name__ == "__main__":
    main(test)
