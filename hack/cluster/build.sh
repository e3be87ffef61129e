#!/usr/bin/env bash
# Builds the local cluster's binaries from the Go module proxy (and the pause program from
# C) into a cache outside the repository, once per version:
#   ~/.cache/kubectl-bitcoin/<versions>/bin/{kube-apiserver,kube-controller-manager,kube-scheduler,
#       kubectl,kubelet,kube-proxy,etcd,helm,containerd,containerd-shim-runc-v2,ctr,coredns,
#       kube-router,local-path-provisioner,pause}
# A binary already in the cache is reused. Prints the versions and the time spent.
#
# kwok (simulated nodes for the scale benchmark) has a cache directory of its own, so that adding
# or bumping it never changes the bin dir above (which would rebuild Kubernetes):
#   ~/.cache/kubectl-bitcoin/kwok-<version>-<recipe>-<hash>/bin/kwok
#
#   hack/cluster/build.sh              build what is missing, print versions
#   hack/cluster/build.sh --bin-dir    print the bin dir only (no build)
#   hack/cluster/build.sh --kwok-path  print the kwok binary's path only (no build)
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
containerd_version="$(required_version "$here/containerd/go.mod" github.com/containerd/containerd/v2)"
coredns_version="$(required_version "$here/coredns/go.mod" github.com/coredns/coredns)"
kube_router_version="$(required_version "$here/kube-router/go.mod" github.com/cloudnativelabs/kube-router/v2)"
local_path_version="$(required_version "$here/local-path-provisioner/go.mod" github.com/rancher/local-path-provisioner)"
kwok_version="$(required_version "$here/kwok/go.mod" sigs.k8s.io/kwok)"
for v in k8s_version etcd_version helm_version containerd_version coredns_version kube_router_version local_path_version kwok_version; do
	[[ -n ${!v} ]] || die "cannot read $v from hack/cluster/*/go.mod"
done

# Bump recipe when the way the binaries are built changes, so old caches are not reused.
recipe=r3
# Everything that decides what the binaries are: the module files, the CoreDNS plugin list
# and the pause source. kwok's module is left out: it has its own cache directory below.
inputs=()
for m in "$here"/*/go.mod; do [[ $m == "$here/kwok/go.mod" ]] || inputs+=("$m"); done
inputs_hash="$(cat "$here"/go.mod "${inputs[@]}" "$here"/coredns/main.go "$here"/pause/pause.c | sha256sum | cut -c1-12)"
bin_dir="$cache_root/k8s-$k8s_version-$recipe-$inputs_hash/bin"
kwok_hash="$(cat "$here"/kwok/go.mod "$here"/kwok/go.sum | sha256sum | cut -c1-12)"
kwok_path="$cache_root/kwok-$kwok_version-$recipe-$kwok_hash/bin/kwok"

case "${1:-}" in
--bin-dir) echo "$bin_dir"; exit 0 ;;
--kwok-path) echo "$kwok_path"; exit 0 ;;
--versions)
	echo "kubernetes $k8s_version, etcd $etcd_version, helm $helm_version, containerd $containerd_version, coredns $coredns_version, kube-router $kube_router_version, local-path-provisioner $local_path_version, kwok $kwok_version"
	exit 0
	;;
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
build_into() { # module-dir dest-dir extra-ldflags build-tags binary-names... -- packages...
	local mod=$1 dest=$2 xflags=$3 tags=$4; shift 4
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
	(cd "$mod" && "$go" build -tags="$tags" -ldflags="$ldflags $xflags" -o "$out" "${pkgs[@]}") || { rm -rf "$tmp"; die "go build failed for ${names[*]}"; }
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
build_into "$here" "$bin_dir" "$k8s_x" "" kube-apiserver kube-controller-manager kube-scheduler kubectl kubelet kube-proxy -- \
	k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager \
	k8s.io/kubernetes/cmd/kube-scheduler k8s.io/kubernetes/cmd/kubectl \
	k8s.io/kubernetes/cmd/kubelet k8s.io/kubernetes/cmd/kube-proxy
build_into "$here/etcd" "$bin_dir" "" "" etcd -- go.etcd.io/etcd/server/v3
build_into "$here/helm" "$bin_dir" "-X helm.sh/helm/v3/internal/version.version=$helm_version -X helm.sh/helm/v3/internal/version.gitTreeState=clean" "" helm -- helm.sh/helm/v3/cmd/helm
# The snapshotters that need cgo or kernel features this machine lacks are left out, as
# containerd's own static release builds do.
build_into "$here/containerd" "$bin_dir" "-X github.com/containerd/containerd/v2/version.Version=$containerd_version" \
	"no_btrfs no_devmapper no_zfs no_aufs no_dynamic_plugins" containerd containerd-shim-runc-v2 ctr -- \
	github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
	github.com/containerd/containerd/v2/cmd/ctr
build_into "$here/coredns" "$bin_dir" "" "" coredns -- .
build_into "$here/kube-router" "$bin_dir" "" "" kube-router -- github.com/cloudnativelabs/kube-router/v2/cmd/kube-router
build_into "$here/local-path-provisioner" "$bin_dir" "" "" local-path-provisioner -- github.com/rancher/local-path-provisioner
if [[ ! -x $bin_dir/pause ]]; then
	echo "build.sh: building pause (C, static)" >&2
	cc -Os -static -o "$bin_dir/pause.tmp" "$here/pause/pause.c" && strip "$bin_dir/pause.tmp" && mv -f "$bin_dir/pause.tmp" "$bin_dir/pause" ||
		die "cc failed for pause"
	built+=(pause)
fi

# After the bin dir's own binaries, whose build time `up` reports (kwok's is not part of it).
elapsed=$(($(date +%s) - start))
((${#built[@]})) && echo "$elapsed" >"$bin_dir/.last-build-seconds"
build_into "$here/kwok" "$(dirname "$kwok_path")" "" "" kwok -- sigs.k8s.io/kwok/cmd/kwok

elapsed=$(($(date +%s) - start))
echo "build.sh: $("$0" --versions)" >&2
if ((${#built[@]})); then
	echo "build.sh: built ${built[*]} in ${elapsed}s" >&2
else
	echo "build.sh: all binaries cached in $bin_dir" >&2
fi
