#!/usr/bin/env bash
# Sets everything up on a fresh Debian 12 machine and runs every test suite through CTest:
# unit tests, the local cluster's own tests, integration tests against the real API server and real
# Bitcoin nodes, and end-to-end tests of the plugin. The log ends with CTest's summary.
#   hack/test.sh              everything
#   hack/test.sh -L unit      only one label (unit, cluster, integration, e2e); extra args go to ctest
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

hack/install-deps.sh
hack/build.sh

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

cd build
ctest --output-on-failure "$@"
