#!/usr/bin/env bash
# Builds the release's tools from the Go module proxy into a cache outside the repository, once
# per module content (the same scheme as hack/cluster/build.sh):
#   ~/.cache/kubectl-bitcoin/release-tools-<recipe>-<hash>/bin/{oras,registry,kubectl-krew}
# oras is the OCI registry client hack/publish.sh pushes the image with (oras.land/oras/cmd/oras);
# registry is the CNCF distribution registry (github.com/distribution/distribution/v3/cmd/registry)
# and kubectl-krew is krew (sigs.k8s.io/krew/cmd/krew), named so that kubectl finds it as
# `kubectl krew`: those two only the release test needs.
#
#   hack/release/tools.sh [TOOL...]  build what is missing (all, or only the TOOLs named), print the bin dir
#   hack/release/tools.sh --bin-dir  print the bin dir only (no build)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${KUBECTL_BITCOIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-bitcoin}"

die() { echo "tools.sh: $*" >&2; exit 1; }

# Each tool: its name in the bin dir, its module directory beside this script, its Go package.
tools=(
	"oras oras oras.land/oras/cmd/oras"
	"registry registry github.com/distribution/distribution/v3/cmd/registry"
	"kubectl-krew krew sigs.k8s.io/krew/cmd/krew"
)
# Bump recipe when the way the binaries are built changes, so old caches are not reused.
recipe=r1
inputs_hash="$(for tool in "${tools[@]}"; do
	read -r _ mod _ <<<"$tool"
	cat "$here/$mod/go.mod" "$here/$mod/go.sum"
done | sha256sum | cut -c1-12)"
bin_dir="$cache_root/release-tools-$recipe-$inputs_hash/bin"

[[ ${1:-} == --bin-dir ]] && { echo "$bin_dir"; exit 0; }
known=" ${tools[*]%% *} "
for name in "$@"; do
	[[ $known == *" $name "* ]] || { echo "tools.sh: unknown tool: $name (known:$known)" >&2; exit 2; }
done
wanted=" ${*:-${tools[*]%% *}} "

go=$(command -v go || true)
[[ -n $go ]] || for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do [[ -x $g ]] && go=$g && break; done
[[ -n $go ]] || die "missing tool: go (needed to build the release tools)"
export GOFLAGS="-trimpath -buildvcs=false" CGO_ENABLED=0

# Built through a temporary file, so that an interrupted build never leaves a half-written binary
# that a later run would take as cached.
for tool in "${tools[@]}"; do
	read -r name mod pkg <<<"$tool"
	[[ $wanted == *" $name "* && ! -x $bin_dir/$name ]] || continue
	mkdir -p "$bin_dir"
	echo "tools.sh: building $name ($pkg)" >&2
	(cd "$here/$mod" && "$go" build -ldflags="-s -w" -o "$bin_dir/.$name.part" "$pkg") || { rm -f "$bin_dir/.$name.part"; die "go build failed for $name"; }
	mv -f "$bin_dir/.$name.part" "$bin_dir/$name"
done
echo "$bin_dir"
