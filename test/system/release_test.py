#!/usr/bin/env python3
"""A release is installable the ways users install things: from a Helm repository, from an OCI
registry (chart and image), and with krew.

`hack/release.sh` runs twice on the binary under test (KB_BUILD_DIR) into two directories, with
umask 022 and 077: their SHA256SUMS must be byte for byte the same. `hack/publish.sh` (what CI runs on a tag) then puts the
first run's chart into a Helm repository directory, served by python's http.server on loopback,
and pushes the image and the chart into a real registry: the CNCF distribution registry built
from the Go module proxy (hack/release/tools.sh), on 127.0.0.1 with a random port and a temporary
storage directory. The local cluster's node has a network namespace of its own, so its loopback
port PORT is bridged (socat, in the node's namespace) to the registry on the host's loopback:
the node pulls 127.0.0.1:PORT/... as any node pulls from a registry on localhost (containerd
speaks plain HTTP to loopback registries without configuration).

Then, with the installed controller swapped out for the test:
- `helm repo add` + `helm search repo` show the version; `helm install` of the chart from the
  repository (image from the registry) runs a controller that makes a network Ready, and
  `kubectl bitcoin status` sees both; the controller pod's image ID is the pushed manifest digest;
- `helm install oci://127.0.0.1:PORT/...` of the pushed chart runs a controller (the same digest)
  that scales the network to 2 Ready nodes;
- `kubectl bitcoin install --set image.repository=127.0.0.1:PORT/...` runs the same digest;
- krew built from the Go module proxy, with a KREW_ROOT of its own, installs the plugin from the
  released manifest and archive, and `kubectl bitcoin version` through krew's bin dir prints the
  release version.
Afterwards the cluster is as found: the controller that was installed is installed again with the
values it had (and the CRD it had), the pulled image is removed from the node, a CRD that was not
there before is removed. This replaces the shared controller: on a shared cluster run it under the
controller lock.
"""
import base64
import re
import shutil
import signal
import socket
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings

import yaml

from kbtest import *

RELEASE = "bitcoin-controller"  # the name `kubectl bitcoin install` gives its Helm release
NODE_NETNS = "/run/netns/kbc-node"  # hack/local-cluster.sh's node network namespace
IMAGE_PATH = "kubectl-bitcoin/kubectl-bitcoin"  # hack/publish.sh's defaults
CHART_PATH = "kubectl-bitcoin/charts"

WORK = tempfile.mkdtemp(prefix="kb-release-")
# helm's repositories, cache and registry logins of this test alone.
HELM_ENV = {"HELM_CONFIG_HOME": os.path.join(WORK, "helm", "config"), "HELM_CACHE_HOME": os.path.join(WORK, "helm", "cache"),
            "HELM_DATA_HOME": os.path.join(WORK, "helm", "data")}
STARTED = []  # processes this test started, stopped at the end
STATE = {}


def helm(*args, timeout=300):
    return run(["helm", *args], env_extra=HELM_ENV, timeout=timeout)[1]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(args, log_name):
    """Starts a long-running helper in a process group of its own (stopped with its children)."""
    out = open(os.path.join(WORK, log_name), "w")
    proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=ENV, start_new_session=True)
    STARTED.append(proc)
    return proc


def wait_http(url, what, proc, status=200, timeout=30):
    def answers():
        if proc.poll() is not None:
            raise AssertionError("%s exited (%d) before answering; see %s" % (what, proc.returncode, WORK))
        try:
            return urllib.request.urlopen(url, timeout=2).status == status
        except urllib.error.HTTPError as e:
            return e.code == status
        except OSError:
            return False
    wait_until(what + " answers", answers, timeout=timeout, interval=0.2)


def binary_version():
    _, out, _ = run([os.path.join(BUILD, "kubectl-bitcoin"), "version", "-o", "json"])
    return json.loads(out)["version"]


def release(dist, umask):
    started = time.monotonic()
    run(["sh", "-c", 'umask %s && exec "$0" "$@"' % umask, os.path.join(REPO, "hack", "release.sh"), VERSION], timeout=600,
        env_extra={"BUILD_DIR": BUILD, "SKIP_BUILD": "1", "DIST_DIR": dist})
    return time.monotonic() - started


def test_release_twice_gives_the_same_bytes():
    seconds = release(os.path.join(WORK, "dist"), "022")
    release(os.path.join(WORK, "dist2"), "077")  # what the files are made with must not show
    sums = [open(os.path.join(WORK, d, "SHA256SUMS"), "rb").read() for d in ("dist", "dist2")]
    assert sums[0] == sums[1], "two runs differ:\n%s\n%s" % (sums[0].decode(), sums[1].decode())
    names = sorted(line.split()[1] for line in sums[0].decode().splitlines())
    assert names == sorted(["bitcoin-controller-%s.tgz" % VERSION, "bitcoin.yaml", "index.yaml",
                            "kubectl-bitcoin_%s_image.oci.tar" % VERSION,
                            "kubectl-bitcoin_%s_linux_amd64.tar.gz" % VERSION]), names
    subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=os.path.join(WORK, "dist"), check=True)
    figure("release.seconds", "%.1f" % seconds, "s", "hack/release.sh with SKIP_BUILD=1, shared machine: an upper bound")


def start_registry(name, htpasswd=None):
    """A distribution registry on 127.0.0.1 with a random port and storage of its own; with
    htpasswd (a file of user:bcrypt-hash lines) it wants HTTP Basic credentials. Returns HOST:PORT."""
    port = free_port()
    config = os.path.join(WORK, name + ".yml")
    with open(config, "w") as f:
        f.write("version: 0.1\nlog:\n  level: warn\n  accesslog:\n    disabled: true\n"
                "storage:\n  filesystem:\n    rootdirectory: %s\n  delete:\n    enabled: true\n"
                "http:\n  addr: 127.0.0.1:%d\n" % (os.path.join(WORK, name + "-storage"), port))
        if htpasswd:
            f.write("auth:\n  htpasswd:\n    realm: %s\n    path: %s\n" % (name, htpasswd))
    ENV["OTEL_TRACES_EXPORTER"] = "none"  # the registry would try to export traces otherwise
    proc = start([os.path.join(STATE["tools"], "registry"), "serve", config], name + ".log")
    wait_http("http://127.0.0.1:%d/v2/" % port, "the registry " + name, proc, status=401 if htpasswd else 200)
    return "127.0.0.1:%d" % port


def manifest_digest(registry, repository, reference, authorization=None):
    """The digest the registry serves REPOSITORY:REFERENCE's manifest under (HEAD, Docker-Content-Digest)."""
    headers = {"Accept": "application/vnd.oci.image.manifest.v1+json"}
    if authorization:
        headers["Authorization"] = authorization
    req = urllib.request.Request("http://%s/v2/%s/manifests/%s" % (registry, repository, reference), method="HEAD",
                                 headers=headers)
    return urllib.request.urlopen(req, timeout=10).headers["Docker-Content-Digest"]


def archive_manifest_digest():
    """The image manifest's digest as hack/release.sh wrote it into the OCI image layout archive."""
    with tarfile.open(os.path.join(WORK, "dist", "kubectl-bitcoin_%s_image.oci.tar" % VERSION)) as tar:
        manifest, = json.load(tar.extractfile("index.json"))["manifests"]
    return manifest["digest"]


def publish(*args, credentials=None, check=True):
    """hack/publish.sh of the first release run, with REGISTRY_USER and REGISTRY_PASSWORD from credentials."""
    env = dict(zip(("REGISTRY_USER", "REGISTRY_PASSWORD"), credentials or ()))
    return run([os.path.join(REPO, "hack", "publish.sh"), "--dist", os.path.join(WORK, "dist"), *args], env_extra=env,
               check=check, timeout=600)


def test_publish_to_a_helm_directory_and_a_loopback_registry():
    started = time.monotonic()
    tools = run([os.path.join(REPO, "hack", "release", "tools.sh")], timeout=1800)[1].strip().splitlines()[-1]
    figure("release.tools_seconds", "%.1f" % (time.monotonic() - started), "s",
           "hack/release/tools.sh (oras, registry, krew; nothing to build when cached); shared machine")
    STATE["tools"] = tools
    STATE["registry"] = start_registry("registry")
    port = int(STATE["registry"].rpartition(":")[2])

    helm_dir = os.path.join(WORK, "helm-repo")
    os.makedirs(helm_dir)
    started = time.monotonic()
    _, out, _ = publish("--helm-dir", helm_dir, "--registry", STATE["registry"], "--plain-http")
    figure("release.publish_seconds", "%.1f" % (time.monotonic() - started), "s",
           "hack/publish.sh into the Helm directory and the loopback registry (oras cp, helm push); shared machine")
    digests = [line.split()[1] for line in out.splitlines() if line.startswith("image ")]
    # The image's manifest is pushed byte for byte: its digest is the archive's, and the registry
    # serves it under the version's tag.
    assert digests == [archive_manifest_digest()], out
    STATE["digest"] = digests[0]
    assert manifest_digest(STATE["registry"], IMAGE_PATH, VERSION) == STATE["digest"]
    assert sorted(os.listdir(helm_dir)) == ["bitcoin-controller-%s.tgz" % VERSION, "index.yaml"]

    http_port = free_port()
    proc = start([sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory", helm_dir, str(http_port)],
                 "http-server.log")
    STATE["helm_repo"] = "http://127.0.0.1:%d" % http_port
    wait_http(STATE["helm_repo"] + "/index.yaml", "the Helm repository", proc)

    if not os.path.exists(NODE_NETNS):
        raise AssertionError("%s is missing: this test needs hack/local-cluster.sh's node" % NODE_NETNS)
    # Each connection to the node's 127.0.0.1:PORT runs a socat in this process's network namespace.
    bridge = "EXEC:nsenter --net=/proc/%d/ns/net socat STDIO TCP\\:127.0.0.1\\:%d" % (os.getpid(), port)
    proc = start(["nsenter", "--net=" + NODE_NETNS, "socat", "TCP-LISTEN:%d,bind=127.0.0.1,fork,reuseaddr" % port, bridge],
                 "bridge.log")

    def node_reaches_registry():
        if proc.poll() is not None:
            raise AssertionError("the bridge exited: %s" % open(os.path.join(WORK, "bridge.log")).read())
        code, _, _ = run(["nsenter", "--net=" + NODE_NETNS, sys.executable, "-c",
                          "import urllib.request; urllib.request.urlopen('http://127.0.0.1:%d/v2/', timeout=2)" % port],
                         check=False, timeout=30)
        return code == 0
    wait_until("the node reaches the registry on its loopback", node_reaches_registry, timeout=30, interval=0.5)


def test_publish_logs_in_with_the_environment_credentials():
    """publish.sh with REGISTRY_USER and REGISTRY_PASSWORD (what CI gives it for ghcr.io) against a
    registry that wants HTTP Basic credentials (htpasswd): without them, or with a wrong password,
    it fails naming the step; with them, image and chart arrive, the image with the archive's digest."""
    user, password = "publisher", "kb-release-%d" % os.getpid()
    htpasswd = os.path.join(WORK, "htpasswd")
    with open(htpasswd, "w") as f:
        f.write("%s:%s\n" % (user, bcrypt(password)))
    registry = start_registry("auth-registry", htpasswd)

    to_registry = ("--registry", registry, "--plain-http")
    code, _, err = publish(*to_registry, check=False)
    assert code == 1 and "publish: oras cp of " in err, (code, err)
    code, _, err = publish(*to_registry, credentials=(user, password + "-wrong"), check=False)
    assert code == 1 and "publish: oras login to %s as %s failed" % (registry, user) in err, (code, err)
    code, _, err = publish(*to_registry, credentials=(user,), check=False)
    assert code == 2 and "set both or neither" in err, (code, err)

    _, out, _ = publish(*to_registry, credentials=(user, password))
    assert [line for line in out.splitlines() if line.startswith("image ")] == ["image " + STATE["digest"]], out
    basic = "Basic " + base64.b64encode(("%s:%s" % (user, password)).encode()).decode()
    assert manifest_digest(registry, IMAGE_PATH, VERSION, basic) == STATE["digest"]
    chart = manifest_digest(registry, CHART_PATH + "/bitcoin-controller", VERSION, basic)
    assert chart.startswith("sha256:"), chart
    try:
        manifest_digest(registry, IMAGE_PATH, VERSION)
        raise AssertionError("the registry serves the image without credentials: the test proves nothing")
    except urllib.error.HTTPError as e:
        assert e.code == 401, e


def bcrypt(password):
    """An htpasswd bcrypt hash (the registry's htpasswd accepts only bcrypt), from the C library's
    crypt(3) (libxcrypt); Python's crypt module is deprecated but still in 3.11, the version here.
    The lowest cost (2^4 rounds): the registry checks the hash on every request, and a throwaway
    password needs no strength."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import crypt
    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=16))


def controller_pods():
    pods = kubectl_json("-n", CONTROLLER_NS, "get", "pods", "-l", "app.kubernetes.io/name=bitcoin-controller")["items"]
    return [p for p in pods if not p["metadata"].get("deletionTimestamp")]


def running_image_digest():
    """The digest of the image the one controller pod runs (status.containerStatuses[].imageID)."""
    pods = controller_pods()
    assert len(pods) == 1, [p["metadata"]["name"] for p in pods]
    status = pods[0]["status"]["containerStatuses"][0]
    assert status["image"].startswith(STATE["registry"] + "/" + IMAGE_PATH), status
    return status["imageID"].rpartition("@")[2]


def image_values():
    return ["--set", "image.repository=%s/%s" % (STATE["registry"], IMAGE_PATH)]


def swap_out_the_installed_controller():
    """Remembers the installed release's values and the CRD, then uninstalls the release."""
    code, out, _ = run(["helm", "get", "values", RELEASE, "-n", CONTROLLER_NS, "-o", "json"], check=False)
    STATE["values"] = (json.loads(out) or {}) if code == 0 else None
    code, out, _ = run(["kubectl", "get", "crd", CRD, "-o", "json"], check=False)
    STATE["crd"] = json.loads(out) if code == 0 else None
    if STATE["values"] is not None:
        log("uninstalling the installed controller (values %s); it is installed again at the end" % STATE["values"])
        helm("uninstall", RELEASE, "-n", CONTROLLER_NS, "--wait")


def test_helm_repository_install_runs_a_working_controller():
    helm("repo", "add", "kb-release", STATE["helm_repo"])
    found = json.loads(helm("search", "repo", "kb-release/bitcoin-controller", "-o", "json"))
    assert [(c["name"], c["version"], c["app_version"]) for c in found] == [
        ("kb-release/bitcoin-controller", VERSION, VERSION)], found
    swap_out_the_installed_controller()
    started = time.monotonic()
    helm("install", RELEASE, "kb-release/bitcoin-controller", "--version", VERSION, "-n", CONTROLLER_NS,
         "--create-namespace", *image_values(), "--wait", "--timeout", "4m")
    figure("release.helm_repo_install_seconds", "%.1f" % (time.monotonic() - started), "s",
           "helm install --wait from the loopback repository, image pulled from the loopback registry; shared machine")
    assert running_image_digest() == STATE["digest"]

    STATE["ns"] = fresh_namespace("release")
    plugin("create", "r", "--nodes", "1", "-n", STATE["ns"])
    wait_until("the network is Ready", lambda: network_ready(STATE["ns"], "r", 1), timeout=300)
    _, out, _ = plugin("status", "-n", STATE["ns"])
    assert re.search(r"^r\s", out, re.M), out
    assert "Controller: bitcoin-controller in namespace %s, 1/1 ready, version %s" % (CONTROLLER_NS, VERSION) in out, out


def test_oci_chart_install_runs_the_pushed_image():
    helm("uninstall", RELEASE, "-n", CONTROLLER_NS, "--wait")
    started = time.monotonic()
    helm("install", RELEASE, "oci://%s/%s/bitcoin-controller" % (STATE["registry"], CHART_PATH), "--version", VERSION,
         "--plain-http", "-n", CONTROLLER_NS, *image_values(), "--wait", "--timeout", "4m")
    figure("release.oci_install_seconds", "%.1f" % (time.monotonic() - started), "s",
           "helm install --wait of oci://127.0.0.1:PORT/...; shared machine")
    chart = [r for r in json.loads(helm("list", "-n", CONTROLLER_NS, "-o", "json")) if r["name"] == RELEASE]
    assert chart and chart[0]["chart"] == "bitcoin-controller-" + VERSION, chart
    assert running_image_digest() == STATE["digest"]
    plugin("scale", "r", "--nodes", "2", "-n", STATE["ns"])
    wait_until("the network is Ready with 2 nodes", lambda: network_ready(STATE["ns"], "r", 2), timeout=300)


def test_plugin_install_uses_the_pushed_image():
    """`kubectl bitcoin install --set image.repository=...` (the plugin's own chart) runs the pushed image too."""
    helm("uninstall", RELEASE, "-n", CONTROLLER_NS, "--wait")
    plugin("install", *image_values(), "--wait", "--timeout", "4m")
    assert running_image_digest() == STATE["digest"]
    wait_until("the network is Ready with 2 nodes", lambda: network_ready(STATE["ns"], "r", 2), timeout=120)


def test_krew_installs_the_plugin():
    krew_root = os.path.join(WORK, "krew")
    dist = os.path.join(WORK, "dist")
    # kubectl finds `krew` as the plugin kubectl-krew in the tools' bin dir; the binary under test is
    # not on this PATH, so `kubectl bitcoin` can only be krew's.
    path = os.pathsep.join([os.path.join(krew_root, "bin"), STATE["tools"]] +
                           [p for p in ENV["PATH"].split(os.pathsep) if os.path.abspath(p) != os.path.abspath(BUILD)])
    env = {"KREW_ROOT": krew_root, "KREW_NO_UPGRADE_CHECK": "1", "PATH": path}
    run(["kubectl", "krew", "install", "--manifest=" + os.path.join(dist, "bitcoin.yaml"),
         "--archive=" + os.path.join(dist, "kubectl-bitcoin_%s_linux_amd64.tar.gz" % VERSION)], env_extra=env)
    # krew's receipt of the installation (`krew list` would want a plugin index, which --manifest needs not).
    receipt = yaml.safe_load(open(os.path.join(krew_root, "receipts", "bitcoin.yaml")))
    assert receipt["spec"]["version"] == "v" + VERSION, receipt["spec"]
    _, which, _ = run(["sh", "-c", "command -v kubectl-bitcoin"], env_extra=env)
    assert which.strip() == os.path.join(krew_root, "bin", "kubectl-bitcoin"), which
    _, out, _ = run(["kubectl", "bitcoin", "version", "-o", "json"], env_extra=env)
    assert json.loads(out)["version"] == VERSION, out


def restore():
    """Leaves the cluster as found (every step is tried; the first failure is raised at the end)."""
    problems = []

    def attempt(what, fn):
        try:
            fn()
        except Exception as e:  # noqa: BLE001 - every step is tried, the failure reported
            problems.append("%s: %s" % (what, e))
    if STATE.get("ns"):
        attempt("delete the network", lambda: plugin("delete", "r", "-n", STATE["ns"], "--ignore-not-found"))
        attempt("delete the namespace", lambda: kubectl("delete", "namespace", STATE["ns"], "--wait=true", "--timeout=180s"))
    if "values" in STATE:
        installed = run(["helm", "status", RELEASE, "-n", CONTROLLER_NS], check=False)[0] == 0
        if installed:
            attempt("uninstall the test's release", lambda: helm("uninstall", RELEASE, "-n", CONTROLLER_NS, "--wait"))
        if STATE["values"] is not None:
            values = os.path.join(WORK, "values.json")
            with open(values, "w") as f:
                json.dump(STATE["values"], f)
            attempt("install the controller again", lambda: plugin("install", "-f", values, "--wait", "--timeout", "5m"))
        if STATE["crd"] is None:
            attempt("remove the CRD the test brought", lambda: kubectl("delete", "crd", CRD, "--wait=true"))
        else:
            attempt("restore the CRD", lambda: restore_crd(STATE["crd"]))
    if STATE.get("registry"):
        ctr = [os.path.join(ENV.get("LOCAL_CLUSTER_BIN", ""), "ctr"),
               "--address", ENV.get("CONTAINER_RUNTIME_ENDPOINT", "").replace("unix://", ""), "-n", "k8s.io"]
        code, out, _ = run([*ctr, "images", "ls", "-q"], check=False)
        pulled = [name for name in out.split() if name.startswith(STATE["registry"] + "/")]
        if pulled:
            attempt("remove the pulled image from the node", lambda: run([*ctr, "images", "rm", *pulled]))
    for proc in STARTED:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    if problems:
        raise AssertionError("; ".join(problems))
    shutil.rmtree(WORK, ignore_errors=True)


def test_the_cluster_is_left_as_found():
    restore()
    if STATE.get("values") is not None:
        pods = [p for p in controller_pods() if pod_ready(p)]
        assert len(pods) == 1, "the controller installed before is not back"


VERSION = binary_version()

if __name__ == "__main__":
    main([test_release_twice_gives_the_same_bytes, test_publish_to_a_helm_directory_and_a_loopback_registry,
          test_publish_logs_in_with_the_environment_credentials,
          test_krew_installs_the_plugin, test_helm_repository_install_runs_a_working_controller,
          test_oci_chart_install_runs_the_pushed_image, test_plugin_install_uses_the_pushed_image,
          test_the_cluster_is_left_as_found])
