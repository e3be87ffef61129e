#!/usr/bin/env bash
# The main job, end to end: build, start the local cluster, install the controller, create a
# three-node regtest network that mines every 10 seconds, and show it.
set -euo pipefail
cd "$(dirname "$0")/.."

hack/install-deps.sh
hack/build.sh
export PATH=$PWD/build:$PATH

echo "== kubectl bitcoin version"
kubectl bitcoin version
