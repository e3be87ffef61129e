#!/usr/bin/env python3
"""Missing tools and busy ports give a one-line error naming what is wrong, never a hang.
Runs against a separate, empty state dir, so the running cluster is not touched."""

import os
import shutil
import socket
import subprocess
import tempfile
import time

from clusterlib import SCRIPT, check, log, main


def run_script(args, env, timeout=120):
    t0 = time.time()
    p = subprocess.run([SCRIPT, *args], capture_output=True, text=True, env=env, timeout=timeout)
    return p, time.time() - t0


def one_line_error(p, took, *must_contain):
    err = p.stderr.strip().splitlines()
    check(p.returncode != 0, f"exit code 0 (stderr {p.stderr!r})")
    check(len(err) == 1, f"want a one-line error, got {len(err)} lines: {p.stderr!r}")
    check(p.stdout == "", f"nothing may go to stdout on error: {p.stdout!r}")
    for s in must_contain:
        check(s in err[0], f"error {err[0]!r} does not name {s!r}")
    check(took < 60, f"took {took:.1f}s")
    return err[0]


def test():
    tmp = tempfile.mkdtemp(prefix="lc-errors-")
    try:
        env = dict(os.environ, LOCAL_CLUSTER_DIR=os.path.join(tmp, "state"))
        env.pop("KUBECONFIG", None)

        # A busy port: hold one and point the etcd port at it.
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p, took = run_script(["up"], dict(env, LOCAL_CLUSTER_ETCD_PORT=str(port)))
        line = one_line_error(p, took, str(port), "etcd")
        log(f"busy port: {line}")
        s.close()

        for component, var in [("kube-apiserver", "LOCAL_CLUSTER_APISERVER_PORT"),
                               ("kube-controller-manager", "LOCAL_CLUSTER_KCM_PORT")]:
            s = socket.socket()
            s.bind(("127.0.0.1", 0))
            s.listen(1)
            port = s.getsockname()[1]
            free = {}
            for v in ("ETCD", "ETCD_PEER", "APISERVER", "KCM", "SCHEDULER"):
                f = socket.socket()
                f.bind(("127.0.0.1", 0))
                free[f"LOCAL_CLUSTER_{v}_PORT"] = str(f.getsockname()[1])
                f.close()
            free[var] = str(port)
            p, took = run_script(["up"], dict(env, **free))
            line = one_line_error(p, took, str(port), component)
            log(f"busy port: {line}")
            s.close()

        # A missing tool: a PATH with only what the script needs before its tool check.
        stub = os.path.join(tmp, "bin")
        os.makedirs(stub)
        for tool in ("uname", "id", "dirname", "bash"):
            os.symlink(shutil.which(tool), os.path.join(stub, tool))
        p, took = run_script(["up"], dict(env, PATH=stub))
        line = one_line_error(p, took, "missing tool: ip", "iproute2")
        log(f"missing tool: {line}")

        # No cluster in that state dir: env and logs say so in one line.
        p, took = run_script(["env"], env)
        log(f"env without a cluster: {one_line_error(p, took, 'up')}")
        p, took = run_script(["logs", "nosuchpod", "-n", "nowhere"], env)
        log(f"logs without a cluster: {one_line_error(p, took, 'up')}")
        check(not os.path.exists(os.path.join(tmp, "state", "run", "etcd.pid")), "a failed up left a pid file")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main(test)
