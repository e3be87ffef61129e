#!/usr/bin/env python3
"""A pod whose service account may only `get pods` reads its projected token, calls the
API server through KUBERNETES_SERVICE_HOST/PORT, and gets 403 for `list secrets`."""

import json

from clusterlib import Namespace, apply, check, cluster_logs, kjson, kubectl, log, main, wait

CLIENT = r'''
import json, os, ssl, urllib.request, urllib.error
sa = "/var/run/secrets/kubernetes.io/serviceaccount"
token = open(sa + "/token").read()
ns = open(sa + "/namespace").read()
ctx = ssl.create_default_context(cafile=sa + "/ca.crt")
base = "https://%s:%s" % (os.environ["KUBERNETES_SERVICE_HOST"], os.environ["KUBERNETES_SERVICE_PORT"])
def call(path):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, context=ctx, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"{}")
own, body = call("/api/v1/namespaces/%s/pods/%s" % (ns, os.environ["POD_NAME"]))
secrets, sbody = call("/api/v1/namespaces/%s/secrets" % ns)
pods, _ = call("/api/v1/namespaces/%s/pods" % ns)
print("RESULT " + json.dumps({"namespace": ns, "base": base, "get_own_pod": own,
      "own_pod_ip": body.get("status", {}).get("podIP"), "list_secrets": secrets,
      "list_secrets_reason": sbody.get("reason"), "list_pods": pods, "token_len": len(token)}), flush=True)
'''

MANIFEST = """
apiVersion: v1
kind: ServiceAccount
metadata: {name: reader}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: pod-getter}
rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: reader-gets-pods}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: pod-getter}
subjects: [{kind: ServiceAccount, name: reader}]
---
apiVersion: v1
kind: Secret
metadata: {name: hidden}
stringData: {k: v}
---
apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  serviceAccountName: reader
  restartPolicy: Never
  containers:
  - name: client
    image: python:3.11-slim
    command: ["python3", "-c", %s]
    env:
    - {name: POD_NAME, valueFrom: {fieldRef: {fieldPath: metadata.name}}}
""" % json.dumps(CLIENT)


def test():
    with Namespace("satoken") as ns:
        apply(MANIFEST, ns)
        wait("client pod to finish",
             lambda: kjson("get", "pod", "client", "-n", ns)["status"].get("phase") in ("Succeeded", "Failed"), 90)
        pod = kjson("get", "pod", "client", "-n", ns)
        out = cluster_logs("client", ns)
        check(pod["status"]["phase"] == "Succeeded", f"client pod {pod['status']['phase']}: {out[-500:]}")
        lines = [l for l in out.splitlines() if l.startswith("RESULT ")]
        check(lines, f"no RESULT in the client's log: {out[-500:]}")
        res = json.loads(lines[-1][len("RESULT "):])
        log(f"in-pod client: {res}")
        check(res["namespace"] == ns, f"namespace file says {res['namespace']}")
        check(res["token_len"] > 100, "token file is empty")
        check(res["get_own_pod"] == 200, f"get own pod: HTTP {res['get_own_pod']}")
        check(res["own_pod_ip"] == pod["status"]["podIP"], "the API answered with a different pod")
        check(res["list_secrets"] == 403, f"list secrets: HTTP {res['list_secrets']} (want 403)")
        check(res["list_pods"] == 403, f"list pods: HTTP {res['list_pods']} (want 403: the Role allows only get)")
        # The token is the pod-bound projected token issued through the TokenRequest API.
        cs = pod["status"]["containerStatuses"][0]
        check(cs["state"]["terminated"]["exitCode"] == 0, f"container {cs}")
        vols = [v for v in pod["spec"]["volumes"] if v["name"].startswith("kube-api-access")]
        check(vols, "the ServiceAccount admission plugin added no kube-api-access volume")
        kubectl("get", "secret", "hidden", "-n", ns)


if __name__ == "__main__":
    main(test)
