# Shared helpers of the end-to-end tests. Source it from a test script:
#   source "$(dirname "$0")/lib.sh"
# The tests drive the real plugin mechanism: `kubectl bitcoin ...` finds kubectl-bitcoin on PATH
# (CTest puts the build directory first). The cluster is hack/local-cluster.sh's unless KUBECONFIG
# is already set; the controller is expected to be installed (`kubectl bitcoin install`), or run
# by hand with KB_E2E_EXTERNAL_CONTROLLER=1 (e.g. `kubectl-bitcoin serve` on the host).
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$E2E_DIR/../.." && pwd)"
E2E_NAME="$(basename "$0" .sh)"
E2E_TMP="$(mktemp -d "/tmp/kb-e2e-$E2E_NAME-XXXXXX")"
E2E_CLEANUP=()

log() { printf '[%s %s] %s\n' "$(date -u +%H:%M:%S)" "$E2E_NAME" "$*" >&2; }
fail() {
  log "FAIL: $*"
  exit 1
}

cleanup() {
  local status=$?
  local i
  for ((i = ${#E2E_CLEANUP[@]} - 1; i >= 0; i--)); do
    eval "${E2E_CLEANUP[i]}" >/dev/null 2>&1 || true
  done
  rm -rf "$E2E_TMP"
  if ((status == 0)); then log "PASS"; fi
  exit "$status"
}
trap cleanup EXIT
on_exit() { E2E_CLEANUP+=("$*"); }

# run CMD...: runs it, keeping stdout in $OUT, stderr in $ERR and the exit code in $CODE.
run() {
  set +e
  "$@" >"$E2E_TMP/out" 2>"$E2E_TMP/err"
  CODE=$?
  set -e
  OUT="$(cat "$E2E_TMP/out")"
  ERR="$(cat "$E2E_TMP/err")"
}

show() { printf -- '--- command: %s\n--- exit %s\n--- stdout:\n%s\n--- stderr:\n%s\n' "$1" "$CODE" "$OUT" "$ERR" >&2; }

# expect CODE CMD...: runs the command and fails unless it exits with CODE.
expect() {
  local want=$1
  shift
  run "$@"
  if [[ $CODE != "$want" ]]; then
    show "$*"
    fail "expected exit $want from: $*"
  fi
}

# contains TEXT NEEDLE [WHAT]: fails unless TEXT contains NEEDLE.
contains() {
  if [[ $1 != *"$2"* ]]; then
    printf -- '--- text:\n%s\n' "$1" >&2
    fail "${3:-output} does not contain: $2"
  fi
}
lacks() {
  if [[ $1 == *"$2"* ]]; then
    printf -- '--- text:\n%s\n' "$1" >&2
    fail "${3:-output} contains: $2"
  fi
}

# eventually TIMEOUT_SECONDS CMD...: retries every 2 s until the command succeeds.
eventually() {
  local timeout=$1
  shift
  local deadline=$((SECONDS + timeout))
  until "$@" >"$E2E_TMP/eventually.out" 2>&1; do
    if ((SECONDS >= deadline)); then
      cat "$E2E_TMP/eventually.out" >&2
      fail "timed out after ${timeout}s waiting for: $*"
    fi
    sleep 2
  done
}

json_get() { python3 -c 'import json,sys; v=json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
    if v is None: break
print("" if v is None else v)' "$1"; }
is_json() { python3 -c 'import json,sys; json.load(sys.stdin)'; }
is_yaml() { python3 -c 'import sys,yaml; list(yaml.safe_load_all(sys.stdin))'; }

# The plugin must be the one just built, found by kubectl's plugin mechanism.
need_plugin() {
  command -v kubectl >/dev/null || fail "kubectl is not on PATH"
  local found
  found="$(command -v kubectl-bitcoin)" || fail "kubectl-bitcoin is not on PATH (run through ctest, or PATH=\$PWD/build:\$PATH)"
  log "plugin: $found"
}

need_cluster() {
  need_plugin
  if [[ -z ${KUBECONFIG:-} ]]; then
    "$REPO/hack/local-cluster.sh" status >/dev/null 2>&1 ||
      fail "the local cluster is not running (hack/local-cluster.sh up) and KUBECONFIG is not set"
    eval "$("$REPO/hack/local-cluster.sh" env)"
  fi
  kubectl version --request-timeout=10s >/dev/null 2>&1 || fail "the cluster at KUBECONFIG=$KUBECONFIG does not answer"
}

need_controller() {
  need_cluster
  kubectl get crd bitcoinnetworks.bitcoin.kubectl-bitcoin.dev >/dev/null 2>&1 ||
    fail "the BitcoinNetwork CRD is not installed; run kubectl bitcoin install before the e2e tests"
  if [[ ${KB_E2E_EXTERNAL_CONTROLLER:-0} != 1 ]]; then
    kubectl get deploy -A -l app.kubernetes.io/name=bitcoin-controller -o name 2>/dev/null | grep -q . ||
      fail "no controller Deployment; run kubectl bitcoin install (or set KB_E2E_EXTERNAL_CONTROLLER=1)"
  fi
}

# A fresh namespace in $NS, deleted when the test ends. Call it directly (not in $(...): the
# cleanup must be registered in the test's own shell).
new_namespace() {
  NS="e2e-$E2E_NAME-$(tr -dc 'a-z0-9' </dev/urandom | head -c 6 || true)"
  NS="${NS//_/-}"
  kubectl create namespace "$NS" >/dev/null
  on_exit "kubectl delete namespace $NS --wait=false"
}

