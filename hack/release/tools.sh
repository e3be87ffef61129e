#!/usr/bin/env bash
# Builds the release test's tools from the Go module proxy into a cache outside the repository,
# once per module content (the same scheme as hack/cluster/build.sh):
#   ~/.cache/kubectl-bitcoin/release-tools-<recipe>-<hash>/bin/{registry,kubectl-krew}
# registry is the CNCF distribution registry (github.com/distribution/distribution/v3/cmd/registry);
# kubectl-krew is krew (sigs.k8s.io/krew/cmd/krew), named so that kubectl finds it as `kubectl krew`.
#
#   hack/release/tools.sh            build what is missing, print the bin dir
#   hack/release/tools.sh --bin-dir  print the bin dir only (no build)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${KUBECTL_BITCOIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-bitcoin}"

die() { echo "tools.sh: $*" >&2; exit 1; }

# Bump recipe when the way the binaries are built changes, so old caches are not reused.
recipe=r1
inputs_hash="$(cat "$here"/registry/go.mod "$here"/registry/go.sum "$here"/krew/go.mod "$here"/krew/go.sum | sha256sum | cut -c1-12)"
bin_dir="$cache_root/release-tools-$recipe-$inputs_hash/bin"

case "${1:-}" in
--bin-dir) echo "$bin_dir"; exit 0 ;;
"") ;;
*) die "unknown argument: $1" ;;
esac

go=$(command -v go || true)
[[ -n $go ]] || for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do [[ -x $g ]] && go=$g && break; done
[[ -n $go ]] || die "missing tool: go (needed to build the registry and krew)"
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0

# build MODULE-DIR NAME PACKAGE: through a temporary file, so that an interrupted build never
# leaves a half-written binary that a later run would take as cached.
build() {
	local mod=$1 name=$2 pkg=$3
	[[ -x $bin_dir/$name ]] && return 0
	mkdir -p "$bin_dir"
	echo "tools.sh: building $name ($pkg)" >&2
	(cd "$here/$mod" && "$go" build -ldflags="-s -w" -o "$bin_dir/.$name.part" "$pkg") || { rm -f "$bin_dir/.$name.part"; die "go build failed for $name"; }
	mv -f "$bin_dir/.$name.part" "$bin_dir/$name"
}
build registry registry github.com/distribution/distribution/v3/cmd/registry
build krew kubectl-krew sigs.k8s.io/krew/cmd/krew
echo "$bin_dir"
