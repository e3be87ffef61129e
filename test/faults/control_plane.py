"""A private Kubernetes control plane for the fault tests: etcd, kube-apiserver and
kube-controller-manager on free loopback ports in a temporary directory, with their own PKI.

The fault tests restart, compact and cut this control plane without disturbing the shared local
cluster. There is no node and no scheduler: StatefulSets get their Pods from the controller
manager, and those Pods stay Pending, so every bitcoind RPC of the controller fails (it must cope).
The binaries are the local cluster's ($LOCAL_CLUSTER_BIN, else `hack/cluster/build.sh --bin-dir`);
the API server writes an audit log (Metadata level for writes, like hack/local-cluster.sh).
Python 3 standard library only.

    with ControlPlane("restart") as cp:
        ctl = cp.start_controller(identity="a")
        cp.kubectl("apply", "-f", "-", input=...)
        cp.restart_apiserver(signal.SIGKILL, down_seconds=2)
        cp.compact_etcd()
"""
import base64
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("KB_BUILD_DIR", os.path.join(REPO, "build"))
GROUP = "bitcoin.kubectl-bitcoin.dev"
SERVICE_CIDR = "10.97.0.0/16"
CONTROLLER_NAMESPACE = "kb-faults-system"  # the controller's own namespace (credential key, Lease)
LEASE_NAME = "bitcoin-controller"  # the chart's --leader-election-id (its Role names this Lease)


def log(*parts):
    print("[%s]" % time.strftime("%H:%M:%S"), *parts, flush=True)


def bin_dir():
    d = os.environ.get("LOCAL_CLUSTER_BIN")
    if d and os.path.isfile(os.path.join(d, "kube-apiserver")):
        return d
    out = subprocess.run([os.path.join(REPO, "hack", "cluster", "build.sh"), "--bin-dir"], capture_output=True,
                         text=True, check=True).stdout.strip()
    if not os.path.isfile(os.path.join(out, "kube-apiserver")):
        raise RuntimeError("no kube-apiserver in %s: run hack/cluster/build.sh" % out)
    return out


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(what, predicate, timeout=60, interval=0.25):
    """Polls predicate() until truthy; raises with `what` and the last value or exception."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        try:
            last = predicate()
            if last:
                return last
        except Exception as e:  # noqa: BLE001 - transient while a component starts
            last = "%s: %s" % (type(e).__name__, e)
        time.sleep(interval)
    raise AssertionError("timed out after %ss waiting for %s; last: %s" % (timeout, what, last))


def _openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


class _Pki:
    """A CA and the certificates the control plane needs, like gen_cert in hack/local-cluster.sh."""

    def __init__(self, directory):
        self.dir = directory
        os.makedirs(directory, mode=0o700)
        self.ca_crt, self.ca_key = self.path("ca.crt"), self.path("ca.key")
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", self.ca_key, "-out", self.ca_crt,
                 "-days", "30", "-subj", "/CN=kb-faults-ca", "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature")
        self.cert("apiserver", "/CN=kube-apiserver",
                  "DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:localhost,"
                  "IP:127.0.0.1,IP:10.97.0.1", "serverAuth")
        self.cert("admin", "/O=system:masters/CN=kubernetes-admin")
        self.cert("controller-manager", "/CN=system:kube-controller-manager")
        _openssl("genrsa", "-out", self.path("sa.key"), "2048")
        _openssl("rsa", "-in", self.path("sa.key"), "-pubout", "-out", self.path("sa.pub"))

    def path(self, name):
        return os.path.join(self.dir, name)

    def cert(self, name, subject, san="", eku="clientAuth"):
        ext = self.path(name + ".ext")
        with open(ext, "w") as f:
            f.write("basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature,keyEncipherment\n")
            f.write("extendedKeyUsage=%s\n" % eku)
            if san:
                f.write("subjectAltName=%s\n" % san)
        key, csr, crt = self.path(name + ".key"), self.path(name + ".csr"), self.path(name + ".crt")
        _openssl("req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj", subject)
        _openssl("x509", "-req", "-in", csr, "-CA", self.ca_crt, "-CAkey", self.ca_key, "-CAcreateserial", "-out", crt,
                 "-days", "30", "-sha256", "-extfile", ext)
        os.remove(csr)
        os.remove(ext)


def _b64file(path):
    with open(path, "rb") as f:
        return base64.b64encode(f.read()).decode()


def write_kubeconfig(path, server, ca_crt, cert=None, key=None, token=None):
    user = {"token": token} if token else {"client-certificate-data": _b64file(cert), "client-key-data": _b64file(key)}
    config = {"apiVersion": "v1", "kind": "Config", "current-context": "faults",
              "clusters": [{"name": "faults", "cluster": {"server": server,
                                                          "certificate-authority-data": _b64file(ca_crt)}}],
              "users": [{"name": "faults", "user": user}],
              "contexts": [{"name": "faults", "context": {"cluster": "faults", "user": "faults"}}]}
    with open(path, "w") as f:
        json.dump(config, f)
    os.chmod(path, 0o600)
    return path


# Metadata level for every write, nothing for the control plane's own components: the local
# cluster's policy.
AUDIT_POLICY = os.path.join(REPO, "hack", "cluster", "audit-policy.yaml")


# Runs beside a test: when the test's process dies without cleaning up (killed, a ctest timeout),
# it kills every process group the control plane started - those whose leader still runs with the
# control plane's directory on its command line, so a reused process group id is never touched.
_REAPER = """
import os, signal, sys, time
parent, groups, marker = int(sys.argv[1]), sys.argv[2], sys.argv[3].encode()
while os.getppid() == parent:
    time.sleep(0.5)
try:
    pgids = {int(line) for line in open(groups) if line.strip()}
except OSError:
    pgids = set()
for pgid in pgids:
    try:
        with open("/proc/%d/cmdline" % pgid, "rb") as f:
            if marker in f.read():
                os.killpg(pgid, signal.SIGKILL)
    except OSError:
        pass
"""


class _Process:
    """A child process in its own process group, its output appended to a log file. groups: a
    file the group's id is added to (for the reaper)."""

    def __init__(self, name, args, log_path, env=None, groups=None):
        self.name, self.args, self.log_path = name, args, log_path
        with open(log_path, "ab") as out:
            out.write(("=== %s start: %s\n" % (time.strftime("%FT%TZ", time.gmtime()), " ".join(args))).encode())
            out.flush()
            self.proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True, env=env)
        if groups:
            with open(groups, "a") as f:
                f.write("%d\n" % self.proc.pid)

    @property
    def pid(self):
        return self.proc.pid

    def alive(self):
        return self.proc.poll() is None

    def signal(self, sig):
        if self.alive():
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                pass

    def wait(self, timeout=None):
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self, grace=5):
        if not self.alive():
            return self.proc.returncode
        self.signal(signal.SIGTERM)
        if self.wait(grace) is None:
            self.signal(signal.SIGKILL)
            self.wait(10)
        return self.proc.returncode

    def tail(self, lines=20):
        with open(self.log_path, errors="replace") as f:
            return "".join(f.readlines()[-lines:])


class Controller:
    """`kubectl-bitcoin serve` running on the host against the private control plane.

    restart_on_exit: start the process again when it exits by itself (it exits when it loses its
    Lease, like kube-controller-manager), after a back-off like the kubelet's (1 s, doubling, at
    most 10 s here); `restarts` counts those restarts. restart() is an explicit one (kill -9 tests).
    """

    def __init__(self, cp, identity, args, kubeconfig, restart_on_exit=False):
        self.identity = identity
        self.metrics_port = free_port()
        self.log_path = os.path.join(cp.dir, "controller-%s.log" % identity)
        self._env = dict(os.environ)
        self._env.update({"POD_NAMESPACE": CONTROLLER_NAMESPACE, "POD_NAME": identity})
        self._argv = [os.path.join(BUILD, "kubectl-bitcoin"), "--kubeconfig", kubeconfig, "serve",
                      "--log-format", "json", "--metrics-bind-address", "127.0.0.1:%d" % self.metrics_port,
                      "--gateway-bind-address", "0", "--leader-elect",
                      "--leader-election-namespace", CONTROLLER_NAMESPACE, "--leader-election-id", LEASE_NAME,
                      "--credential-key-secret", "bitcoin-controller-credential-key", *args]
        self._groups = cp.groups
        self.restarts = 0
        self.exits = []  # return codes of runs that ended (negative: killed by that signal)
        self._first_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._spawn()
        self._watcher = None
        if restart_on_exit:
            self._watcher = threading.Thread(target=self._supervise, daemon=True)
            self._watcher.start()

    def _spawn(self):
        # Each run appends to the same log file; this run's lines start after its "=== start" header.
        self._start_offset = os.path.getsize(self.log_path) if os.path.exists(self.log_path) else 0
        self._process = _Process("controller-" + self.identity, self._argv, self.log_path, env=self._env,
                                 groups=self._groups)

    def _supervise(self):
        backoff = 1.0
        while not self._stopping.is_set():
            with self._lock:
                process = self._process
            code = process.proc.wait()
            if self._stopping.wait(backoff):
                return
            with self._lock:
                if self._process is not process or self._stopping.is_set():
                    continue  # restarted explicitly meanwhile
                self.exits.append(code)
                log("controller %s exited (%s); restarting after %.0fs" % (self.identity, code, backoff))
                self.restarts += 1
                self._spawn()
            backoff = min(backoff * 2, 10.0)

    def restart(self, sig=signal.SIGKILL):
        """Kills the running process with sig (kill -9 by default), waits for it, starts it again."""
        with self._lock:
            self._process.signal(sig)
            code = self._process.wait(60)
            self.exits.append(code)
            self._spawn()
        return code

    @property
    def pid(self):
        return self._process.pid

    def alive(self):
        return self._process.alive()

    def signal(self, sig):
        self._process.signal(sig)

    def wait(self, timeout=None):
        return self._process.wait(timeout)

    def stop(self, grace=10):
        self._stopping.set()
        with self._lock:
            return self._process.stop(grace)

    def _read(self, offset):
        with open(self.log_path, "rb") as f:
            f.seek(offset)
            text = f.read().decode(errors="replace")
        return [line for line in text.splitlines() if line and not line.startswith("=== ")]

    def log_lines(self):
        """The current run's output lines (the "=== start" header left out)."""
        return self._read(self._start_offset)

    def all_log_lines(self):
        """The output lines of every run of this controller (restarts included)."""
        return self._read(self._first_offset)

    @staticmethod
    def records(lines):
        """The JSON log lines among lines, parsed."""
        out = []
        for line in lines:
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
        return out

    def log_records(self):
        return self.records(self.log_lines())

    def metrics(self):
        with urllib.request.urlopen("http://127.0.0.1:%d/metrics" % self.metrics_port, timeout=5) as r:
            return r.read().decode()

    def ready(self):
        try:
            with urllib.request.urlopen("http://127.0.0.1:%d/readyz" % self.metrics_port, timeout=2) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False


def metric_value(text, name, labels=None):
    """The value of one sample in Prometheus text format (labels: a subset to match), or None."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        head, _, value = line.rpartition(" ")
        metric, _, label_text = head.partition("{")
        if metric != name:
            continue
        if labels and any('%s="%s"' % (k, v) not in label_text for k, v in labels.items()):
            continue
        return float(value)
    return None


class ControlPlane:
    """etcd + kube-apiserver + kube-controller-manager of our own (see the module docstring).

    apiserver_args: extra kube-apiserver flags (e.g. ["--watch-cache=false"]); audit_policy: a
    policy file instead of the local cluster's (the scale benchmark also records reads).
    """

    def __init__(self, name, apiserver_args=(), keep_dir_on_failure=True, audit_policy=AUDIT_POLICY):
        self.name = name
        self.apiserver_args = list(apiserver_args)
        self.audit_policy = audit_policy
        self.keep_dir_on_failure = keep_dir_on_failure
        self.bin = bin_dir()
        self.dir = None
        self.controllers = []
        self._procs = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------ lifecycle

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop(failed=True)
            raise
        return self

    def __exit__(self, exc_type, exc, tb):
        self.stop(failed=exc_type is not None)
        return False

    def start(self):
        t0 = time.time()
        self.dir = tempfile.mkdtemp(prefix="kb-faults-%s-" % self.name)
        self.groups = os.path.join(self.dir, "process-groups")
        self._reaper = subprocess.Popen([sys.executable, "-c", _REAPER, str(os.getpid()), self.groups, self.dir],
                                        start_new_session=True, stdin=subprocess.DEVNULL)
        self.pki = _Pki(os.path.join(self.dir, "pki"))
        self.etcd_port, self.etcd_peer_port = free_port(), free_port()
        self.apiserver_port, self.kcm_port = free_port(), free_port()
        self.server = "https://127.0.0.1:%d" % self.apiserver_port
        self.kubeconfig = write_kubeconfig(os.path.join(self.dir, "admin.kubeconfig"), self.server, self.pki.ca_crt,
                                           self.pki.path("admin.crt"), self.pki.path("admin.key"))
        self.kcm_kubeconfig = write_kubeconfig(os.path.join(self.dir, "controller-manager.kubeconfig"), self.server,
                                               self.pki.ca_crt, self.pki.path("controller-manager.crt"),
                                               self.pki.path("controller-manager.key"))
        self.audit_log = os.path.join(self.dir, "audit.log")
        self._start_etcd()
        self._start_apiserver()
        self._start_kcm()
        self.kubectl("apply", "--server-side", "-f", os.path.join(REPO, "manifests", "crd.yaml"))
        wait_until("the CRD to be established", lambda: self.kubectl(
            "get", "crd", "bitcoinnetworks." + GROUP, "-o",
            "jsonpath={.status.conditions[?(@.type==\"Established\")].status}") == "True", timeout=30)
        self.kubectl("create", "namespace", CONTROLLER_NAMESPACE)
        wait_until("the default service account", lambda: self.kubectl(
            "-n", "default", "get", "serviceaccount", "default", check=False), timeout=60)
        log("control plane %s up in %.1fs at %s (dir %s)" % (self.name, time.time() - t0, self.server, self.dir))

    def stop(self, failed=False):
        for c in self.controllers:
            c.stop(grace=5)
        core = ("kube-controller-manager", "kube-apiserver", "etcd")
        for name in [n for n in self._procs if n not in core] + list(core):
            p = self._procs.get(name)
            if p:
                p.stop(grace=3 if name != "etcd" else 5)
        if getattr(self, "_reaper", None):
            self._reaper.kill()
            self._reaper.wait()
        if not self.dir:
            return
        if failed and self.keep_dir_on_failure and os.environ.get("KB_FAULTS_KEEP", "1") != "0":
            log("kept %s for inspection (logs of every component there)" % self.dir)
            return
        shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None

    # ------------------------------------------------------------ components

    def _etcd_url(self):
        return "http://127.0.0.1:%d" % self.etcd_port

    def _start_etcd(self):
        data = os.path.join(self.dir, "etcd")
        os.makedirs(data, mode=0o700)
        peer = "http://127.0.0.1:%d" % self.etcd_peer_port
        self._procs["etcd"] = _Process("etcd", [
            os.path.join(self.bin, "etcd"), "--name=faults", "--data-dir=" + data,
            "--listen-client-urls=" + self._etcd_url(), "--advertise-client-urls=" + self._etcd_url(),
            "--listen-peer-urls=" + peer, "--initial-advertise-peer-urls=" + peer,
            "--initial-cluster=faults=" + peer, "--unsafe-no-fsync", "--log-level=warn"],
            os.path.join(self.dir, "etcd.log"), groups=self.groups)

        def healthy():
            with urllib.request.urlopen(self._etcd_url() + "/health", timeout=2) as r:
                return b'"health":"true"' in r.read()

        self._wait_healthy("etcd", healthy, 30)

    def _apiserver_argv(self):
        pki = self.pki.path
        return [
            os.path.join(self.bin, "kube-apiserver"), "--etcd-servers=" + self._etcd_url(),
            "--bind-address=127.0.0.1", "--secure-port=%d" % self.apiserver_port, "--advertise-address=127.0.0.1",
            "--tls-cert-file=" + pki("apiserver.crt"), "--tls-private-key-file=" + pki("apiserver.key"),
            "--client-ca-file=" + self.pki.ca_crt,
            "--service-account-issuer=https://kubernetes.default.svc.cluster.local",
            "--service-account-key-file=" + pki("sa.pub"), "--service-account-signing-key-file=" + pki("sa.key"),
            "--service-cluster-ip-range=" + SERVICE_CIDR, "--authorization-mode=RBAC",
            "--cert-dir=" + os.path.join(self.dir, "apiserver-certs"), "--profiling=false", "--event-ttl=1h", "--v=1",
            "--audit-policy-file=" + self.audit_policy, "--audit-log-path=" + self.audit_log,
            "--audit-log-format=json", "--audit-log-mode=blocking", *self.apiserver_args]

    def _start_apiserver(self):
        self._procs["kube-apiserver"] = _Process("kube-apiserver", self._apiserver_argv(),
                                                 os.path.join(self.dir, "kube-apiserver.log"), groups=self.groups)
        self._wait_healthy("kube-apiserver", self.apiserver_ready, 90)

    def apiserver_ready(self):
        ctx = ssl.create_default_context(cafile=self.pki.ca_crt)
        ctx.load_cert_chain(self.pki.path("admin.crt"), self.pki.path("admin.key"))
        try:
            with urllib.request.urlopen(self.server + "/readyz", timeout=3, context=ctx) as r:
                return r.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def _start_kcm(self):
        kc = self.kcm_kubeconfig
        # StatefulSets get Pods, deleted owners get their dependents collected, namespaces get
        # their service accounts; nothing a node would need.
        self._procs["kube-controller-manager"] = _Process("kube-controller-manager", [
            os.path.join(self.bin, "kube-controller-manager"), "--kubeconfig=" + kc,
            "--authentication-kubeconfig=" + kc, "--authorization-kubeconfig=" + kc,
            "--bind-address=127.0.0.1", "--secure-port=%d" % self.kcm_port,
            "--cert-dir=" + os.path.join(self.dir, "controller-manager-certs"),
            "--root-ca-file=" + self.pki.ca_crt, "--service-account-private-key-file=" + self.pki.path("sa.key"),
            "--use-service-account-credentials=true", "--service-cluster-ip-range=" + SERVICE_CIDR,
            "--controllers=statefulset-controller,garbage-collector-controller,namespace-controller,"
            "serviceaccount-controller,serviceaccount-token-controller,root-ca-certificate-publisher-controller,"
            "endpointslice-controller",
            "--leader-elect=false", "--v=1"],
            os.path.join(self.dir, "kube-controller-manager.log"), groups=self.groups)

    def start_process(self, name, argv, env=None):
        """Starts one more component (e.g. kube-scheduler, kwok: test/faults/kwok.py), logging to
        <dir>/<name>.log; stop() stops it before the control plane."""
        self._procs[name] = _Process(name, argv, os.path.join(self.dir, name + ".log"), env=env, groups=self.groups)
        return self._procs[name]

    def stop_process(self, name):
        p = self._procs.pop(name, None)
        if p:
            p.stop(grace=3)

    def _wait_healthy(self, name, predicate, timeout):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if not self._procs[name].alive():
                raise RuntimeError("%s exited; last lines:\n%s" % (name, self._procs[name].tail()))
            try:
                if predicate():
                    return
            except (OSError, urllib.error.URLError):
                pass
            time.sleep(0.2)
        raise RuntimeError("%s did not become healthy in %ss; last lines:\n%s"
                           % (name, timeout, self._procs[name].tail()))

    # ------------------------------------------------------------ faults

    def restart_apiserver(self, sig=signal.SIGKILL, down_seconds=0):
        """Stops the API server with `sig` (waits for it to exit), stays down down_seconds, starts
        it again on the same port and waits until it is ready. Returns the seconds it was down."""
        with self._lock:
            p = self._procs["kube-apiserver"]
            t0 = time.time()
            p.signal(sig)
            if p.wait(70) is None:
                p.signal(signal.SIGKILL)
                p.wait(10)
            if down_seconds:
                time.sleep(down_seconds)
            self._start_apiserver()
            return time.time() - t0

    def _etcd_post(self, path, body):
        req = urllib.request.Request(self._etcd_url() + path, data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as r:
            return json.loads(r.read())

    def etcd_revision(self):
        return int(self._etcd_post("/v3/kv/range", {"key": "AA==", "range_end": "AA=="})["header"]["revision"])

    def compact_etcd(self):
        """Compacts etcd to its current revision (physically), so a watch or list from any older
        resourceVersion that reaches etcd gets 410 Gone. Returns the revision.

        Note: the API server's watch cache still serves recent resourceVersions from memory; a
        watch expires there only when the cache no longer holds its resourceVersion, i.e. after
        an API server restart (see expire_watches) or with --watch-cache=false."""
        rev = self.etcd_revision()
        self._etcd_post("/v3/kv/compaction", {"revision": str(rev), "physical": True})
        return rev

    def expire_watches(self, sig=signal.SIGTERM):
        """Makes every watch on this control plane expire: a write (so that every client's last
        resourceVersion is older than the present), a compaction of etcd, and a restart of the API
        server, whose fresh watch cache starts at the present revision. A client reconnecting with
        its old resourceVersion gets 410 Gone ("too old resource version") and must relist.
        Returns the compacted revision."""
        self.kubectl("-n", CONTROLLER_NAMESPACE, "create", "configmap", "expire-%d" % int(time.time() * 1000))
        rev = self.compact_etcd()
        self.restart_apiserver(sig)
        return rev

    # ------------------------------------------------------------ clients

    def kubectl(self, *args, input=None, check=True, timeout=120):
        proc = subprocess.run([os.path.join(self.bin, "kubectl"), "--kubeconfig", self.kubeconfig, *args],
                              input=input, capture_output=True, text=True, timeout=timeout)
        if check and proc.returncode != 0:
            raise AssertionError("kubectl %s failed (%d): %s%s" % (" ".join(args), proc.returncode,
                                                                  proc.stdout[-2000:], proc.stderr[-2000:]))
        return proc.stdout

    def api(self, method, path, body=None, content_type="application/json", timeout=10):
        """One request to the API server as the admin (no kubectl process); returns parsed JSON."""
        ctx = ssl.create_default_context(cafile=self.pki.ca_crt)
        ctx.load_cert_chain(self.pki.path("admin.crt"), self.pki.path("admin.key"))
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.server + path, data=data, method=method,
                                     headers={"Content-Type": content_type, "Accept": "application/json"})
        with urllib.request.urlopen(req, timeout=timeout, context=ctx) as r:
            return json.loads(r.read() or b"null")

    def kubectl_json(self, *args):
        return json.loads(self.kubectl(*args, "-o", "json"))

    def audit_events(self):
        """The audit log's events so far (Metadata level: every write with user and userAgent)."""
        out = []
        if not os.path.exists(self.audit_log):
            return out
        with open(self.audit_log, errors="replace") as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass  # an empty line, or one being written
        return out

    RBAC_KINDS = ("ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding")

    def controller_kubeconfig(self, server=None):
        """A kubeconfig that acts as the controller's ServiceAccount with the chart's RBAC, as
        `kubectl bitcoin install` sets it up (rendered by `kubectl-bitcoin template`, only the RBAC
        applied), so the tests see what the controller may not do. server: e.g. a proxy's URL."""
        if not getattr(self, "_rbac_applied", False):
            rendered = subprocess.run([os.path.join(BUILD, "kubectl-bitcoin"), "template", "-n", CONTROLLER_NAMESPACE],
                                      capture_output=True, text=True, check=True).stdout
            docs = [d for d in rendered.split("\n---") if any("\nkind: %s\n" % k in "\n" + d.strip() + "\n"
                                                               for k in self.RBAC_KINDS)]
            self.kubectl("apply", "-f", "-", input="\n---\n".join(docs))
            self._rbac_applied = True
        token = self.kubectl("-n", CONTROLLER_NAMESPACE, "create", "token", "bitcoin-controller",
                             "--duration=4h").strip()
        path = os.path.join(self.dir, "controller-%d.kubeconfig" % free_port())
        return write_kubeconfig(path, server or self.server, self.pki.ca_crt, token=token)

    def start_controller(self, identity="a", args=(), kubeconfig=None, restart_on_exit=False):
        """Starts `kubectl-bitcoin serve` (leader election in CONTROLLER_NAMESPACE, metrics on a free
        loopback port, no gateway) as the chart's ServiceAccount (controller_kubeconfig).
        kubeconfig: instead of that one (e.g. through a proxy); restart_on_exit: see Controller."""
        c = Controller(self, identity, list(args), kubeconfig or self.controller_kubeconfig(), restart_on_exit)
        self.controllers.append(c)
        return c
