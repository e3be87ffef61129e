#!/usr/bin/env python3
"""Least privilege: the controller's ServiceAccount can do exactly what docs/controller-permissions.txt
lists (the requests the code sends), nothing more; in particular it cannot list Secrets anywhere.
Uses `kubectl auth can-i --as=system:serviceaccount:...` (the test's kubeconfig must allow
impersonation, as the local cluster's admin does)."""
import re

from kbtest import *

SA = "system:serviceaccount:%s:bitcoin-controller" % CONTROLLER_NS
EXPECTED_FILE = os.path.join(REPO, "docs", "controller-permissions.txt")


def expected():
    """{scope: {(resource, resource_name): set(verbs)}}; resource_name "" for all."""
    out = {"any": {}, "controller": {}, "anyuser": {}}
    with open(EXPECTED_FILE) as f:
        for line in f:
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            scope, resource, name, verbs = line.split()
            key = (resource, "" if name == "-" else name)
            out[scope].setdefault(key, set()).update(verbs.split(","))
    return out


def can_i_list(namespace):
    """`kubectl auth can-i --list` as the controller, parsed: {(resource, name): set(verbs)}.
    Non-resource URLs (/api, /healthz, ...) are what system:discovery gives every user: skipped."""
    text = kubectl("auth", "can-i", "--list", "--as=" + SA, "-n", namespace)
    rules = {}
    for line in text.splitlines()[1:]:
        m = re.match(r"^(\S*)\s+\[(.*?)\]\s+\[(.*?)\]\s+\[(.*?)\]\s*$", line)
        assert m, "unexpected line from kubectl auth can-i --list: %r" % line
        resource, urls, names, verbs = m.groups()
        if not resource:
            assert urls, line
            continue
        for name in (names.split() or [""]):
            rules.setdefault((resource, name), set()).update(verbs.split())
    return rules


def compare(actual, allowed, optional, where):
    problems = []
    for key, verbs in sorted(actual.items()):
        extra = verbs - allowed.get(key, set()) - optional.get(key, set())
        if extra:
            problems.append("extra in %s: %s %s %s" % (where, key[0], key[1] or "(all)", sorted(extra)))
    for key, verbs in sorted(allowed.items()):
        missing = verbs - actual.get(key, set())
        if missing:
            problems.append("missing in %s: %s %s %s" % (where, key[0], key[1] or "(all)", sorted(missing)))
    assert not problems, "\n".join(problems)
    log("%s: %d rules as documented" % (where, len(actual)))


def test_network_namespace_permissions_are_exactly_the_documented_ones():
    ns = fresh_namespace("kbt-rbac")
    try:
        want = expected()
        compare(can_i_list(ns), want["any"], want["anyuser"], "namespace " + ns)
    finally:
        delete_namespace(ns)


def test_controller_namespace_permissions_are_exactly_the_documented_ones():
    want = expected()
    allowed = {k: set(v) for k, v in want["any"].items()}
    for key, verbs in want["controller"].items():
        allowed.setdefault(key, set()).update(verbs)
    compare(can_i_list(CONTROLLER_NS), allowed, want["anyuser"], "namespace " + CONTROLLER_NS)


def test_the_controller_cannot_list_or_watch_secrets_anywhere():
    for verb in ("list", "watch"):
        code, out, _ = run(["kubectl", "auth", "can-i", verb, "secrets", "--all-namespaces", "--as=" + SA],
                           check=False)
        assert out.strip() == "no", "can-i %s secrets --all-namespaces: %r" % (verb, out)
        assert code != 0
    for verb in ("delete", "update"):
        for resource in ("secrets", "statefulsets.apps", "services", "bitcoinnetworks." + GROUP):
            _, out, _ = run(["kubectl", "auth", "can-i", verb, resource, "--all-namespaces", "--as=" + SA],
                            check=False)
            assert out.strip() == "no", "can-i %s %s: %r" % (verb, resource, out)


if __name__ == "__main__":
    main([test_network_namespace_permissions_are_exactly_the_documented_ones,
          test_controller_namespace_permissions_are_exactly_the_documented_ones,
          test_the_controller_cannot_list_or_watch_secrets_anywhere])
