#!/usr/bin/env bash
# The long versions of the fault tests and the fuzzers (hack/test.sh runs short ones):
#   hack/chaos.sh                 every test labelled "chaos" (fault tests) and "fuzz", long
#   hack/chaos.sh -R leader       extra args go to ctest (here: only tests matching "leader")
# KB_CHAOS_LONG=1 tells each test to run its long version (more networks, more rounds, longer
# fuzzing); the figures each test measures are printed in its log (ctest --output-on-failure -V).
set -euo pipefail
cd "$(dirname "$0")/.."

hack/install-deps.sh
hack/build.sh
hack/local-cluster.sh up
eval "$(hack/local-cluster.sh env)"
KB_BITCOIND=${KB_BITCOIND:-$(hack/cluster/images.sh node-bin)}
export KUBECONFIG KB_BITCOIND KB_CHAOS_LONG=1 KB_CLUSTER_PREEXISTING=1

KB_SANITIZE=1 hack/build.sh # the fuzzers live in the clang build (build-asan/)
status=0
(cd build && ctest --output-on-failure -V -L chaos "$@") || status=$?
(cd build-asan && ctest --output-on-failure -V -L fuzz "$@") || status=$?
exit "$status"
