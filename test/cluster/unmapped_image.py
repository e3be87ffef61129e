#!/usr/bin/env python3
"""A pod whose image has no mapping waits with reason ImageNotMapped and an Event, and
the node agent goes on running the other pods."""

from clusterlib import Namespace, apply, check, kjson, log, main, wait, wait_pods_ready

MANIFEST = """
apiVersion: v1
kind: Pod
metadata: {name: nomap}
spec:
  containers:
  - {name: web, image: "nginx:1.27"}
---
apiVersion: v1
kind: Pod
metadata: {name: fine, labels: {app: fine}}
spec:
  containers:
  - {name: sleeper, image: busybox, command: ["sleep", "3600"]}
"""


def test():
    with Namespace("nomap") as ns:
        apply(MANIFEST, ns)

        def waiting():
            st = kjson("get", "pod", "nomap", "-n", ns)["status"]
            for cs in st.get("containerStatuses", []):
                w = cs["state"].get("waiting")
                if w and w.get("reason") == "ImageNotMapped":
                    return w
            return None

        w = wait("ImageNotMapped waiting reason", waiting, 60)
        check("nginx:1.27" in w.get("message", ""), f"message does not name the image: {w}")
        pod = kjson("get", "pod", "nomap", "-n", ns)
        check(pod["status"]["phase"] == "Pending", f"phase {pod['status']['phase']}")

        def event():
            evs = kjson("get", "events", "-n", ns, "--field-selector", "involvedObject.name=nomap")["items"]
            return [e for e in evs if e["type"] == "Warning" and "ImageNotMapped" in e["message"]]

        evs = wait("a Warning event for the unmapped image", event, 30)
        log(f"waiting: {w['message']}; event: {evs[0]['reason']}")
        wait_pods_ready(ns, "app=fine", 1, timeout=60)
        log("the other pod runs")


if __name__ == "__main__":
    main(test)
