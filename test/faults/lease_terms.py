"""What the leader-election fault tests share: a watch on the controller's Lease that keeps every
version of it, the leadership terms read from that history, the audit log's writes attributed to a
controller process (by the identity in its User-Agent), a TCP proxy that can blackhole a
controller's connection to the API server, and a burst of networks with a check that each is
complete. Python 3 standard library only.

The controller's default timings (client-go's) are what the chart runs and what these tests check.
"""
import datetime
import http.client
import json
import os
import re
import signal
import ssl
import threading
import time
import urllib.parse

from control_plane import CONTROLLER_NAMESPACE, GROUP, LEASE_NAME, log, wait_until, write_kubeconfig
from faultlib import TcpProxy, network_doc

LEASE_DURATION = 15.0  # s, pkg/kube/leader_elector.hpp
RENEW_DEADLINE = 10.0
RETRY_PERIOD = 2.0
# A crashed leader is replaced at most LEASE_DURATION + 1.1 retry periods after its last renew (a
# candidate's attempts are 1.0-1.1 retry periods apart and it tries again when the lease it observed
# expires); the kill comes after that renew. Plus the takeover's own GET and PUT.
TAKEOVER_BOUND = LEASE_DURATION + 1.1 * RETRY_PERIOD + 0.3

UA_IDENTITY = re.compile(r"\(serve; ([^)]+)\)")
LONG = os.environ.get("KB_CHAOS_LONG") == "1"


def parse_time(text):
    """RFC 3339 (micro)time of the API server or a Lease -> seconds since the epoch."""
    if not text:
        return None
    text = text.rstrip("Z")
    base, _, fraction = text.partition(".")
    t = datetime.datetime.strptime(base, "%Y-%m-%dT%H:%M:%S").replace(tzinfo=datetime.timezone.utc).timestamp()
    return t + (float("0." + fraction) if fraction else 0.0)


def _tls_context(cp):
    ctx = ssl.create_default_context(cafile=cp.pki.ca_crt)
    ctx.load_cert_chain(cp.pki.path("admin.crt"), cp.pki.path("admin.key"))
    return ctx


class LeaseHistory:
    """Every version of the controller's Lease, from a watch (a watch delivers each change; a
    sampling loop could miss a short term). Each entry: (seen_at, resourceVersion, spec)."""

    def __init__(self, cp):
        self.cp = cp
        self.versions = []
        self._seen = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        last_rv = ""
        while not self._stop.is_set():
            params = {"watch": "1", "fieldSelector": "metadata.name=" + LEASE_NAME, "timeoutSeconds": "60"}
            if last_rv:
                params["resourceVersion"] = last_rv  # go on where the last watch ended: no version missed
            path = "/apis/coordination.k8s.io/v1/namespaces/%s/leases?%s" % (
                CONTROLLER_NAMESPACE, urllib.parse.urlencode(params))
            conn = http.client.HTTPSConnection("127.0.0.1", self.cp.apiserver_port, timeout=90,
                                               context=_tls_context(self.cp))
            try:
                conn.request("GET", path)
                response = conn.getresponse()
                if response.status == 410:
                    last_rv = ""  # expired (not expected within a test): list again
                    continue
                # http.client undoes the chunked encoding; each event is one JSON line.
                while not self._stop.is_set():
                    line = response.readline()
                    if not line:
                        break
                    event = json.loads(line)
                    if event.get("type") == "ERROR":
                        last_rv = ""
                        break
                    last_rv = self._record(event) or last_rv
            except (OSError, ValueError, http.client.HTTPException):
                pass
            finally:
                conn.close()
            self._stop.wait(0.2)

    def _record(self, event):
        lease = event.get("object", {})
        rv = lease.get("metadata", {}).get("resourceVersion")
        if event.get("type") not in ("ADDED", "MODIFIED") or rv in self._seen:
            return rv
        with self._lock:
            self._seen.add(rv)
            self.versions.append((time.time(), rv, lease.get("spec", {})))
        return rv

    def stop(self):
        self._stop.set()

    def snapshot(self):
        with self._lock:
            return list(self.versions)

    def holder(self):
        versions = self.snapshot()
        return versions[-1][2].get("holderIdentity", "") if versions else None

    def wait_for_holder(self, what, predicate, timeout):
        """Waits until the latest version's holder satisfies predicate; returns (seen_at, spec)."""
        def check():
            versions = self.snapshot()
            if versions and predicate(versions[-1][2].get("holderIdentity", "")):
                return versions[-1]
            return None
        seen_at, _, spec = wait_until(what, check, timeout=timeout, interval=0.05)
        return seen_at, spec

    def terms(self):
        """The leadership terms in order: dicts with identity, acquired (acquireTime), last_renew
        (the latest renewTime of the term), released (renewTime of the version that emptied the
        holder, or None), transitions, and end: when the holder had to stop acting (the release,
        else its last renew + the renew deadline)."""
        terms = []
        for _, _, spec in self.snapshot():
            holder = spec.get("holderIdentity", "")
            renew = parse_time(spec.get("renewTime"))
            if not holder:
                if terms and terms[-1]["released"] is None:
                    terms[-1]["released"] = renew
                    terms[-1]["end"] = renew
                continue
            acquired = parse_time(spec.get("acquireTime"))
            if terms and terms[-1]["identity"] == holder and terms[-1]["acquired"] == acquired:
                terms[-1]["last_renew"] = max(terms[-1]["last_renew"], renew)
                terms[-1]["end"] = terms[-1]["last_renew"] + RENEW_DEADLINE
                continue
            terms.append({"identity": holder, "acquired": acquired, "last_renew": renew, "released": None,
                          "transitions": spec.get("leaseTransitions"), "end": renew + RENEW_DEADLINE})
        return terms


def check_terms_do_not_overlap(terms):
    """A term starts only after the previous one ended (released, or its renew deadline passed)."""
    for before, after in zip(terms, terms[1:]):
        assert after["acquired"] >= before["end"], (
            "term of %s acquired at %.3f while %s could still act until %.3f" % (
                after["identity"], after["acquired"], before["identity"], before["end"]))
        assert after["transitions"] == before["transitions"] + 1 or before["identity"] == after["identity"], (
            "leaseTransitions went from %s to %s" % (before["transitions"], after["transitions"]))


def controller_writes(cp, namespace=None):
    """The audit log's write requests by controller processes: dicts with identity (from the
    User-Agent), at (requestReceivedTimestamp), verb, resource, namespace, name, code.
    The credential-key Secret is left out: every replica creates it if absent before campaigning
    (create-if-absent, the loser of a race reads the winner's); it is not leader's work."""
    writes = []
    for e in cp.audit_events():
        m = UA_IDENTITY.search(e.get("userAgent", ""))
        if not m or e.get("verb") not in ("create", "update", "patch", "delete", "deletecollection"):
            continue
        ref = e.get("objectRef", {})
        if ref.get("resource") == "secrets" and ref.get("namespace") == CONTROLLER_NAMESPACE:
            continue
        if namespace and ref.get("namespace") != namespace:
            continue
        writes.append({"identity": m.group(1), "at": parse_time(e.get("requestReceivedTimestamp")),
                       "verb": e.get("verb"), "resource": ref.get("resource", "") + (
                           "/" + ref["subresource"] if ref.get("subresource") else ""),
                       "namespace": ref.get("namespace"), "name": ref.get("name"),
                       "code": e.get("responseStatus", {}).get("code")})
    return sorted(writes, key=lambda w: w["at"])


def check_writes_within_terms(writes, terms):
    """Every write of a controller was received while that process held a term (from its
    acquireTime to the term's end). The Lease's own writes are the election (a renew or release
    is received just after the time it records; resourceVersions arbitrate them) and are left out.
    Returns the number of writes checked."""
    writes = [w for w in writes if w["resource"] != "leases"]
    for w in writes:
        mine = [t for t in terms if t["identity"] == w["identity"] and t["acquired"] <= w["at"] <= t["end"]]
        assert mine, "%s %s %s/%s by %s at %.3f outside its terms %s" % (
            w["verb"], w["resource"], w["namespace"], w["name"], w["identity"], w["at"],
            [(t["acquired"], t["end"]) for t in terms if t["identity"] == w["identity"]])
    return len(writes)


def check_history(cp, history):
    """The whole run's checks: terms that never overlap, leaseTransitions counting each change of
    holder, every controller write inside its writer's term. Returns (terms, writes)."""
    time.sleep(1)  # the last Lease versions and audit lines
    terms = history.terms()
    report_terms(terms)
    check_terms_do_not_overlap(terms)
    assert terms[-1]["transitions"] == terms[0]["transitions"] + len(terms) - 1, (
        "leaseTransitions %s..%s for %d terms" % (terms[0]["transitions"], terms[-1]["transitions"], len(terms)))
    writes = controller_writes(cp)
    # The watch saw every version: one per successful Lease write in the audit log.
    lease_writes = [w for w in writes if w["resource"] == "leases" and w["code"] and w["code"] < 300]
    assert len(lease_writes) == len(history.snapshot()), "%d successful Lease writes, %d versions watched" % (
        len(lease_writes), len(history.snapshot()))
    n = check_writes_within_terms(writes, terms)
    log("%d terms, %d controller writes, each inside its writer's term" % (len(terms), n))
    return terms, writes


def kill_mid_burst(cp, history, leader, holder, namespace, names):
    """kill -9 of the leader once it is writing the burst; waits for another holder. Returns
    (seconds from the kill to the new holder's acquireTime, the new holder's identity, kill time)."""
    touched = wait_mid_burst(cp, namespace, holder, names)
    t_kill = time.time()
    leader.signal(signal.SIGKILL)
    code = leader.wait(10)
    assert code == -signal.SIGKILL, "exit %s after kill -9" % code
    log("killed leader %s after it touched %d of %d networks" % (holder, touched, len(names)))
    _, spec = history.wait_for_holder("another replica to hold the Lease", lambda h: h and h != holder,
                                      timeout=TAKEOVER_BOUND + 15)
    takeover = parse_time(spec["acquireTime"]) - t_kill
    # The leader renews every retry period, so its last renew came at most that long before the kill.
    assert LEASE_DURATION - RETRY_PERIOD - 0.5 <= takeover <= TAKEOVER_BOUND, (
        "takeover %.2fs after the kill; expected after the lease expiry and by %.1fs" % (takeover, TAKEOVER_BOUND))
    return takeover, spec["holderIdentity"], t_kill


def start_pair(cp, history, args, supervise_a=False):
    """Two replicas: a, whose connection to the API server goes through a TcpProxy (forwarding
    until cut), leads; b, direct, is a ready standby. supervise_a: restart a when it exits, as the
    kubelet would. Returns (proxy, a, b)."""
    proxy = TcpProxy(cp.apiserver_port)
    kubeconfig = write_kubeconfig(os.path.join(cp.dir, "proxied.kubeconfig"), proxy.server, cp.pki.ca_crt,
                                  cp.pki.path("admin.crt"), cp.pki.path("admin.key"))
    a = cp.start_controller("a", args, kubeconfig=kubeconfig, restart_on_exit=supervise_a)
    history.wait_for_holder("a to lead", lambda h: identity_of(h) == "a", timeout=60)
    b = cp.start_controller("b", args)
    wait_until("b to be ready (a standby)", b.ready, timeout=60)
    return proxy, a, b


def network_manifest(namespace, names, nodes=1):
    return json.dumps({"apiVersion": "v1", "kind": "List", "items": [network_doc(namespace, n, nodes) for n in names]})


def create_burst(cp, namespace, prefix, count, nodes=1):
    names = ["%s-%02d" % (prefix, i) for i in range(count)]
    cp.kubectl("apply", "-f", "-", input=network_manifest(namespace, names, nodes))
    return names


def incomplete_networks(cp, namespace, names):
    """The networks of `names` that are not complete, each with what is missing: the controller
    wrote status for the current generation without a Degraded condition, and owns (controller
    ownerReference to the network's uid) a Service, a StatefulSet with spec.nodes replicas, the
    two Secrets and a NetworkPolicy."""
    networks = {n["metadata"]["name"]: n for n in cp.kubectl_json(
        "-n", namespace, "get", "bitcoinnetworks." + GROUP)["items"]}
    owned = {}
    for kind in ("services", "statefulsets", "secrets", "networkpolicies"):
        for o in cp.kubectl_json("-n", namespace, "get", kind)["items"]:
            for ref in o["metadata"].get("ownerReferences", []):
                if ref.get("controller") and ref.get("kind") == "BitcoinNetwork":
                    owned.setdefault((ref["uid"], kind), []).append(o)
    missing = {}
    for name in names:
        net = networks.get(name)
        if not net:
            missing[name] = ["the network itself"]
            continue
        uid, nodes = net["metadata"]["uid"], net["spec"]["nodes"]
        problems = []
        for kind, count in (("services", 1), ("statefulsets", 1), ("secrets", 2), ("networkpolicies", 1)):
            if len(owned.get((uid, kind), [])) != count:
                problems.append("%d %s (want %d)" % (len(owned.get((uid, kind), [])), kind, count))
        for sts in owned.get((uid, "statefulsets"), []):
            if sts["spec"].get("replicas") != nodes:
                problems.append("statefulset replicas %s" % sts["spec"].get("replicas"))
        status = net.get("status", {})
        if status.get("observedGeneration") != net["metadata"]["generation"]:
            problems.append("status.observedGeneration %s" % status.get("observedGeneration"))
        degraded = [c for c in status.get("conditions", []) if c["type"] == "Degraded"]
        if not degraded or degraded[0]["status"] != "False":
            problems.append("Degraded %s" % (degraded[0]["reason"] if degraded else "missing"))
        if problems:
            missing[name] = problems
    return missing


def wait_complete(cp, namespace, names, timeout):
    t0 = time.time()
    last = {}

    def done():
        nonlocal last
        last = incomplete_networks(cp, namespace, names)
        return not last

    try:
        wait_until("%d networks to be complete" % len(names), done, timeout=timeout, interval=0.5)
    except AssertionError:
        raise AssertionError("incomplete after %ss: %s" % (timeout, json.dumps(last)[:3000]))
    return time.time() - t0


def wait_mid_burst(cp, namespace, identity, names, min_networks=2, timeout=60):
    """Waits until `identity` has written objects of at least min_networks of the burst, and
    returns how many networks it had touched; the burst is then in flight."""
    def touched():
        written = {w["name"] for w in controller_writes(cp, namespace) if w["identity"] == identity and w["name"]}
        nets = [n for n in names if any(o == n or o.startswith(n + "-") or o.startswith(n + ".") for o in written)]
        return len(nets) if len(nets) >= min_networks else None
    return wait_until("%s to be writing the burst" % identity, touched, timeout=timeout, interval=0.05)


def identity_of(holder_identity):
    """'a_1a2b3c4d' -> 'a' (the harness's POD_NAME)."""
    return holder_identity.rsplit("_", 1)[0] if holder_identity else ""


def new_namespace(cp, name):
    cp.kubectl("create", "namespace", name)
    return name


def report_terms(terms):
    for t in terms:
        log("term %s: acquired %s, last renew %s, %s" % (
            t["identity"], _clock(t["acquired"]), _clock(t["last_renew"]),
            "released %s" % _clock(t["released"]) if t["released"] else "not released"))


def _clock(t):
    return time.strftime("%H:%M:%S", time.gmtime(t)) + ("%.3f" % (t % 1))[1:]
