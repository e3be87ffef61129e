#!/usr/bin/env python3
"""The controller built with AddressSanitizer + UndefinedBehaviorSanitizer (build-asan/) runs one
whole scenario in the cluster and stops on SIGTERM without a sanitizer report.

The image kubectl-bitcoin.local/kubectl-bitcoin-asan:dev (hack/cluster/images.sh: the ASan build
and exactly the shared libraries it loads; ASAN_OPTIONS and UBSAN_OPTIONS make every finding
fatal and run LeakSanitizer at exit) replaces the installed controller's image for this test only.
The scenario: a 2-node network becomes Ready, is scaled to 3, a call through the RPC gateway
(`kubectl bitcoin rpc`), `kubectl bitcoin mine`, the network is deleted. Then the controller pod
is deleted (the kubelet sends SIGTERM) and its whole log, to the process's last byte, must hold
the controller's shutdown line and no AddressSanitizer, LeakSanitizer or UBSan report, and the
container must have exited 0. Afterwards the controller is installed again with the image and
values it had before (and the CRD it had, when this plugin's differs). Exits 77 (skipped) when there is no ASan build.

This replaces the shared controller: on a shared cluster run it under the controller lock.
"""
import threading

from kbtest import *

ASAN_REPOSITORY = "kubectl-bitcoin.local/kubectl-bitcoin-asan"
ASAN_TAG = "dev"
ASAN_BINARY = os.path.join(os.environ.get("KB_ASAN_BUILD_DIR", os.path.join(REPO, "build-asan")), "kubectl-bitcoin")
# ASan's shadow memory and quarantine make the process several times larger than the release
# build's (the chart's limit is 256Mi).
ASAN_MEMORY_LIMIT = "1Gi"
SELECTOR = "app.kubernetes.io/name=bitcoin-controller"
# What the sanitizer runtimes print when they find something (ASan, LSan, UBSan).
REPORT_MARKERS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "SUMMARY: AddressSanitizer",
                  "SUMMARY: UndefinedBehaviorSanitizer", "runtime error:", "AddressSanitizer:DEADLYSIGNAL")
NS = None


def controller_pods():
    pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", SELECTOR)["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def installed_image():
    deployment = kubectl_json("-n", CONTROLLER_NS, "get", "deployment", "bitcoin-controller")
    return deployment["spec"]["template"]["spec"]["containers"][0]["image"]


def split_image(image):
    """(repository, tag) of a reference written as repository:tag."""
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon <= slash:
        raise AssertionError("the installed controller image %r has no tag" % image)
    return image[:colon], image[colon + 1:]


def user_values():
    """The values the installed release was given (Helm's own record of them)."""
    _, out, _ = run(["helm", "get", "values", "bitcoin-controller", "-n", CONTROLLER_NS, "-o", "json"])
    return json.loads(out) or {}


def install(values_file, *sets):
    args = ["install", "-f", values_file]
    for s in sets:
        args += ["--set", s]
    code, out, err = plugin(*args, "--wait", "--timeout", "5m")
    log((out + err).strip())


def sanitizer_pod_logs(image):
    """The current and previous logs of every controller pod running the image (for a failure)."""
    out = []
    for pod in kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", SELECTOR)["items"]:
        if pod["spec"]["containers"][0]["image"] != image:
            continue
        name = pod["metadata"]["name"]
        for status in pod.get("status", {}).get("containerStatuses", []):
            out.append("%s: restarts %d, last state %s" % (name, status.get("restartCount", 0),
                                                          json.dumps(status.get("lastState", {}))))
        for previous in (True, False):
            args = ["-n", CONTROLLER_NS, "logs", name] + (["--previous"] if previous else [])
            text = run(["kubectl", *args], check=False)[1]
            if text:
                out.append("--- %s%s:\n%s" % (name, " (previous)" if previous else "", text))
    return "\n".join(out)


def only_ready_pod(image):
    pods = [p for p in controller_pods() if pod_ready(p)]
    if len(pods) != 1 or pods[0]["spec"]["containers"][0]["image"] != image:
        return None
    return pods[0]


def run_scenario():
    global NS
    NS = fresh_namespace("sanitize-asan")
    try:
        plugin("create", "a", "--nodes", "2", "-n", NS)
        wait_until("2 nodes Ready", lambda: network_ready(NS, "a", 2), timeout=300)
        plugin("scale", "a", "--nodes", "3", "-n", NS)
        wait_until("3 nodes Ready", lambda: network_ready(NS, "a", 3), timeout=300)
        creds = credentials(NS, "a")
        ips = ready_ips(NS, "a", 3)
        # The controller connected the new node: every node has a peer.
        wait_until("every node has a peer", lambda: all(peer_ips(ip, creds) for ip in ips), timeout=120)
        _, out, _ = plugin("rpc", "a", "getblockchaininfo", "--node", "2", "-n", NS)
        info = json.loads(out)
        assert info["chain"] == "regtest", info
        before = info["blocks"]
        _, out, _ = plugin("mine", "a", "3", "-n", NS)
        assert "mined 3 block(s)" in out, out
        wait_until("all 3 nodes at height %d" % (before + 3),
                   lambda: all(rpc(ip, creds, "getblockcount") == before + 3 for ip in ips), timeout=120)
        plugin("delete", "a", "-n", NS)
        wait_until("the network's StatefulSet is gone",
                   lambda: kubectl_json("-n", NS, "get", "statefulsets")["items"] == [], timeout=180)
    finally:
        delete_namespace(NS)
    return NS


def stop_and_collect(pod):
    """Deletes the pod (the kubelet sends SIGTERM) and returns (log, terminated state): the log
    streams until the container's process is gone, the watch sees the kubelet's final status."""
    name = pod["metadata"]["name"]
    logs = subprocess.Popen(["kubectl", "-n", CONTROLLER_NS, "logs", "-f", name], env=ENV,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    watch = subprocess.Popen(["kubectl", "-n", CONTROLLER_NS, "get", "pod", name, "-w", "-o", "json"], env=ENV,
                             stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    streams = {}
    readers = [threading.Thread(target=lambda p=p, k=k: streams.__setitem__(k, p.stdout.read()))
               for k, p in (("log", logs), ("watch", watch))]
    for t in readers:
        t.start()
    time.sleep(2)  # both streams are open before the signal
    started = time.time()
    kubectl("-n", CONTROLLER_NS, "delete", "pod", name, "--wait=true", "--timeout=120s")
    log("pod %s deleted after %.1fs" % (name, time.time() - started))
    logs.wait(timeout=60)
    watch.terminate()
    watch.wait(timeout=10)
    for t in readers:
        t.join(timeout=10)
    terminated = None
    decoder = json.JSONDecoder()
    text, at = streams.get("watch", ""), 0
    while True:
        while at < len(text) and text[at].isspace():
            at += 1
        if at >= len(text):
            break
        try:
            obj, at = decoder.raw_decode(text, at)
        except ValueError:
            break  # the last object, cut off when the watch was ended
        for status in obj.get("status", {}).get("containerStatuses", []):
            if status["name"] == "controller" and "terminated" in status.get("state", {}):
                terminated = status["state"]["terminated"]
    return streams.get("log", ""), terminated


def test_controller_under_asan_runs_a_scenario_and_exits_clean():
    if not os.path.exists(ASAN_BINARY):
        log("SKIP: no ASan build at %s (KB_SANITIZE=1 hack/build.sh makes it)" % ASAN_BINARY)
        sys.exit(77)
    with open(ASAN_BINARY, "rb") as f:
        assert b"AddressSanitizer" in f.read(), "%s is not built with AddressSanitizer" % ASAN_BINARY
    previous_image = installed_image()
    previous_crd = kubectl_json("get", "crd", CRD)
    previous_repository, previous_tag = split_image(previous_image)
    values = tempfile.NamedTemporaryFile("w", suffix=".json", delete=False)
    json.dump(user_values(), values)
    values.close()
    log("installed before: %s; values %s" % (previous_image, open(values.name).read()))
    asan_image = "%s:%s" % (ASAN_REPOSITORY, ASAN_TAG)
    try:
        install(values.name, "image.repository=" + ASAN_REPOSITORY, "image.tag=" + ASAN_TAG,
                "resources.limits.memory=" + ASAN_MEMORY_LIMIT)
        pod = wait_until("one Ready controller pod running %s" % asan_image, lambda: only_ready_pod(asan_image),
                         timeout=120)
        # The pod it replaced may still hold the Lease for a moment: the scenario starts once the
        # ASan process leads, so it is the one that reconciles.
        name = pod["metadata"]["name"]
        wait_until("the ASan pod holds the Lease", lambda: kubectl_json(
            "-n", CONTROLLER_NS, "get", "lease", "bitcoin-controller")["spec"].get("holderIdentity", "").startswith(name),
            timeout=120)
        namespace = run_scenario()
        # Still the same process: no restart hid a crash.
        pod = kubectl_json("-n", CONTROLLER_NS, "get", "pod", pod["metadata"]["name"])
        restarts = pod["status"]["containerStatuses"][0]["restartCount"]
        assert restarts == 0, "the ASan controller restarted %d time(s): %s" % (
            restarts, kubectl("-n", CONTROLLER_NS, "logs", "--previous", pod["metadata"]["name"], check=False)[-6000:])
        text, terminated = stop_and_collect(pod)
        reports = [line for line in text.splitlines() if any(m in line for m in REPORT_MARKERS)]
        assert not reports, "sanitizer report in the controller's log:\n" + text[-12000:]
        log("the ASan controller's log:\n" + text)
        assert namespace in text, "the ASan controller's log never mentions the scenario's namespace %s" % namespace
        assert "signal received; shutting down" in text and "SIGTERM" in text, (
            "the log does not show the controller receiving SIGTERM:\n" + text[-4000:])
        assert terminated is not None, "the kubelet reported no terminated state for the controller container"
        assert terminated["exitCode"] == 0, "the ASan controller exited %s (%s):\n%s" % (
            terminated["exitCode"], terminated.get("reason"), text[-8000:])
        log("ASan controller: %d log lines, exit %d (%s), no sanitizer report"
            % (len(text.splitlines()), terminated["exitCode"], terminated.get("reason")))
    except Exception:
        log("the ASan controller's pods:\n" + sanitizer_pod_logs(asan_image))
        raise
    finally:
        install(values.name, "image.repository=" + previous_repository, "image.tag=" + previous_tag)
        os.unlink(values.name)
        restore_crd(previous_crd)
        wait_until("the controller runs %s again" % previous_image, lambda: only_ready_pod(previous_image),
                   timeout=180)


if __name__ == "__main__":
    main([test_controller_under_asan_runs_a_scenario_and_exits_clean])
