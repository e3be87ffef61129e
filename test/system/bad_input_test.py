#!/usr/bin/env python3
"""Bad user input across the CLI, against the real API server: a table of cases (kubeconfigs,
KUBECONFIG, flags, values files, charts, specs the API server refuses), each with the exit code
(docs/exit-codes.md), a pattern stderr must match (naming the file, field or flag and saying what
to do next) and, for every case, proof that nothing in the cluster changed:

  * a snapshot of BitcoinNetworks, StatefulSets, Services, Secrets, ConfigMaps, Deployments,
    Roles and RoleBindings in the namespaces in scope, and of CRDs, ClusterRoles and
    ClusterRoleBindings, before and after the case: nothing added, removed or changed (the
    resourceVersion; for objects whose status controllers update, the generation, labels and
    annotations);
  * the API server's audit log (LOCAL_CLUSTER_AUDIT_LOG): no write request by the plugin (user
    agent kubectl-bitcoin, not a service account) during the case; for the cases the API server
    itself must refuse, the write is there and was refused (4xx).

The cluster is shared: the namespaces in scope are this test's own (badinput-*; every case that
reaches the cluster names one, with -n or its kubeconfig's context), not "default", where other
tests' out-of-cluster controllers write. The controller's namespace and the cluster-scoped objects
are in scope only for the cases that run install/uninstall, which hold the controller lock
(KB_CONTROLLER_LOCK, a file for flock) so that nobody else installs meanwhile. Takes well under 2 minutes (two cases wait for a server that never
answers: 2 s and 10 s).
"""
import contextlib
import fcntl
import re
import shutil
import socket

from kbtest import *

PLUGIN_AGENT = "kubectl-bitcoin"
WRITE_VERBS = {"create", "update", "patch", "delete", "deletecollection"}
# What the snapshot lists: (resource, path) per namespace, and the cluster-scoped ones.
NAMESPACED = [("bitcoinnetworks", "/apis/" + GROUP + "/v1/namespaces/%s/bitcoinnetworks"),
              ("statefulsets", "/apis/apps/v1/namespaces/%s/statefulsets"),
              ("deployments", "/apis/apps/v1/namespaces/%s/deployments"),
              ("services", "/api/v1/namespaces/%s/services"),
              ("secrets", "/api/v1/namespaces/%s/secrets"),
              ("configmaps", "/api/v1/namespaces/%s/configmaps"),
              ("roles", "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/roles"),
              ("rolebindings", "/apis/rbac.authorization.k8s.io/v1/namespaces/%s/rolebindings")]
CLUSTER_SCOPED = [("customresourcedefinitions", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"),
                  ("clusterroles", "/apis/rbac.authorization.k8s.io/v1/clusterroles"),
                  ("clusterrolebindings", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings")]
# (Namespaces are not in the snapshot: other tests on a shared cluster make and remove theirs at any
# time; a namespace the plugin writes shows in the audit log.)

NS = None     # this test's namespace (badinput-xxxxx)
TMP = None    # files the cases write
ADMIN = None  # the admin kubeconfig as JSON
FIGURES = []  # (case, exit code, seconds)
WRITES = []   # (case, the plugin's write requests the audit log shows)


class Case:
    def __init__(self, name, argv, code, stderr, env=None, files=None, lock=False, max_seconds=5.0,
                 server_refuses=False, kubectl=None):
        self.name = name
        self.argv = argv               # after "kubectl bitcoin"; "{tmp}" and "{ns}" are replaced
        self.code = code               # the exit code wanted
        self.stderr = stderr           # a regex stderr must match (re.S)
        self.env = env or {}           # extra environment ("{tmp}" and "{ns}" replaced)
        self.files = files or {}       # name -> text, written into TMP before the case
        self.lock = lock               # install/uninstall: hold the controller lock
        self.max_seconds = max_seconds
        self.server_refuses = server_refuses  # a write reaches the API server and is refused
        self.kubectl = kubectl         # (argv, code, stderr regex): real kubectl in the same env


def expand(text):
    return text.replace("{tmp}", TMP).replace("{ns}", NS)


def kubeconfig(server=None, user=None, cluster_extra=None, current=True, cluster_name="cl"):
    """A kubeconfig for the local cluster (JSON is YAML), changed as a case needs."""
    admin_cluster = ADMIN["clusters"][0]["cluster"]
    cluster = dict(admin_cluster, **(cluster_extra or {}))
    if server:
        cluster["server"] = server
    config = {"apiVersion": "v1", "kind": "Config",
              "clusters": [{"name": cluster_name, "cluster": cluster}],
              "users": [{"name": "u", "user": user if user is not None else ADMIN["users"][0]["user"]}],
              "contexts": [{"name": "ctx", "context": {"cluster": "cl", "user": "u", "namespace": NS}}]}
    if current:
        config["current-context"] = "ctx"
    return json.dumps(config)


def exec_user(command):
    return {"exec": {"apiVersion": "client.authentication.k8s.io/v1", "command": command,
                     "interactiveMode": "Never"}}


def chart(templates):
    """A minimal chart directory: {path in the chart: text}."""
    files = {"chart/Chart.yaml": "apiVersion: v2\nname: badinput\nversion: 0.1.0\n",
             "chart/values.yaml": "greeting: hello\n"}
    files.update({"chart/templates/" + k: v for k, v in templates.items()})
    return files


def cases(hang_port):
    closed = kubeconfig(server="https://127.0.0.1:1")
    hang = kubeconfig(server="https://127.0.0.1:%d" % hang_port)
    no_cluster = "the cluster is not reachable .*https://127\\.0\\.0\\.1:1\\b.*check that it is running and that your kubeconfig points at it"
    table = [
        # --- kubeconfig ---------------------------------------------------------------------------
        Case("kubeconfig: malformed YAML", ["status", "--kubeconfig", "{tmp}/malformed.yaml"], 1,
             r"malformed\.yaml: line 5, column \d+: .*check --kubeconfig, KUBECONFIG or --context",
             files={"malformed.yaml": "apiVersion: v1\nkind: Config\nclusters:\n- name: a\n cluster: [\n"}),
        Case("kubeconfig: not a mapping", ["status", "--kubeconfig", "{tmp}/list.yaml"], 1,
             r"list\.yaml: expected a kubeconfig mapping \(kind: Config\)", files={"list.yaml": "- a\n- b\n"}),
        Case("kubeconfig: no current-context", ["status", "--kubeconfig", "{tmp}/nocurrent.yaml"], 1,
             r"nocurrent\.yaml: current-context: no context is set; pass --context \(the kubeconfig has: ctx\)",
             files={"nocurrent.yaml": kubeconfig(current=False)}),
        Case("kubeconfig: unknown --context", ["status", "--context", "nowhere", "-n", "{ns}"], 1,
             r'contexts: context "nowhere" does not exist; the kubeconfig has: \S+'),
        Case("kubeconfig: context names a missing cluster", ["status", "--kubeconfig", "{tmp}/nocluster.yaml"], 1,
             r'nocluster\.yaml: contexts\[ctx\]\.context\.cluster: cluster "cl" does not exist',
             files={"nocluster.yaml": kubeconfig(cluster_name="other")}),
        Case("kubeconfig: server is not a URL", ["status", "--kubeconfig", "{tmp}/ftp.yaml"], 1,
             r'ftp\.yaml: clusters\[cl\]\.cluster\.server: "ftp://127\.0\.0\.1" is not an http\(s\) URL',
             files={"ftp.yaml": kubeconfig(server="ftp://127.0.0.1")}),
        Case("kubeconfig: client certificate data is not PEM", ["status", "--kubeconfig", "{tmp}/badcert.yaml"], 1,
             r"badcert\.yaml: users\[u\]\.user\.client-certificate-data: is not a PEM certificate",
             files={"badcert.yaml": kubeconfig(user={"client-certificate-data": "bm90IGEgY2VydA==",
                                                     "client-key-data": "bm90IGEga2V5"})}),
        Case("kubeconfig: client certificate data is not base64", ["status", "--kubeconfig", "{tmp}/b64.yaml"], 1,
             r"b64\.yaml: users\[u\]\.user\.client-certificate-data: is not valid base64",
             files={"b64.yaml": kubeconfig(user={"client-certificate-data": "%%%", "client-key-data": "eA=="})}),
        Case("kubeconfig: client key does not match the certificate", ["status", "--kubeconfig", "{tmp}/mismatch.yaml"], 1,
             r"mismatch\.yaml: users\[u\]\.user\.client-key-data: does not match the client certificate",
             files={"mismatch.yaml": "{mismatch}"}),
        Case("kubeconfig: client certificate file missing", ["status", "--kubeconfig", "{tmp}/certfile.yaml"], 1,
             r"certfile\.yaml: users\[u\]\.user\.client-certificate: cannot read file \S*/nocert\.pem",
             files={"certfile.yaml": kubeconfig(user={"client-certificate": TMP + "/nocert.pem",
                                                      "client-key": TMP + "/nokey.pem"})}),
        Case("kubeconfig: CA data is not PEM", ["status", "--kubeconfig", "{tmp}/badca.yaml"], 1,
             r"badca\.yaml: clusters\[cl\]\.cluster\.certificate-authority-data: the CA bundle is not valid PEM",
             files={"badca.yaml": kubeconfig(cluster_extra={"certificate-authority-data": "bm90IGEgY2VydA=="})}),
        Case("kubeconfig: a CA that did not sign the server", ["status", "--kubeconfig", "{tmp}/otherca.yaml"], 1,
             r"TLS certificate verification of the API server https://127\.0\.0\.1:\d+ failed.*"
             r"pass --certificate-authority, or set certificate-authority",
             files={"otherca.yaml": "{otherca}"}),
        Case("kubeconfig: a token the API server does not accept", ["status", "--kubeconfig", "{tmp}/token.yaml"], 1,
             r"the API server did not accept your credentials .*refresh them or pick another --context",
             files={"token.yaml": kubeconfig(user={"token": "not-a-token"})}),
        Case("kubeconfig: exec plugin not found", ["status", "--kubeconfig", "{tmp}/exec.yaml"], 1,
             r'exec plugin \S*/no-such-plugin: cannot run "\S*/no-such-plugin": No such file or directory',
             files={"exec.yaml": kubeconfig(user=exec_user(TMP + "/no-such-plugin"))}),
        Case("kubeconfig: exec plugin fails", ["status", "--kubeconfig", "{tmp}/execfail.yaml"], 1,
             r"exec plugin \S*/fail-plugin\.sh: exited with status 3: token expired: run the login command",
             files={"execfail.yaml": kubeconfig(user=exec_user(TMP + "/fail-plugin.sh")),
                    "fail-plugin.sh": "#!/bin/sh\necho 'token expired: run the login command' >&2\nexit 3\n"}),
        Case("kubeconfig: exec plugin prints garbage", ["status", "--kubeconfig", "{tmp}/execjunk.yaml"], 1,
             r"exec plugin \S*/junk-plugin\.sh: printed something that is not an ExecCredential JSON object",
             files={"execjunk.yaml": kubeconfig(user=exec_user(TMP + "/junk-plugin.sh")),
                    "junk-plugin.sh": "#!/bin/sh\necho 'not json'\n"}),
        Case("--kubeconfig names a missing file", ["status", "--kubeconfig", "{tmp}/missing.yaml"], 1,
             r"\S*/missing\.yaml: the kubeconfig file given by --kubeconfig does not exist"),
        # kubectl's semantics: missing KUBECONFIG entries are skipped; with nothing left kubectl
        # talks to localhost:8080, the plugin names the files instead.
        Case("KUBECONFIG names one missing file", ["status", "-n", "{ns}"], 1,
             r"KUBECONFIG: no file it names exists \(\S*/missing\.yaml\); point KUBECONFIG at an existing "
             r"kubeconfig file or pass --kubeconfig",
             env={"KUBECONFIG": "{tmp}/missing.yaml"}, kubectl=(["get", "namespace", "default"], 1, r"localhost:8080")),
        Case("KUBECONFIG lists a missing file and a good one", ["status", "-n", "{ns}"], 0, r"^$",
             env={"KUBECONFIG": "{tmp}/missing.yaml:" + ENV["KUBECONFIG"]},
             kubectl=(["get", "namespace", "default"], 0, r"^$")),
        Case("API server port closed: fails fast naming the address", ["status", "--kubeconfig", "{tmp}/closed.yaml"], 1,
             "cannot list BitcoinNetworks: " + no_cluster + ".*", files={"closed.yaml": closed}, max_seconds=2),
        Case("API server never answers, --request-timeout 2s", ["status", "--kubeconfig", "{tmp}/hang.yaml",
                                                               "--request-timeout", "2s"], 1,
             r"the cluster is not reachable \(the API server https://127\.0\.0\.1:%d did not answer in time" % hang_port,
             files={"hang.yaml": hang}, max_seconds=4),
        Case("API server never answers, no --request-timeout (TLS handshake bound)",
             ["status", "--kubeconfig", "{tmp}/hang.yaml"], 1,
             r"the API server https://127\.0\.0\.1:%d did not answer in time: the TLS handshake did not finish" % hang_port,
             max_seconds=13),
    ]
    # Every command that talks to the cluster says the same when it cannot reach it.
    for args in (["status", "demo"], ["scale", "demo", "--nodes", "2"], ["delete", "demo"], ["logs", "demo"],
                 ["create", "demo", "--nodes", "1"], ["rpc", "demo", "getblockcount"], ["mine", "demo", "1"]):
        table.append(Case("API server port closed: " + " ".join(args), args + ["--kubeconfig", "{tmp}/closed.yaml"],
                          1, no_cluster, max_seconds=2))
    table += [
        # --- flags --------------------------------------------------------------------------------
        Case("unknown command", ["statsu"], 2, r'unknown command "statsu" for "kubectl bitcoin"\n\nDid you mean this\?\n\tstatus\n'),
        Case("unknown flag", ["status", "--bogus", "-n", "{ns}"], 2,
             r'^error: unknown flag: --bogus\nRun "kubectl bitcoin status --help" for usage\.\n$'),
        Case("extra argument", ["status", "a", "b", "-n", "{ns}"], 2, r'unexpected argument "b"'),
        Case("--nodes -1", ["create", "demo", "--nodes", "-1", "-n", "{ns}"], 2, r"--nodes must be between 0 and 100, not -1"),
        Case("--nodes 101 (scale)", ["scale", "demo", "--nodes", "101", "-n", "{ns}"], 2, r"--nodes must be between 0 and 100, not 101"),
        Case("--nodes abc", ["create", "demo", "--nodes", "abc", "-n", "{ns}"], 2, r'--nodes "abc" is not a whole number'),
        Case("--request-timeout xyz", ["status", "--request-timeout", "xyz", "-n", "{ns}"], 2,
             r'--request-timeout "xyz" is not a duration; use a value such as 30s'),
        Case("-o badformat", ["status", "-o", "badformat", "-n", "{ns}"], 2, r"--output: badformat not in \{wide,json,yaml,name\}"),
        Case("--set with a broken index", ["template", "--set", "a[=1"], 2,
             r"failed parsing --set data: error parsing index: missing '\]'\n  a\[=1\n    \^"),
        Case("--set without a value", ["template", "--set", "replicaCount"], 2,
             r'failed parsing --set data: key "replicaCount" has no value'),
        Case("--set-json that is not JSON", ["template", "--set-json", "replicaCount={bad"], 2,
             r"failed parsing --set-json data: invalid JSON value"),
        Case("--set-file names a missing file", ["template", "--set-file", "controller.logLevel={tmp}/nofile.txt"], 2,
             r"--set-file \S*/nofile\.txt: cannot read the file"),
        Case("missing NETWORK", ["scale", "--nodes", "1", "-n", "{ns}"], 2, r'NETWORK is required\nRun "kubectl bitcoin scale --help"'),
        Case("missing --nodes", ["create", "demo", "-n", "{ns}"], 2, r"--nodes is required"),
        Case("missing METHOD", ["rpc", "demo", "-n", "{ns}"], 2, r"METHOD is required"),
        Case("NETWORK is not a name", ["create", "Bad_Name", "--nodes", "1", "-n", "{ns}"], 2,
             r'NETWORK "Bad_Name" is not a valid name: use lower-case letters'),
        Case("--image is not an image reference", ["create", "demo", "--nodes", "1", "--image", "bad image", "-n", "{ns}"], 2,
             r'--image "bad image" is not an image reference: it contains white space; use one such as bitcoin/bitcoin:'),
        Case("--edges beyond --nodes", ["create", "demo", "--nodes", "2", "--topology", "custom", "--edges", "0-5",
                                        "-n", "{ns}"], 2, r'--edges: "0-5" names a node beyond --nodes 2'),
        Case("--mining-node beyond --nodes", ["create", "demo", "--nodes", "2", "--mining-interval", "5",
                                              "--mining-node", "7", "-n", "{ns}"], 2,
             r"--mining-node 7 is not a node of a 2-node network"),
        # --- specs the API server refuses (the CRD's schema and CEL rules), field named ---------
        Case("spec.args the CRD refuses", ["create", "demo", "--nodes", "1", "--arg=-rpcport=1", "-n", "{ns}"], 1,
             r'cannot create network "demo": .*spec\.args\[0\]: Invalid value: "-rpcport=1": -rpcport sets -rpcport, '
             r"which the controller manages", server_refuses=True),
        Case("a namespace that does not exist", ["create", "demo", "--nodes", "1", "-n", "{ns}-absent"], 1,
             r'cannot create network "demo": namespaces "badinput-\w+-absent" not found', server_refuses=True),
        # --- values files and charts (install, template) ----------------------------------------
        Case("values file: YAML error", ["template", "-f", "{tmp}/broken.values.yaml"], 2,
             r"values file is not valid YAML: \S*/broken\.values\.yaml:4:\d+: ",
             files={"broken.values.yaml": "replicaCount: 2\ncontroller:\n  logLevel: debug\n   workers: 2\n"}),
        Case("values file: not a mapping", ["template", "-f", "{tmp}/list.values.yaml"], 2,
             r"\S*/list\.values\.yaml: values must be a YAML mapping, found a sequence",
             files={"list.values.yaml": "- a\n"}),
        Case("values file: schema violation", ["template", "-f", "{tmp}/schema.values.yaml"], 2,
             r"values do not match the chart's schema:\n  - at '/controller/logLevel' \(enum\): .*"
             r"\(from -f \S*/schema\.values\.yaml\)\nFix these values",
             files={"schema.values.yaml": "controller:\n  logLevel: loud\n"}),
        Case("values file: unknown keys", ["template", "-f", "{tmp}/unknown.values.yaml"], 2,
             r"at '/controller' \(additionalProperties\): additional properties 'logLvl' not allowed "
             r"\(from -f \S*/unknown\.values\.yaml\).*at '/' \(additionalProperties\): additional properties "
             r"'replicaCont' not allowed",
             files={"unknown.values.yaml": "replicaCont: 2\ncontroller:\n  logLvl: debug\n"}),
        Case("values file: missing", ["template", "-f", "{tmp}/absent.values.yaml"], 2,
             r"-f \S*/absent\.values\.yaml: cannot read the file"),
        Case("--chart: a template that is not YAML", ["template", "--chart", "{tmp}/chart"], 1,
             r"rendering the chart failed: .*templates/broken\.yaml",
             files=chart({"broken.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x\n"})),
        Case("--chart: a directory that is not a chart", ["template", "--chart", "{tmp}"], 1,
             r"cannot load the chart: .*Chart\.yaml"),
        # install/uninstall: the controller lock, the controller's namespace and cluster-scoped
        # objects in scope.
        Case("install: values file with unknown keys", ["install", "-f", "{tmp}/unknown.values.yaml"], 2,
             r"additional properties 'replicaCont' not allowed", lock=True, max_seconds=10),
        Case("install: --timeout xyz", ["install", "--timeout", "xyz"], 2,
             r'--timeout "xyz" is not a positive duration such as 5m', lock=True),
        Case("install: --dry-run=bogus", ["install", "--dry-run=bogus"], 2, r"--dry-run: bogus not in \{none,client,server\}",
             lock=True),
        Case("install: a chart with a kind the cluster does not serve",
             ["install", "--chart", "{tmp}/kindchart", "--release", "badinput", "-n", "{ns}", "--no-wait"], 1,
             r"BadInputWidget", lock=True, max_seconds=10,
             files={"kindchart/Chart.yaml": "apiVersion: v2\nname: badinput\nversion: 0.1.0\n",
                    "kindchart/templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: badinput-a}\n",
                    "kindchart/templates/b.yaml": "apiVersion: example.com/v1\nkind: BadInputWidget\nmetadata: {name: w}\n"}),
        Case("install: a chart with an invalid field",
             ["install", "--chart", "{tmp}/fieldchart", "--release", "badinput", "-n", "{ns}", "--no-wait"], 1,
             r"spec\.replicas", lock=True, max_seconds=10, server_refuses=True,
             files={"fieldchart/Chart.yaml": "apiVersion: v2\nname: badinput\nversion: 0.1.0\n",
                    "fieldchart/templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: badinput-b}\n",
                    "fieldchart/templates/d.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n"
                                                   "spec: {replicas: -5, selector: {matchLabels: {a: b}}, template: "
                                                   "{metadata: {labels: {a: b}}, spec: {containers: [{name: c, image: x}]}}}\n"}),
        Case("uninstall --crds without --yes (no terminal)", ["uninstall", "--crds"], 2,
             r"--crds deletes the BitcoinNetwork CRD and with it every network in the cluster; add --yes to confirm",
             lock=True),
        Case("uninstall: a release that is not installed", ["uninstall", "--release", "absent", "-n", "{ns}"], 1,
             r"release absent is not installed in namespace badinput-\w+", lock=True),
    ]
    return table


# --- what the cluster holds -----------------------------------------------------------------------

class Proxy:
    """`kubectl proxy` on a free port: a list through it takes milliseconds, a kubectl run 0.3 s."""

    def __init__(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.proc = subprocess.Popen(["kubectl", "proxy", "--port", str(self.port)], env=ENV,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        wait_until("kubectl proxy answers", lambda: self.get("/version"), timeout=20, interval=0.2)

    def get(self, path):
        for attempt in range(20):
            try:
                with urllib.request.urlopen("http://127.0.0.1:%d%s" % (self.port, path), timeout=20) as resp:
                    return json.loads(resp.read())
            except urllib.error.HTTPError as e:
                if e.code != 429 or attempt == 19:  # API priority and fairness: wait as told, as clients do
                    raise
                time.sleep(min(float(e.headers.get("Retry-After") or 1), 2))

    def close(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)


PROXY = None


def snapshot(namespaces, cluster_scoped):
    """{(resource, namespace, name): fingerprint} of the objects in scope."""
    objects = {}
    paths = []
    for ns in sorted(namespaces):
        paths += [(r, base % ns) for r, base in NAMESPACED]
    if cluster_scoped:
        paths += CLUSTER_SCOPED
    for resource, path in paths:
        try:
            items = PROXY.get(path)["items"]
        except urllib.error.HTTPError as e:
            if e.code == 404:
                continue  # the namespace (or the CRD) is not there: nothing of it to change
            raise
        for item in items:
            meta = item["metadata"]
            if not meta.get("namespace") and not ours(meta["name"]):
                continue
            objects[(resource, meta.get("namespace", ""), meta["name"])] = fingerprint(resource, meta)
    return objects


def ours(name):
    """Whether a cluster-scoped object is one the plugin makes (the chart's CRD, ClusterRole and
    ClusterRoleBinding, the controller's namespace) or this test's. Other tests on a shared cluster
    make and delete their own CRDs and namespaces with the same client library (same user agent)."""
    return "bitcoin" in name or name.startswith("badinput-")


# Objects whose status other controllers keep writing (a Deployment's rollout, a CRD's conditions):
# their resourceVersion moves when a pod restarts, so what the snapshot compares is what a client
# changes, the generation (spec) and the labels and annotations. The audit log sees any write.
WITH_STATUS = {"deployments", "statefulsets", "bitcoinnetworks", "customresourcedefinitions"}


def fingerprint(resource, meta):
    if resource not in WITH_STATUS:
        return "rv " + meta["resourceVersion"]
    return "generation %s labels %s annotations %s" % (
        meta.get("generation"), json.dumps(meta.get("labels", {}), sort_keys=True),
        json.dumps(meta.get("annotations", {}), sort_keys=True))


def diff(before, after):
    changes = []
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            changes.append("%s %s/%s: %s -> %s" % (key[0], key[1], key[2], before.get(key, "absent"),
                                                   after.get(key, "absent")))
    return changes


class AuditLog:
    """Write requests by the plugin in the API server's audit log, from where it ended at start."""

    def __init__(self, path):
        self.path = path
        self.offset = os.path.getsize(path)

    def plugin_writes(self, since, until, namespaces, cluster_scoped):
        """(verb, resource, namespace/name, code, dry run) of the plugin's writes in [since, until]
        (epoch seconds), in the namespaces in scope (this test's own: any badinput-* name) and the
        cluster-scoped ones when cluster_scoped."""
        writes = []
        with open(self.path, "rb") as f:
            f.seek(self.offset)
            for raw in f:
                try:
                    event = json.loads(raw)
                except ValueError:
                    continue  # a line being written
                if event.get("verb") not in WRITE_VERBS or event.get("stage") != "ResponseComplete":
                    continue
                if not event.get("userAgent", "").startswith(PLUGIN_AGENT):
                    continue
                if event.get("user", {}).get("username", "").startswith("system:serviceaccount:"):
                    continue  # the controller (same user agent, its own identity)
                at = parse_time(event["requestReceivedTimestamp"])
                if not since <= at <= until:
                    continue
                ref = event.get("objectRef", {})
                ns = ref.get("namespace", "")
                if ref.get("resource") == "namespaces":
                    ns = ""  # a namespace is cluster-scoped, whatever objectRef says
                if (ns and (ns in namespaces or ns.startswith("badinput-"))) or (
                        not ns and cluster_scoped and ours(ref.get("name", ""))):
                    writes.append((event["verb"], ref.get("resource"), "%s/%s" % (ns, ref.get("name", "")),
                                   event.get("responseStatus", {}).get("code"),
                                   "dryRun=" in event.get("requestURI", "")))
        return writes


def parse_time(text):
    """Epoch seconds of an RFC 3339 UTC time with microseconds (the audit log's format)."""
    import calendar
    base, _, fraction = text.rstrip("Z").partition(".")
    return calendar.timegm(time.strptime(base, "%Y-%m-%dT%H:%M:%S")) + float("0." + (fraction or "0"))


LOCK_WAIT = [0.0]


@contextlib.contextmanager
def controller_lock():
    path = os.environ.get("KB_CONTROLLER_LOCK")
    if not path:
        yield
        return
    with open(path, "a") as handle:
        started = time.time()
        fcntl.flock(handle, fcntl.LOCK_EX)
        LOCK_WAIT[0] = time.time() - started
        log("holding %s (waited %.1fs)" % (path, LOCK_WAIT[0]))
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


# --- the files a case needs ----------------------------------------------------------------------

def other_ca_kubeconfig():
    """A kubeconfig whose CA is a fresh self-signed one, not the cluster's."""
    key, crt = os.path.join(TMP, "other-ca.key"), os.path.join(TMP, "other-ca.crt")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", crt, "-days", "1",
         "-subj", "/CN=badinput-other-ca"])
    return kubeconfig(cluster_extra={"certificate-authority-data": base64.b64encode(open(crt, "rb").read()).decode()})


def mismatched_key_kubeconfig():
    """The admin's client certificate with a key that is not its key."""
    key = os.path.join(TMP, "other.key")
    run(["openssl", "genrsa", "-out", key, "2048"])
    user = dict(ADMIN["users"][0]["user"])
    user["client-key-data"] = base64.b64encode(open(key, "rb").read()).decode()
    return kubeconfig(user=user)


def write_files(case):
    for name, text in case.files.items():
        if text == "{mismatch}":
            text = mismatched_key_kubeconfig()
        elif text == "{otherca}":
            text = other_ca_kubeconfig()
        path = os.path.join(TMP, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        if name.endswith(".sh"):
            os.chmod(path, 0o755)


def silent_server():
    """A TCP port that accepts connections (the kernel completes the handshake) and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    return server


# --- the test ------------------------------------------------------------------------------------

def run_case(case, namespaces):
    write_files(case)
    env = dict(ENV)
    for key, value in case.env.items():
        env[key] = expand(value)
    argv = ["kubectl", "bitcoin"] + [expand(a) for a in case.argv]
    cluster_scoped = case.lock
    scope = set(namespaces) | ({CONTROLLER_NS} if case.lock else set())
    before = snapshot(scope, cluster_scoped)
    started = time.time()
    proc = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    seconds = time.time() - started
    ended = time.time()
    time.sleep(0.2)  # the audit log's ResponseComplete lines follow the response
    after = snapshot(scope, cluster_scoped)
    # Same host, same clock: a request of this case was received between its start and its end.
    writes = AUDIT.plugin_writes(started - 0.01, ended + 0.01, scope, cluster_scoped)
    FIGURES.append((case.name, proc.returncode, seconds))
    problems = []
    if proc.returncode != case.code:
        problems.append("exit code %d, want %d" % (proc.returncode, case.code))
    if not re.search(expand(case.stderr), proc.stderr, re.S):
        problems.append("stderr does not match %r" % case.stderr)
    if seconds > case.max_seconds:
        problems.append("took %.2fs, more than %.1fs" % (seconds, case.max_seconds))
    changed = diff(before, after)
    if changed:
        problems.append("the cluster changed: %s" % "; ".join(changed[:10]))
    accepted = [w for w in writes if (w[3] is None or w[3] < 400) and not w[4]]
    if accepted:
        problems.append("the plugin wrote to the cluster: %s" % accepted)
    if case.server_refuses and not [w for w in writes if w[3] is not None and 400 <= w[3] < 500]:
        problems.append("no refused write in the audit log (want the API server to have refused it)")
    if not case.server_refuses and writes:
        problems.append("the plugin sent writes: %s" % writes)
    WRITES.append((case.name, writes))
    if case.kubectl:
        kargs, kcode, kstderr = case.kubectl
        k = subprocess.run(["kubectl"] + kargs, env=env, capture_output=True, text=True, timeout=60)
        if k.returncode != kcode or not re.search(kstderr, k.stderr):
            problems.append("kubectl %s exited %d with %r, want %d and %r (kubectl's semantics changed?)"
                            % (" ".join(kargs), k.returncode, k.stderr[-300:], kcode, kstderr))
    status = "ok" if not problems else "FAIL"
    first_line = (proc.stderr.strip().splitlines() or [""])[0]
    log("%-4s %-62s exit %d %5.2fs  %s" % (status, case.name[:62], proc.returncode, seconds, first_line[:150]))
    if problems:
        raise AssertionError("%s: %s\nstderr: %s" % (case.name, "; ".join(problems), proc.stderr[-2000:]))


AUDIT = None


def test_bad_input_is_refused_with_a_clear_message_and_nothing_changes():
    global NS, TMP, ADMIN, AUDIT, PROXY
    ADMIN = json.loads(kubectl("config", "view", "--raw", "--minify", "-o", "json"))
    audit_path = ENV.get("LOCAL_CLUSTER_AUDIT_LOG")
    assert audit_path and os.path.exists(audit_path), "LOCAL_CLUSTER_AUDIT_LOG is not set or missing: %s" % audit_path
    AUDIT = AuditLog(audit_path)
    NS = fresh_namespace("badinput")
    TMP = tempfile.mkdtemp(prefix="badinput-")
    hang = silent_server()
    PROXY = Proxy()
    started = time.time()
    failures = []
    try:
        table = cases(hang.getsockname()[1])
        namespaces = {NS}
        unlocked = [c for c in table if not c.lock]
        locked = [c for c in table if c.lock]
        for case in unlocked:
            try:
                run_case(case, namespaces)
            except AssertionError as e:
                failures.append(str(e))
        with controller_lock():
            for case in locked:
                try:
                    run_case(case, namespaces)
                except AssertionError as e:
                    failures.append(str(e))
    finally:
        hang.close()
        PROXY.close()
        shutil.rmtree(TMP, ignore_errors=True)
        delete_namespace(NS)
    total = time.time() - started - LOCK_WAIT[0]
    for name, writes in WRITES:
        if writes:
            log("audit log, %s: %s" % (name, writes))
    codes = {}
    for _, code, _ in FIGURES:
        codes[code] = codes.get(code, 0) + 1
    log("%d cases in %.1fs (not counting %.1fs waiting for the controller lock); exit codes %s; slowest: %s" % (
        len(FIGURES), total, LOCK_WAIT[0], ", ".join("%d: %d cases" % kv for kv in sorted(codes.items())),
        ", ".join("%s %.2fs" % (n, s) for n, _, s in sorted(FIGURES, key=lambda f: -f[2])[:3])))
    assert not failures, "%d of %d cases failed:\n%s" % (len(failures), len(FIGURES), "\n".join(failures))


if __name__ == "__main__":
    main([test_bad_input_is_refused_with_a_clear_message_and_nothing_changes])
