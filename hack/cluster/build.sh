#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy into a cache outside
# the repository, once per version:
#   ~/.cache/kubectl-bitcoin/<versions>/bin/{kube-apiserver,kube-controller-manager,
#                                            kube-scheduler,kubectl,etcd,helm}
#   ~/.cache/kubectl-bitcoin/agent-<source hash>/node-agent
# A binary already in the cache is reused. Prints the versions and the time spent.
#
#   hack/cluster/build.sh            build what is missing, print versions
#   hack/cluster/build.sh --bin-dir  print the control-plane bin dir only (no build)
#   hack/cluster/build.sh --agent    print the node-agent path only (no build)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${KUBECTL_BITCOIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-bitcoin}"

die() { echo "build.sh: $*" >&2; exit 1; }

find_go() {
	if command -v go >/dev/null 2>&1; then command -v go; return; fi
	for g in /usr/local/go/bin/go /usr/lib/go/bin/go; do
		[[ -x $g ]] && { echo "$g"; return; }
	done
	die "missing tool: go (Go 1.26 or newer is needed to build the local cluster)"
}

# The version of a module required by one of our go.mod files.
required_version() { # go.mod module
	awk -v m="$2" '$1 == m { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$1"
}

k8s_version="$(required_version "$here/go.mod" k8s.io/kubernetes)"
etcd_version="$(required_version "$here/etcd/go.mod" go.etcd.io/etcd/server/v3)"
helm_version="$(required_version "$here/helm/go.mod" helm.sh/helm/v3)"
[[ -n $k8s_version && -n $etcd_version && -n $helm_version ]] || die "cannot read the pinned versions from hack/cluster/*/go.mod"

# Bump recipe when the way the binaries are built changes, so old caches are not reused.
recipe=r2
bin_dir="$cache_root/k8s-$k8s_version-etcd-$etcd_version-helm-$helm_version-$recipe/bin"
agent_hash="$(cat "$here/go.mod" "$here/go.sum" "$here"/node-agent/*.go | sha256sum | cut -c1-16)"
agent_bin="$cache_root/agent-$agent_hash/node-agent"

case "${1:-}" in
--bin-dir) echo "$bin_dir"; exit 0 ;;
--agent) echo "$agent_bin"; exit 0 ;;
"") ;;
*) die "unknown argument: $1" ;;
esac

go="$(find_go)"
export GOFLAGS="-trimpath -buildvcs=false ${GOFLAGS_EXTRA:-}"
export CGO_ENABLED=0
ldflags="-s -w"
start=$(date +%s)
built=()

# go build writes into a temporary dir first so that an interrupted build never
# leaves a half-written binary that a later run would take as cached.
build_into() { # module-dir dest-dir extra-ldflags binary-names... -- packages...
	local mod=$1 dest=$2 xflags=$3; shift 3
	local names=() pkgs=()
	while [[ $1 != -- ]]; do names+=("$1"); shift; done
	shift; pkgs=("$@")
	local missing=0
	for n in "${names[@]}"; do [[ -x $dest/$n ]] || missing=1; done
	((missing)) || return 0
	mkdir -p "$dest"
	local tmp; tmp="$(mktemp -d "$dest/.build.XXXXXX")"
	echo "build.sh: building ${names[*]} (in $mod)" >&2
	local out="$tmp/"
	# A single binary is written under its own name (etcd's main package would be "server").
	((${#names[@]} == 1)) && out="$tmp/${names[0]}"
	(cd "$mod" && "$go" build -ldflags="$ldflags $xflags" -o "$out" "${pkgs[@]}") || { rm -rf "$tmp"; die "go build failed for ${names[*]}"; }
	for n in "${names[@]}"; do mv -f "$tmp/$n" "$dest/$n"; done
	rm -rf "$tmp"
	built+=("${names[@]}")
}

# Version stamps as the Kubernetes release build sets them (clients parse the server version).
k8s_x=""
minor="${k8s_version#v1.}"; minor="${minor%%.*}"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	k8s_x+=" -X $p.gitVersion=$k8s_version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
	k8s_x+=" -X $p.gitCommit=0000000000000000000000000000000000000000 -X $p.gitTreeState=clean"
	k8s_x+=" -X $p.buildDate=1970-01-01T00:00:00Z"
done
build_into "$here" "$bin_dir" "$k8s_x" kube-apiserver kube-controller-manager kube-scheduler kubectl -- \
	k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl
build_into "$here/etcd" "$bin_dir" "" etcd -- go.etcd.io/etcd/server/v3
build_into "$here/helm" "$bin_dir" "-X helm.sh/helm/v3/internal/version.version=$helm_version -X helm.sh/helm/v3/internal/version.gitTreeState=clean" helm -- helm.sh/helm/v3/cmd/helm
build_into "$here" "$(dirname "$agent_bin")" "" node-agent -- ./node-agent

# Old node agents (one per source change) pile up: keep the three newest.
{ ls -dt "$cache_root"/agent-*/ 2>/dev/null || true; } | tail -n +4 | xargs -r rm -rf

elapsed=$(($(date +%s) - start))
echo "build.sh: kubernetes $k8s_version, etcd $etcd_version, helm $helm_version, node-agent $agent_hash" >&2
if ((${#built[@]})); then
	echo "build.sh: built ${built[*]} in ${elapsed}s" >&2
else
	echo "build.sh: all binaries cached in $bin_dir" >&2
fi
