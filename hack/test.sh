#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs every test suite through CTest:
# unit tests, the local cluster's own tests, integration tests against the real API server and real
# Bitcoin nodes, and end-to-end tests of the plugin. The log ends with CTest's summary.
#   hack/test.sh              everything
#   hack/test.sh -L unit      only one label (unit, cluster, integration, e2e); extra args go to ctest
#   KB_SANITIZE=0 hack/test.sh   without the ASan+UBSan run (below)
#
# The unit and the C++ integration tests also run from build-asan/ (clang, AddressSanitizer +
# UndefinedBehaviorSanitizer + LeakSanitizer; `KB_SANITIZE=1 hack/build.sh`) as a second CTest run
# whose tests are named asan.unit.* and asan.integration.*; its failures fail this script. The C++
# integration tests run only there, not from build/ as well: they exercise library code (pkg/kube,
# pkg/bitcoin) against the real API server and real nodes, and under the sanitizers they check the
# same assertions plus memory and UB; the release binary itself is covered by the e2e and system
# tests, which run from build/. Running them twice would only add their run time again.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
sanitize=${KB_SANITIZE:-1}
unset KB_SANITIZE # hack/build.sh reads it

hack/install-deps.sh
hack/build.sh
if [[ $sanitize == 1 ]]; then
  # Before the cluster comes up: `up` imports the ASan controller image built from it.
  KB_SANITIZE=1 hack/build.sh
fi

needs_cluster=1
if [[ $# -gt 0 && "$*" == *"-L unit"* ]]; then
  needs_cluster=0
fi
if [[ $needs_cluster == 1 ]]; then
  started_here=0
  if ! hack/local-cluster.sh status >/dev/null 2>&1; then
    started_here=1
  fi
  # A cluster that was running before is the user's: the test that takes the cluster down
  # skips itself, and the trap below leaves it running.
  KB_CLUSTER_PREEXISTING=$((1 - started_here))
  export KB_CLUSTER_PREEXISTING
  hack/local-cluster.sh up
  if [[ $started_here == 1 && ${KB_KEEP_CLUSTER:-0} != 1 ]]; then
    trap 'cd "$root" && hack/local-cluster.sh down >/dev/null 2>&1 || true' EXIT
  fi
  eval "$(hack/local-cluster.sh env)"
  # The user's networks on a cluster that was running before: tests that would delete them (removing
  # the CRD) skip themselves and say so.
  KB_USERS_NETWORKS=""
  if [[ $started_here == 0 ]]; then
    KB_USERS_NETWORKS=$(kubectl get bitcoinnetworks.bitcoin.kubectl-bitcoin.dev -A --ignore-not-found \
      -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name} {end}' 2>/dev/null || true)
  fi
  export KB_USERS_NETWORKS
  # The Bitcoin node inside the cluster's node image, for the tests that start node processes
  # on the host themselves.
  KB_BITCOIND=${KB_BITCOIND:-$(hack/cluster/images.sh node-bin)}
  export KUBECONFIG KB_BITCOIND
fi

status=0
if [[ $sanitize == 1 ]]; then
  # Before the main run: the main run's last test may take a cluster down that this script started.
  (cd build-asan && ctest --output-on-failure "$@") || status=$?
  main_args=(-E '^integration\.')
else
  main_args=()
fi
(cd build && ctest --output-on-failure "${main_args[@]}" "$@") || status=$?
if ((status != 0)) && [[ $sanitize == 1 ]]; then
  echo "test.sh: failures above (the build-asan run's tests are named asan.*)" >&2
fi
exit "$status"
