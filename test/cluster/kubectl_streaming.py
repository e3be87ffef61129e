#!/usr/bin/env python3
"""kubectl logs, logs -f, exec (plain and -it with a terminal), port-forward and cp work
against a pod: the apiserver reaches the real kubelet, which streams from containerd."""

import os
import pty
import select
import socket
import subprocess
import tempfile
import time
import urllib.request

from clusterlib import BUSYBOX, Namespace, apply, check, exec_in, fail, kubectl, log, main, wait, wait_pods_ready

POD = f"""
apiVersion: v1
kind: Pod
metadata: {{name: talker, labels: {{app: talker}}}}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: {BUSYBOX}
    command: ["sh", "-c", "mkdir -p /www && echo served-from-the-pod > /www/index.html && httpd -p 8080 -h /www && i=0; while true; do i=$((i+1)); echo line $i; sleep 0.2; done"]
    ports: [{{containerPort: 8080}}]
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def follow_logs(ns):
    proc = subprocess.Popen(["kubectl", "logs", "-f", "--tail=1", "-n", ns, "talker"], stdout=subprocess.PIPE, text=True)
    try:
        seen = []
        end = time.time() + 20
        while len(seen) < 5 and time.time() < end:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                seen.append(proc.stdout.readline().strip())
        check(len(seen) >= 5, f"logs -f gave {seen}")
        numbers = [int(s.split()[1]) for s in seen if s.startswith("line ")]
        check(numbers == sorted(numbers) and len(set(numbers)) == len(numbers), f"logs -f lines out of order: {seen}")
        return seen
    finally:
        proc.kill()
        proc.wait()


def exec_with_terminal(ns):
    main_fd, child_fd = pty.openpty()
    proc = subprocess.Popen(["kubectl", "exec", "-it", "-n", ns, "talker", "--", "sh", "-c", "tty; stty size; echo done"],
                            stdin=child_fd, stdout=child_fd, stderr=child_fd)
    os.close(child_fd)
    out = b""
    end = time.time() + 30
    while time.time() < end:
        ready, _, _ = select.select([main_fd], [], [], 1)
        if ready:
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        if proc.poll() is not None and not ready:
            break
    proc.wait(timeout=10)
    os.close(main_fd)
    text = out.decode(errors="replace")
    check(proc.returncode == 0, f"kubectl exec -it exited {proc.returncode}: {text}")
    check("/dev/pts/" in text and "done" in text, f"kubectl exec -it did not get a terminal: {text!r}")
    return text.split()[0]


def port_forward(ns):
    port = free_port()
    proc = subprocess.Popen(["kubectl", "port-forward", "-n", ns, "pod/talker", f"{port}:8080"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def fetch():
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5) as r:
                return r.read().decode()
        body = wait("port-forward to answer", lambda: _try(fetch), timeout=30, interval=0.5)
        check(body.strip() == "served-from-the-pod", f"port-forward answered {body!r}")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _try(fn):
    try:
        return fn()
    except OSError:
        return None


def test():
    with Namespace("stream") as ns:
        apply(POD, ns)
        wait_pods_ready(ns, "app=talker", 1, timeout=90)
        wait("two log lines", lambda: "line 2" in kubectl("logs", "-n", ns, "talker").stdout, timeout=30)
        log("kubectl logs: ok")
        seen = follow_logs(ns)
        log(f"kubectl logs -f: {seen[0]} .. {seen[-1]}")
        out = exec_in("talker", ns, "sh", "-c", "echo out; echo err >&2; exit 3", check_rc=False)
        check(out.returncode == 3 and out.stdout.strip() == "out" and "err" in out.stderr,
              f"kubectl exec: rc {out.returncode}, stdout {out.stdout!r}, stderr {out.stderr!r}")
        piped = kubectl("exec", "-i", "-n", ns, "talker", "--", "cat", input="through stdin\n").stdout
        check(piped == "through stdin\n", f"kubectl exec -i: {piped!r}")
        log("kubectl exec (stdout, stderr, exit code, stdin): ok")
        tty = exec_with_terminal(ns)
        log(f"kubectl exec -it: terminal {tty}")
        port_forward(ns)
        log("kubectl port-forward: ok")
        with tempfile.TemporaryDirectory() as tmp:
            src = os.path.join(tmp, "up.txt")
            with open(src, "w") as f:
                f.write("copied in\n")
            kubectl("cp", src, f"{ns}/talker:/tmp/up.txt")
            check(exec_in("talker", ns, "cat", "/tmp/up.txt").stdout == "copied in\n", "kubectl cp into the pod")
            back = os.path.join(tmp, "back.html")
            kubectl("cp", f"{ns}/talker:/www/index.html", back)
            if open(back).read().strip() != "served-from-the-pod":
                fail(f"kubectl cp out of the pod gave {open(back).read()!r}")
        log("kubectl cp (both ways): ok")


if __name__ == "__main__":
    main(test)
