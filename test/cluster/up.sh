#!/usr/bin/env bash
# The local_cluster fixture's setup: `hack/local-cluster.sh up`, remembering in the build
# directory whether this run started the cluster. cluster.down_leaves_nothing (the fixture's
# cleanup) takes the cluster down only when it was started here: `ctest -R some.test` against a
# cluster someone is using must leave it running (hack/test.sh says the same through
# KB_CLUSTER_PREEXISTING, which takes precedence).
set -euo pipefail
marker=${1:?usage: up.sh MARKER_FILE}
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if "$root/hack/local-cluster.sh" status >/dev/null 2>&1; then
	rm -f "$marker"
else
	mkdir -p "$(dirname "$marker")"
	: >"$marker"
fi
exec "$root/hack/local-cluster.sh" up
