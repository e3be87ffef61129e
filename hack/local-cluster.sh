#!/usr/bin/env bash
# A local Kubernetes cluster: the upstream control plane on this machine and one real node —
# containerd, runc and the CNI plugins, the upstream kubelet, kube-proxy, kube-router's network
# policy controller — in a network namespace of its own, with CoreDNS and a local-path
# provisioner as add-ons. Images are built here from local files (hack/cluster/images.sh).
# See hack/README.md.
#
#   hack/local-cluster.sh up                 build what is missing, start, wait for the node and add-ons; prints the admin kubeconfig path
#   hack/local-cluster.sh down               stop everything; no processes, mounts, netns, links, iptables rules, cgroups or files outside the state dir stay
#   hack/local-cluster.sh status             one line per component; exit 0 only if all are healthy
#   hack/local-cluster.sh env                prints export KUBECONFIG=... (and LOCAL_CLUSTER_* helpers)
#   hack/local-cluster.sh logs POD [-n NS] [-c CONTAINER] [--previous] [-f]     (kubectl logs)
#   hack/local-cluster.sh images             re-import the images (after hack/build.sh rebuilt the controller)
#
# State lives in $LOCAL_CLUSTER_DIR (default: .local-cluster/ at the repository root).
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${LOCAL_CLUSTER_DIR:-$repo/.local-cluster}"
cache_root="${KUBECTL_BITCOIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kubectl-bitcoin}"

# Ports of the control plane (on the host; non-default numbers, so a real cluster on this
# machine does not clash). The node's own ports are inside its network namespace.
etcd_port="${LOCAL_CLUSTER_ETCD_PORT:-23790}"
etcd_peer_port="${LOCAL_CLUSTER_ETCD_PEER_PORT:-23800}"
apiserver_port="${LOCAL_CLUSTER_APISERVER_PORT:-16443}"
kcm_port="${LOCAL_CLUSTER_KCM_PORT:-20257}"
scheduler_port="${LOCAL_CLUSTER_SCHEDULER_PORT:-20259}"

node_name=local-node
node_netns=kbc-node
host_link=kbc-host  # the host's end of the veth pair; the node's end is eth0 in $node_netns
host_ip=10.243.0.1  # the apiserver's advertised address, reached by the node and the pods
node_ip=10.243.0.2
link_cidr=10.243.0.0/24
cluster_cidr=10.244.0.0/16
pod_cidr=10.244.0.0/24
service_cidr=10.96.0.0/16
kubernetes_svc_ip=10.96.0.1
dns_svc_ip=10.96.0.10

control_plane=(etcd kube-apiserver kube-controller-manager kube-scheduler)
node_components=(containerd kubelet kube-proxy kube-router)
addons=(coredns local-path-provisioner)
components=("${control_plane[@]}" "${node_components[@]}" "${addons[@]}")

# Host paths the kubelet, containerd and the CNI plugins use whatever they are told; `up`
# records which of them existed before it, and `down` removes the others.
host_paths=(/run/containerd /var/lib/cni /var/log/containers /var/log/pods /var/lib/kubelet /run/netns /etc/cni /opt/cni)

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*" >&2; }

kubeconfig="$state/admin.kubeconfig"
pki="$state/pki"

run_dir="$state/run"
log_dir="$state/logs"
audit_log="$log_dir/audit.log"
node_dir="$state/node"
containerd_sock="$node_dir/containerd/containerd.sock"

# ---------------------------------------------------------------- prerequisites

# need_tool TOOL DEBIAN-PACKAGE: install with apt-get only when missing.
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	if command -v apt-get >/dev/null 2>&1 && [[ $(id -u) == 0 ]]; then
		say "installing $2 (for $1)"
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1 ||
			{ DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 &&
				DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$2" >/dev/null 2>&1; } || true
	fi
	command -v "$1" >/dev/null 2>&1 || die "missing tool: $1 (install the Debian package $2)"
}

check_prereqs() {
	[[ $(uname -s) == Linux ]] || die "needs Linux (network namespaces, cgroups)"
	[[ $(id -u) == 0 ]] || die "must run as root (network namespaces, mounts, cgroups, a container runtime)"
	need_tool ip iproute2
	need_tool ss iproute2
	need_tool nsenter util-linux
	need_tool setsid util-linux
	need_tool iptables iptables
	need_tool ipset ipset
	need_tool conntrack conntrack
	need_tool openssl openssl
	need_tool curl curl
	need_tool python3 python3
	need_tool runc runc
	need_tool mmdebstrap mmdebstrap
	need_tool file file
	need_tool socat socat
	[[ -x /usr/lib/cni/bridge ]] || need_tool /usr/lib/cni/bridge containernetworking-plugins
	[[ -x /bin/busybox ]] && file -L /bin/busybox | grep -q statically || need_tool /bin/busybox busybox-static
	python3 -m pip --version >/dev/null 2>&1 || need_tool pip3 python3-pip
}

bin_dir() { "$repo/hack/cluster/build.sh" --bin-dir; }
kwok_path() { "$repo/hack/cluster/build.sh" --kwok-path; }

kubectl_bin() {
	local b; b="$(bin_dir)/kubectl"
	if [[ -x $b ]]; then echo "$b"; elif command -v kubectl >/dev/null 2>&1; then command -v kubectl; else die "missing tool: kubectl"; fi
}
k() { "$(kubectl_bin)" --kubeconfig "$kubeconfig" "$@"; }

# in_node CMD...: runs CMD in the node's network namespace only (not `ip netns exec`, which
# also remounts /sys: the kubelet and containerd must see the host's mounts and cgroups).
in_node() { nsenter --net="/run/netns/$node_netns" -- "$@"; }

# ---------------------------------------------------------------- certificates

# Bump when the set of certificates or their names change, so old state is regenerated.
pki_recipe=v2-real-node

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
	[[ $(cat "$pki/done" 2>/dev/null) == "$pki_recipe" ]] && return 0
	say "generating certificates in $pki"
	rm -rf "$pki"
	mkdir -p "$pki"
	chmod 700 "$pki"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout "$pki/ca.key" -out "$pki/ca.crt" -days 3650 \
		-subj "/CN=local-cluster-ca" -addext "basicConstraints=critical,CA:TRUE" \
		-addext "keyUsage=critical,keyCertSign,cRLSign,digitalSignature" 2>/dev/null
	gen_cert apiserver "/CN=kube-apiserver" \
		"DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:localhost,IP:127.0.0.1,IP:$kubernetes_svc_ip,IP:$host_ip" serverAuth
	gen_cert admin "/O=system:masters/CN=kubernetes-admin"
	gen_cert controller-manager "/CN=system:kube-controller-manager"
	gen_cert scheduler "/CN=system:kube-scheduler"
	gen_cert apiserver-kubelet-client "/O=system:masters/CN=kube-apiserver-kubelet-client"
	# The kubelet authenticates as its node (so the Node authorizer and NodeRestriction apply)
	# and serves on the node's IP with the same key pair.
	gen_cert kubelet "/O=system:nodes/CN=system:node:$node_name" "DNS:$node_name,IP:$node_ip,IP:127.0.0.1" serverAuth,clientAuth
	gen_cert kube-proxy "/CN=system:kube-proxy"
	gen_cert kube-router "/CN=system:kube-router"
	openssl genrsa -out "$pki/sa.key" 2048 2>/dev/null
	openssl rsa -in "$pki/sa.key" -pubout -out "$pki/sa.pub" 2>/dev/null
	echo "$pki_recipe" >"$pki/done"
}

write_kubeconfig() { # file cert-name user
	local file=$1 cert=$2 user=$3 kb; kb="$(kubectl_bin)"
	rm -f "$file"
	"$kb" config set-cluster local --server="https://$host_ip:$apiserver_port" \
		--certificate-authority="$pki/ca.crt" --embed-certs=true --kubeconfig="$file" >/dev/null
	"$kb" config set-credentials "$user" --client-certificate="$pki/$cert.crt" \
		--client-key="$pki/$cert.key" --embed-certs=true --kubeconfig="$file" >/dev/null
	"$kb" config set-context local --cluster=local --user="$user" --kubeconfig="$file" >/dev/null
	"$kb" config use-context local --kubeconfig="$file" >/dev/null
	chmod 600 "$file"
}

ensure_kubeconfigs() {
	local f
	for f in controller-manager scheduler kubelet kube-proxy kube-router; do
		[[ -s $state/$f.kubeconfig && $state/$f.kubeconfig -nt $pki/done ]] && continue
		write_kubeconfig "$state/$f.kubeconfig" "$f" "system:$f"
	done
	if [[ ! -s $kubeconfig || $kubeconfig -ot $pki/done ]]; then
		write_kubeconfig "$kubeconfig.tmp" admin kubernetes-admin
		# The admin talks to the apiserver on loopback (the host address works too).
		"$(kubectl_bin)" config set-cluster local --server="https://127.0.0.1:$apiserver_port" --kubeconfig="$kubeconfig.tmp" >/dev/null
		mv -f "$kubeconfig.tmp" "$kubeconfig"
	fi
}

# ---------------------------------------------------------------- processes

# alive PID: exists and is not a zombie.
alive() { [[ -d /proc/$1 ]] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

pid_of() { # component -> pid if running
	local f="$run_dir/$1.pid" pid
	[[ -s $f ]] || return 1
	pid="$(<"$f")"
	alive "$pid" && echo "$pid"
}

port_in_use() { ss -Htln "sport = :$1" 2>/dev/null | grep -q .; }

check_port() { # port what VAR
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
	local secs=$1; shift 2
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
node_healthz() { in_node curl -sf --max-time 2 "http://127.0.0.1:$1/healthz" >/dev/null; }
node_ready() {
	[[ $(k get node "$node_name" --request-timeout=3s -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null) == True ]]
}
deployment_available() { # namespace name
	[[ $(k -n "$1" get deployment "$2" --request-timeout=3s -o 'jsonpath={.status.availableReplicas}' 2>/dev/null) -ge 1 ]]
}

healthy() { # component
	case $1 in
	etcd) pid_of etcd >/dev/null && etcd_healthy ;;
	kube-apiserver) pid_of kube-apiserver >/dev/null && apiserver_healthy ;;
	kube-controller-manager) pid_of kube-controller-manager >/dev/null && secure_healthz "$kcm_port" ;;
	kube-scheduler) pid_of kube-scheduler >/dev/null && secure_healthz "$scheduler_port" ;;
	containerd) pid_of containerd >/dev/null && "$(bin_dir)/ctr" --address "$containerd_sock" version >/dev/null 2>&1 ;;
	kubelet) pid_of kubelet >/dev/null && node_healthz 10248 && node_ready ;;
	kube-proxy) pid_of kube-proxy >/dev/null && node_healthz 10256 ;;
	kube-router) pid_of kube-router >/dev/null && node_healthz 20244 ;;
	coredns) deployment_available kube-system coredns ;;
	local-path-provisioner) deployment_available local-path-storage local-path-provisioner ;;
	esac
}

fail_start() { # component
	local log="$log_dir/$1.log"
	say "$1 did not become healthy; last lines of $log:"
	tail -n 15 "$log" >&2 || true
	die "$1 failed to start (see $log)"
}

# ---------------------------------------------------------------- the node's network

# The node is like a kind node container without the container: its own network namespace,
# joined to the host by a veth pair. The host routes the pod and service ranges to it, so
# the apiserver (for exec, logs, port-forward and services/proxy), the tests and the user's
# tools reach pod IPs and ClusterIPs from the host. Nothing is added to the host's iptables.
setup_node_network() {
	grep -q ' /run/netns ' /proc/mounts || [[ -e $state/netns-mount-ours ]] || touch "$state/netns-mount-ours"
	if ! ip netns list 2>/dev/null | grep -qw "$node_netns"; then
		ip netns add "$node_netns"
	fi
	if ! ip link show "$host_link" >/dev/null 2>&1; then
		ip link add "$host_link" type veth peer name kbc-node-eth0
		ip link set kbc-node-eth0 netns "$node_netns"
		ip -n "$node_netns" link set kbc-node-eth0 name eth0
		ip addr add "$host_ip/24" dev "$host_link"
		ip link set "$host_link" up
		ip -n "$node_netns" addr add "$node_ip/24" dev eth0
		ip -n "$node_netns" link set eth0 up
		ip -n "$node_netns" link set lo up
		ip -n "$node_netns" route add default via "$host_ip"
	fi
	ip route replace "$cluster_cidr" via "$node_ip" dev "$host_link"
	ip route replace "$service_cidr" via "$node_ip" dev "$host_link"
	# The node routes between its pods and the host, and bridged pod traffic goes through
	# iptables (kube-proxy's service rules and the NetworkPolicy rules see it).
	in_node sysctl -qw net.ipv4.ip_forward=1
	in_node sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null ||
		say "warning: net.bridge.bridge-nf-call-iptables is not available in the node's namespace; NetworkPolicy will not see pod-to-pod traffic"
	in_node sysctl -qw net.ipv4.conf.all.route_localnet=1
}

# ---------------------------------------------------------------- node configuration

write_node_config() {
	mkdir -p "$node_dir/cni" "$node_dir/containerd" "$node_dir/kubelet" "$node_dir/pod-logs" "$node_dir/local-path"
	cat >"$node_dir/cni/10-kbc.conflist" <<-CNI
		{
		  "cniVersion": "1.0.0",
		  "name": "kbc",
		  "plugins": [
		    {
		      "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
		      "ipam": {"type": "host-local", "dataDir": "$node_dir/cni-ipam", "ranges": [[{"subnet": "$pod_cidr"}]], "routes": [{"dst": "0.0.0.0/0"}]}
		    },
		    {"type": "portmap", "capabilities": {"portMappings": true}}
		  ]
		}
	CNI
	# restrict_oom_score_adj: this machine's capability bounding set lacks CAP_SYS_RESOURCE,
	# so runc cannot lower a container's oom_score_adj below containerd's own; without it every
	# sandbox fails with "can't get final child's PID from pipe: EOF".
	cat >"$node_dir/containerd.toml" <<-TOML
		version = 3
		root = "$node_dir/containerd/root"
		state = "$node_dir/containerd/state"
		[grpc]
		  address = "$containerd_sock"
		[ttrpc]
		  address = "$containerd_sock.ttrpc"
		[debug]
		  level = "warn"
		[plugins.'io.containerd.cri.v1.images']
		  snapshotter = "overlayfs"
		  [plugins.'io.containerd.cri.v1.images'.pinned_images]
		    sandbox = "registry.k8s.io/pause:3.10"
		[plugins.'io.containerd.cri.v1.runtime']
		  enable_selinux = false
		  restrict_oom_score_adj = true
		  [plugins.'io.containerd.cri.v1.runtime'.containerd]
		    default_runtime_name = "runc"
		    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
		      runtime_type = "io.containerd.runc.v2"
		      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
		        BinaryName = "$(command -v runc)"
		        SystemdCgroup = false
		  [plugins.'io.containerd.cri.v1.runtime'.cni]
		    bin_dirs = ["/usr/lib/cni"]
		    conf_dir = "$node_dir/cni"
		[plugins.'io.containerd.grpc.v1.cri']
		  stream_server_address = "127.0.0.1"
		  stream_server_port = "0"
	TOML
	echo "nameserver $dns_svc_ip" >"$node_dir/resolv.conf"
	# cgroupfs and failCgroupV1: false — this machine has cgroup v1 hierarchies and no systemd
	# as PID 1. Low eviction thresholds: the tests fill no disk, and a busy build machine must
	# not evict pods.
	cat >"$node_dir/kubelet.yaml" <<-YAML
		apiVersion: kubelet.config.k8s.io/v1beta1
		kind: KubeletConfiguration
		authentication:
		  anonymous: {enabled: false}
		  webhook: {enabled: true}
		  x509: {clientCAFile: "$pki/ca.crt"}
		authorization: {mode: Webhook}
		address: "$node_ip"
		port: 10250
		readOnlyPort: 0
		healthzBindAddress: 127.0.0.1
		healthzPort: 10248
		tlsCertFile: "$pki/kubelet.crt"
		tlsPrivateKeyFile: "$pki/kubelet.key"
		containerRuntimeEndpoint: "unix://$containerd_sock"
		cgroupDriver: cgroupfs
		failCgroupV1: false
		failSwapOn: false
		clusterDNS: ["$dns_svc_ip"]
		clusterDomain: cluster.local
		resolvConf: "$node_dir/resolv.conf"
		podLogsDir: "$node_dir/pod-logs"
		evictionHard: {memory.available: "100Mi", nodefs.available: "1%", nodefs.inodesFree: "1%", imagefs.available: "1%"}
		imageGCHighThresholdPercent: 100
		imageGCLowThresholdPercent: 99
		serializeImagePulls: false
		rotateCertificates: false
		serverTLSBootstrap: false
		protectKernelDefaults: true
		makeIPTablesUtilChains: true
		maxPods: 250
		syncFrequency: 10s
		fileCheckFrequency: 10s
		nodeStatusUpdateFrequency: 10s
	YAML
	cat >"$node_dir/kube-proxy.yaml" <<-YAML
		apiVersion: kubeproxy.config.k8s.io/v1alpha1
		kind: KubeProxyConfiguration
		clientConnection: {kubeconfig: "$state/kube-proxy.kubeconfig"}
		mode: iptables
		clusterCIDR: "$cluster_cidr"
		hostnameOverride: "$node_name"
		healthzBindAddress: 127.0.0.1:10256
		metricsBindAddress: 127.0.0.1:10249
		conntrack: {maxPerCore: 0, min: 0}
	YAML
}

# The kernel settings the kubelet would otherwise change on the host are checked, not set
# (protectKernelDefaults: true); these are the values it expects.
kernel_defaults() {
	local saved="$state/sysctl-saved"
	[[ -s $saved ]] || sysctl vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops 2>/dev/null | tr -d ' ' >"$saved"
	sysctl -qw vm.overcommit_memory=1 vm.panic_on_oom=0 kernel.panic=10 kernel.panic_on_oops=1 2>/dev/null || true
}
restore_kernel_settings() {
	local saved="$state/sysctl-saved" line
	[[ -s $saved ]] || return 0
	while read -r line; do sysctl -qw "$line" 2>/dev/null || true; done <"$saved"
	rm -f "$saved"
}

record_host_paths() {
	[[ -s $state/host-paths-before ]] && return 0
	local p
	for p in "${host_paths[@]}"; do [[ -e $p ]] && echo "$p"; done >"$state/host-paths-before"
	echo "# recorded $(date -u +%FT%TZ)" >>"$state/host-paths-before"
}

# ---------------------------------------------------------------- add-ons

apply_addons() {
	local versions v_coredns v_lpp
	versions="$("$repo/hack/cluster/build.sh" --versions | tr ',' '\n')"
	v_coredns="$(awk '$1 == "coredns" {print $2}' <<<"$versions")"
	v_lpp="$(awk '$1 == "local-path-provisioner" {print $2}' <<<"$versions")"
	local f
	for f in "$repo"/hack/cluster/addons/*.yaml; do
		sed -e "s|@DNS_IP@|$dns_svc_ip|g" -e "s|@COREDNS_VERSION@|$v_coredns|g" \
			-e "s|@LOCAL_PATH_VERSION@|$v_lpp|g" -e "s|@LOCAL_PATH_DIR@|$node_dir/local-path|g" "$f"
		echo "---"
	done | k apply --server-side --force-conflicts -f - >/dev/null || die "applying the add-ons (hack/cluster/addons) failed"
}

# ---------------------------------------------------------------- cleanup

# Every container process and the cgroups the kubelet made (kubepods) go, in every hierarchy.
kill_pod_cgroups() {
	local h cg pids any
	for _ in 1 2 3 4 5; do
		any=0
		for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
			[[ -d $h ]] || continue
			while read -r cg; do
				pids="$(cat "$cg/cgroup.procs" 2>/dev/null || true)"
				[[ -n $pids ]] && { any=1; kill -KILL $pids 2>/dev/null || true; }
			done < <(find "$h" -type d 2>/dev/null)
		done
		((any)) || break
		sleep 0.3
	done
	for h in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/kubepods; do
		[[ -d $h ]] || continue
		find "$h" -depth -type d -exec rmdir {} \; 2>/dev/null || true
	done
}

cleanup_mounts() {
	local m
	# Deepest first: containers' root file systems and volumes, the kubelet's bind mount of
	# its root dir onto itself, the shm and netns mounts of sandboxes.
	for m in $(awk -v d="$state/" 'index($2, d) == 1 {print $2}' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	for m in $(awk '$2 ~ "^/run/netns/cni-" || $2 ~ "^/var/run/netns/cni-" || $2 ~ "^/run/containerd/" || $2 ~ "^/var/lib/kubelet/" {print $2}' /proc/mounts | sort -r); do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}

cleanup_network() {
	local ns pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^(cni-|$node_netns\$)" || true); do
		for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null || true; done
		ip netns del "$ns" 2>/dev/null || rm -f "/run/netns/$ns"
	done
	ip link del "$host_link" 2>/dev/null || true
	ip route del "$cluster_cidr" 2>/dev/null || true
	ip route del "$service_cidr" 2>/dev/null || true
	# ip netns made /run/netns a mount point; undo it if we were the ones and it is empty.
	if [[ -e $state/netns-mount-ours ]]; then
		if [[ -z $(ls -A /run/netns 2>/dev/null) ]] && grep -q ' /run/netns ' /proc/mounts; then
			umount /run/netns 2>/dev/null || umount -l /run/netns 2>/dev/null || true
		fi
		rm -f "$state/netns-mount-ours"
	fi
}

# Host paths the node's components created (absent before the first up) go.
cleanup_host_paths() {
	[[ -s $state/host-paths-before ]] || return 0
	local p
	for p in "${host_paths[@]}"; do
		grep -qxF "$p" "$state/host-paths-before" && continue
		[[ -e $p ]] || continue
		grep -q " $p " /proc/mounts && { umount "$p" 2>/dev/null || umount -l "$p" 2>/dev/null || true; }
		rm -rf "$p"
	done
	rm -f "$state/host-paths-before"
}

# Components whose pid file was lost (a crashed or interrupted up), and containerd's shims
# (they outlive containerd by design): our own binaries, from the cache.
kill_orphans() {
	local p pids=() exe
	for p in /proc/[0-9]*; do
		p=${p#/proc/}
		[[ $p == "$$" || $p == "$BASHPID" ]] && continue
		exe="$(readlink "/proc/$p/exe" 2>/dev/null)" || continue
		[[ $exe == "$cache_root"/* ]] || continue
		if [[ $exe == */containerd-shim-runc-v2 ]] || { tr '\0' ' ' <"/proc/$p/cmdline"; } 2>/dev/null | grep -qF -- "$state/"; then
			pids+=("$p")
		fi
	done
	((${#pids[@]})) || return 0
	say "stopping leftover processes ${pids[*]}"
	kill -TERM "${pids[@]}" 2>/dev/null || true
	local i any
	for ((i = 0; i < 50; i++)); do
		any=0
		for p in "${pids[@]}"; do alive "$p" && any=1; done
		((any)) || break
		sleep 0.1
	done
	kill -KILL "${pids[@]}" 2>/dev/null || true
}

# ---------------------------------------------------------------- commands

preflight_ports() {
	if ! pid_of etcd >/dev/null; then
		check_port "$etcd_port" "etcd client" ETCD
		check_port "$etcd_peer_port" "etcd peer" ETCD_PEER
	fi
	pid_of kube-apiserver >/dev/null || check_port "$apiserver_port" "kube-apiserver" APISERVER
	pid_of kube-controller-manager >/dev/null || check_port "$kcm_port" "kube-controller-manager" KCM
	pid_of kube-scheduler >/dev/null || check_port "$scheduler_port" "kube-scheduler" SCHEDULER
	if ! ip link show "$host_link" >/dev/null 2>&1; then
		local dev
		for cidr in "$link_cidr" "$cluster_cidr" "$service_cidr"; do
			dev="$(ip -o route show "$cidr" 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i+1)}' | head -1)"
			[[ -z $dev || $dev == "$host_link" ]] || die "the cluster's range $cidr is already routed via $dev"
		done
	fi
}

# The API server's audit log records every write at Metadata level (see the policy file).
write_audit_policy() {
	cp "$repo/hack/cluster/audit-policy.yaml" "$state/audit-policy.yaml"
}

start_control_plane() {
	local bin=$1
	if ! pid_of etcd >/dev/null; then
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
		write_audit_policy
		start_proc kube-apiserver "$bin/kube-apiserver" \
			--etcd-servers="http://127.0.0.1:$etcd_port" \
			--bind-address=0.0.0.0 --secure-port="$apiserver_port" --advertise-address="$host_ip" \
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
			--cert-dir="$state/apiserver-certs" --profiling=false --event-ttl=1h --v=1 \
			--audit-policy-file="$state/audit-policy.yaml" --audit-log-path="$audit_log" \
			--audit-log-format=json --audit-log-maxsize=200 --audit-log-maxbackup=2 --audit-log-mode=blocking
	fi
	wait_for 90 kube-apiserver apiserver_healthy || fail_start kube-apiserver

	if ! pid_of kube-controller-manager >/dev/null; then
		local kc="$state/controller-manager.kubeconfig"
		start_proc kube-controller-manager "$bin/kube-controller-manager" \
			--kubeconfig="$kc" --authentication-kubeconfig="$kc" --authorization-kubeconfig="$kc" \
			--bind-address=127.0.0.1 --secure-port="$kcm_port" --cert-dir="$state/controller-manager-certs" \
			--root-ca-file="$pki/ca.crt" --service-account-private-key-file="$pki/sa.key" \
			--use-service-account-credentials=true \
			--cluster-signing-cert-file="$pki/ca.crt" --cluster-signing-key-file="$pki/ca.key" \
			--service-cluster-ip-range="$service_cidr" \
			--allocate-node-cidrs=true --cluster-cidr="$cluster_cidr" --node-cidr-mask-size=24 \
			--configure-cloud-routes=false \
			--controllers='*,bootstrapsigner,tokencleaner' --leader-elect=false --v=1
	fi
	if ! pid_of kube-scheduler >/dev/null; then
		local sc="$state/scheduler.kubeconfig"
		start_proc kube-scheduler "$bin/kube-scheduler" \
			--kubeconfig="$sc" --authentication-kubeconfig="$sc" --authorization-kubeconfig="$sc" \
			--bind-address=127.0.0.1 --secure-port="$scheduler_port" --leader-elect=false --v=1
	fi
}

start_node() {
	local bin=$1
	write_node_config
	kernel_defaults
	if ! pid_of containerd >/dev/null; then
		# The shim is found on PATH; TMPDIR keeps containerd's temporary mounts in the state dir.
		mkdir -p "$node_dir/tmp"
		start_proc containerd env PATH="$bin:$PATH" TMPDIR="$node_dir/tmp" \
			nsenter --net="/run/netns/$node_netns" -- "$bin/containerd" --config="$node_dir/containerd.toml"
	fi
	wait_for 30 containerd healthy containerd || fail_start containerd
	"$repo/hack/cluster/images.sh" import "$containerd_sock" || die "the images could not be built or imported (see above)"
	if ! pid_of kubelet >/dev/null; then
		start_proc kubelet nsenter --net="/run/netns/$node_netns" -- "$bin/kubelet" \
			--config="$node_dir/kubelet.yaml" --kubeconfig="$state/kubelet.kubeconfig" \
			--hostname-override="$node_name" --node-ip="$node_ip" \
			--root-dir="$node_dir/kubelet" --cert-dir="$node_dir/kubelet-pki" --v=1
	fi
	if ! pid_of kube-proxy >/dev/null; then
		start_proc kube-proxy nsenter --net="/run/netns/$node_netns" -- "$bin/kube-proxy" --config="$node_dir/kube-proxy.yaml" --v=1
	fi
}

# kube-router looks its node up once at start: it starts when the kubelet has registered it.
start_network_policy() {
	local bin=$1
	if ! pid_of kube-router >/dev/null; then
		# Only kube-router's NetworkPolicy controller (iptables and ipsets in the node's
		# namespace): the bridge plugin does the pod network and kube-proxy the services.
		start_proc kube-router env NODE_NAME="$node_name" nsenter --net="/run/netns/$node_netns" -- "$bin/kube-router" \
			--kubeconfig="$state/kube-router.kubeconfig" --hostname-override="$node_name" \
			--run-firewall=true --run-router=false --run-service-proxy=false --enable-cni=false \
			--service-cluster-ip-range="$service_cidr" --health-port=20244 --metrics-port=0 --v=1
	fi
}

cmd_up() {
	check_prereqs
	mkdir -p "$state" "$run_dir" "$log_dir"
	local t0=$SECONDS all=1 c
	for c in "${components[@]}"; do healthy "$c" || { all=0; break; }; done
	if ((all)); then
		# kwok (cached apart from the cluster's binaries) is built when the tooling gained or bumped it.
		[[ -x $(kwok_path) ]] || "$repo/hack/cluster/build.sh" >&2 || die "building kwok failed"
		# A rebuilt controller binary (or node image) is imported again; nothing restarts.
		"$repo/hack/cluster/images.sh" import "$containerd_sock" || die "the images could not be built or imported"
		say "already running (reused)"
		echo "$kubeconfig"
		return 0
	fi

	preflight_ports
	record_host_paths
	"$repo/hack/cluster/build.sh" >&2 || die "building the cluster binaries failed"
	local bin; bin="$(bin_dir)"
	ensure_pki
	ensure_kubeconfigs
	# The host's end of the node link carries the apiserver's advertised address: first.
	setup_node_network
	start_control_plane "$bin"
	# RBAC for the node's components that are not built into the apiserver's defaults.
	k apply --server-side -f "$repo/hack/cluster/addons/rbac-node-components.yaml" >/dev/null ||
		die "applying hack/cluster/addons/rbac-node-components.yaml failed"
	start_node "$bin"
	wait_for 30 kube-controller-manager healthy kube-controller-manager || fail_start kube-controller-manager
	wait_for 30 kube-scheduler healthy kube-scheduler || fail_start kube-scheduler
	wait_for 60 kubelet healthy kubelet || fail_start kubelet
	start_network_policy "$bin"
	wait_for 30 kube-proxy healthy kube-proxy || fail_start kube-proxy
	wait_for 60 kube-router healthy kube-router || fail_start kube-router
	apply_addons
	wait_for 120 coredns healthy coredns || { k -n kube-system get pods -o wide >&2 || true; die "CoreDNS did not become available (kubectl -n kube-system describe deployment coredns)"; }
	wait_for 120 local-path-provisioner healthy local-path-provisioner ||
		{ k -n local-path-storage get pods -o wide >&2 || true; die "local-path-provisioner did not become available (kubectl -n local-path-storage describe deployment local-path-provisioner)"; }
	# Pods need the default service account and the root CA config map of their namespace.
	wait_for 60 "default service account" k -n default get serviceaccount default ||
		die "the default service account did not appear (see $log_dir/kube-controller-manager.log)"
	wait_for 60 "kube-root-ca.crt" k -n default get configmap kube-root-ca.crt ||
		die "kube-root-ca.crt did not appear (see $log_dir/kube-controller-manager.log)"
	local cold=""
	[[ -s $(bin_dir)/.last-build-seconds ]] && cold=" (the last build of the cluster's binaries took $(cat "$(bin_dir)/.last-build-seconds")s)"
	say "up in $((SECONDS - t0))s$cold: node $node_name Ready at $node_ip, apiserver https://127.0.0.1:$apiserver_port (pods reach it at $host_ip:$apiserver_port and $kubernetes_svc_ip:443), DNS $dns_svc_ip"
	echo "$kubeconfig"
}

cmd_down() {
	local c
	# The kubelet first, so it does not restart what is stopped below; then every container
	# (by the kubelet's cgroups), the runtime and the rest of the node.
	stop_proc kubelet 5
	kill_pod_cgroups
	for c in kube-router kube-proxy containerd; do stop_proc "$c" 5; done
	# The apiserver's graceful shutdown can take its full minute; its state is in etcd
	# (removed below), so it gets 3 s.
	for c in kube-scheduler kube-controller-manager kube-apiserver etcd; do stop_proc "$c" 3; done
	if [[ -d $run_dir ]]; then
		for f in "$run_dir"/*.pid; do [[ -e $f ]] && stop_proc "$(basename "$f" .pid)" 2; done
	fi
	kill_orphans
	kill_pod_cgroups
	cleanup_mounts
	command -v ip >/dev/null 2>&1 && cleanup_network
	cleanup_host_paths
	restore_kernel_settings
	rm -rf "$state/etcd" "$node_dir" "$run_dir" "$state/apiserver-certs" "$state/controller-manager-certs"
	say "down: stopped; removed containers, cgroups, mounts, the node's network namespace and links, and the node's state"
}

cmd_status() {
	local ok=0 c pid line
	for c in "${components[@]}"; do
		if [[ " ${addons[*]} " == *" $c "* ]]; then
			if healthy "$c"; then line="available"; else line="NOT AVAILABLE (kubectl get pods -A)"; ok=1; fi
		elif pid="$(pid_of "$c")"; then
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
		kubelet) line="$line node $node_name $node_ip (netns $node_netns), pods $pod_cidr" ;;
		coredns) line="$line $dns_svc_ip" ;;
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
	echo "export LOCAL_CLUSTER_KWOK=$(kwok_path)"
	echo "export LOCAL_CLUSTER_APISERVER=https://127.0.0.1:$apiserver_port"
	echo "export LOCAL_CLUSTER_POD_APISERVER=https://$host_ip:$apiserver_port"
	echo "export LOCAL_CLUSTER_NODE_NETNS=$node_netns"
	echo "export LOCAL_CLUSTER_AUDIT_LOG=$audit_log"
	echo "export CONTAINER_RUNTIME_ENDPOINT=unix://$containerd_sock"
	# Appended, so a kubectl already on PATH wins; helm, etcd and ctr become available.
	echo "export PATH=\"\$PATH:$(bin_dir)\""
}

cmd_logs() {
	[[ -s $kubeconfig ]] || die "no cluster: run hack/local-cluster.sh up"
	exec "$(kubectl_bin)" --kubeconfig "$kubeconfig" logs "$@"
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
images) shift; "$repo/hack/cluster/images.sh" import "$containerd_sock" ;;
*)
	echo "usage: hack/local-cluster.sh up|down|status|env|logs POD [-n NS]|images" >&2
	exit 2
	;;
esac
