#!/usr/bin/env python3
"""Security contexts are enforced by the real runtime: a read-only root file system refuses a
write to / and allows one to an emptyDir; runAsUser is the process's uid; capabilities.drop
[ALL] leaves an empty effective set; a memory limit is the container's cgroup limit; a
namespace enforcing Pod Security "restricted" admits such a pod and refuses a privileged one."""

from clusterlib import BUSYBOX, Namespace, apply, check, exec_in, kubectl, log, main, wait_pods_ready

POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: locked, labels: {{app: locked}}}}
spec:
  terminationGracePeriodSeconds: 1
  securityContext: {{runAsNonRoot: true, runAsUser: 1234, runAsGroup: 2345, seccompProfile: {{type: RuntimeDefault}}}}
  containers:
  - name: c
    image: {BUSYBOX}
    command: ["sleep", "3600"]
    securityContext: {{allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: {{drop: [ALL]}}}}
    resources: {{limits: {{memory: 64Mi, cpu: 200m}}, requests: {{memory: 32Mi, cpu: 10m}}}}
    volumeMounts: [{{name: scratch, mountPath: /scratch}}]
  volumes: [{{name: scratch, emptyDir: {{}}}}]
"""

PRIVILEGED = f"""
apiVersion: v1
kind: Pod
metadata: {{name: privileged}}
spec:
  containers:
  - {{name: c, image: {BUSYBOX}, command: ["sleep", "3600"], securityContext: {{privileged: true}}}}
"""


def test():
    with Namespace("secctx") as ns:
        kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted")
        refused = kubectl("apply", "-n", ns, "-f", "-", input=PRIVILEGED, check_rc=False)
        check(refused.returncode != 0 and "restricted" in refused.stderr,
              f"a privileged pod was not refused by Pod Security restricted: {refused.stderr or refused.stdout}")
        apply(POD, ns)
        wait_pods_ready(ns, "app=locked", 1, timeout=90)
        ids = exec_in("locked", ns, "id").stdout
        check("uid=1234" in ids and "gid=2345" in ids, f"id in the container: {ids}")
        write_root = exec_in("locked", ns, "sh", "-c", "echo x > /written 2>&1; echo rc=$?", check_rc=False).stdout
        check("rc=0" not in write_root, f"a write to / succeeded on a read-only root file system: {write_root}")
        exec_in("locked", ns, "sh", "-c", "echo x > /scratch/written && cat /scratch/written")
        caps = exec_in("locked", ns, "sh", "-c", "grep -E '^Cap(Eff|Prm)' /proc/self/status").stdout
        check(all(line.split()[1] == "0000000000000000" for line in caps.splitlines()), f"capabilities: {caps}")
        limit = exec_in("locked", ns, "sh", "-c",
                        "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max").stdout.strip()
        check(limit == str(64 * 1024 * 1024), f"the container's memory limit in its cgroup is {limit}")
        seccomp = exec_in("locked", ns, "sh", "-c", "awk '/^Seccomp:/ {print $2}' /proc/self/status").stdout.strip()
        check(seccomp == "2", f"the RuntimeDefault seccomp profile is not applied (Seccomp: {seccomp})")
        log("read-only root, runAsUser/Group, no capabilities, seccomp filter and the memory limit are enforced; "
            "Pod Security restricted refuses a privileged pod")


if __name__ == "__main__":
    main(test)
