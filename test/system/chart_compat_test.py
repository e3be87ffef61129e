#!/usr/bin/env python3
"""`kubectl bitcoin template` and real `helm template` (built by the local-cluster tooling) give
the same documents in the same `# Source:` order, for the default values and a matrix of value
sets; `helm lint` passes. No cluster needed: both render offline."""
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
from kbtest import BUILD, ENV, REPO, log, main  # noqa: E402

import json  # noqa: E402

CHART = os.path.join(REPO, "chart", "bitcoin-controller")

MATRIX = [
    [],
    ["--set", "replicaCount=2"],
    ["--set", "controller.watchNamespace=team-a"],
    ["--set", "leaderElection.enabled=false,rbac.create=false,serviceAccount.create=false"],
    ["--set", "serviceAccount.name=custom-sa,fullnameOverride=btc"],
    ["--set", "nameOverride=other"],
    ["--set", "metrics.serviceMonitor.enabled=true,networkPolicy.enabled=true"],
    ["--set", "controller.networkPolicyPerNetwork=false,controller.logFormat=text"],
    ["--set", "image.tag=dev,image.pullPolicy=Never", "--set-string", "podAnnotations.a=1"],
    ["--set", "nodeSelector.disk=ssd,priorityClassName=high", "--set-json",
     'tolerations=[{"key":"k","operator":"Exists"}]'],
    ["--set", "imagePullSecrets[0].name=regcred,podLabels.team=btc"],
    ["--set-json", 'networks.allowedImages=["bitcoin/bitcoin","docker.io/bitcoin/bitcoin"]'],
    ["--set", "networkPolicy.gateway.from[0].ipBlock.cidr=10.0.0.0/24,networkPolicy.metrics.from[0].podSelector.matchLabels.app=prom"],
    ["--set", "networkPolicy.enabled=false"],
]


def documents(text):
    """[(source, parsed document)] in order, parsed by PyYAML when present, else compared as text."""
    out = []
    for chunk in text.split("\n---\n"):
        chunk = chunk.strip().lstrip("-").strip()
        if not chunk:
            continue
        lines = chunk.splitlines()
        source = lines[0][len("# Source: "):] if lines and lines[0].startswith("# Source: ") else ""
        body = "\n".join(lines[1:] if source else lines)
        out.append((source, yaml_load(body)))
    return out


def yaml_load(text):
    try:
        import yaml  # PyYAML, if the machine has it
        return yaml.safe_load(text)
    except ImportError:
        return text.strip()


def render(tool, flags):
    if tool == "helm":
        args = ["helm", "template", "bitcoin-controller", CHART, "-n", "bitcoin-controller", *flags]
    else:
        args = [os.path.join(BUILD, "kubectl-bitcoin"), "template", "-n", "bitcoin-controller", *flags]
    proc = subprocess.run(args, env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, "%s failed: %s" % (" ".join(args), proc.stderr)
    return proc.stdout


def test_helm_lint_passes():
    proc = subprocess.run(["helm", "lint", CHART], env=ENV, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_same_documents_as_helm_template():
    for flags in MATRIX:
        ours, theirs = documents(render("kubectl-bitcoin", flags)), documents(render("helm", flags))
        assert [s for s, _ in ours] == [s for s, _ in theirs], "Source order differs for %s:\n%s\n%s" % (
            flags, [s for s, _ in ours], [s for s, _ in theirs])
        for (source, a), (_, b) in zip(ours, theirs):
            assert a == b, "document %s differs for %s:\nours:   %s\nhelm's: %s" % (
                source, flags, json.dumps(a, sort_keys=True)[:2000], json.dumps(b, sort_keys=True)[:2000])
        log("same %d documents for %s" % (len(ours), " ".join(flags) or "defaults"))


def test_crds_identical_to_manifests():
    with open(os.path.join(REPO, "manifests", "crd.yaml")) as a, open(os.path.join(CHART, "crds", "crd.yaml")) as b:
        assert a.read() == b.read(), "chart/bitcoin-controller/crds/crd.yaml differs from manifests/crd.yaml"


if __name__ == "__main__":
    main([test_crds_identical_to_manifests, test_helm_lint_passes, test_same_documents_as_helm_template])
