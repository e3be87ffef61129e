#!/usr/bin/env python3
"""Fixture for the system tests: `kubectl bitcoin install` brings up a Ready controller pod,
running the binary under test with its own service account and RBAC."""
from kbtest import *


def test_install_brings_up_a_ready_controller():
    code, out, err = plugin("install", "--wait", "--timeout", "5m")
    log(out + err)
    deployment = kubectl_json("-n", CONTROLLER_NS, "get", "deployment", "bitcoin-controller")
    assert deployment["status"].get("availableReplicas") == 1, deployment["status"]
    pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")["items"]
    assert len([p for p in pods if pod_ready(p)]) == 1
    assert pods[0]["spec"]["serviceAccountName"] == "bitcoin-controller"


if __name__ == "__main__":
    main([test_install_brings_up_a_ready_controller])
