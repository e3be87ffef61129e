#!/usr/bin/env bash
# Benchmarks, run side by side on this machine (never as timed unit tests):
#   hack/bench.sh template     `kubectl bitcoin template` vs `helm template` on the project's chart (alternating runs, medians)
#   hack/bench.sh cli          stripped binary size, `version` latency, `status -A` over NETWORKS (1000) networks
#   hack/bench.sh reconcile    time for a network to become Ready and connected, and controller writes at rest
#   hack/bench.sh node-rss     a node's resident memory with bitcoind's defaults and with the controller's small settings
#   hack/bench.sh bignet       one network of NODES (100) real nodes: apply -> connected, mined block -> one tip, KILL (10) pods -> back (root)
#   hack/bench.sh scale [N...] N one-node networks at once (default 10 100 1000) on a private control plane with
#                              kwok's simulated nodes: convergence, creation->StatefulSet, RSS, CPU, API requests
#                              (hack/bench/scale.py; REST_SECONDS=300 at rest, SINGLE_RUNS=10 single networks, CONVERGE_TIMEOUT=1800)
#   hack/bench.sh versus-seed SEED_BINARY
#                              the scale workload (NETWORKS, default 100; REST_SECONDS, default 120) under the
#                              original Go controller and under ours, side by side with ratios; ROUNDS alternate
#                              the order (default 1; medians). SEED_BINARY: see hack/bench/seed/README.md
# Numbers are printed with the machine they were measured on; nothing here is a pass/fail gate.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

what=${1:-template}
runs=${RUNS:-30}

now_ns() { date +%s%N; }

case $what in
scale)
	shift
	[[ -x build/kubectl-bitcoin ]] || hack/build.sh >/dev/null
	[[ -n ${LOCAL_CLUSTER_KWOK:-} ]] || export LOCAL_CLUSTER_KWOK="$(hack/cluster/build.sh --kwok-path)"
	[[ -x $LOCAL_CLUSTER_KWOK ]] || hack/cluster/build.sh >&2
	exec python3 hack/bench/scale.py "$@"
	;;
template)
	[[ -x build/kubectl-bitcoin ]] || hack/build.sh >/dev/null
	exec python3 hack/bench/cli.py template --runs "$runs"
	;;
cli)
	# On a private control plane (test/faults/control_plane.py); the local cluster's tooling
	# supplies the binaries (hack/local-cluster.sh up once, or hack/cluster/build.sh).
	[[ -x build/kubectl-bitcoin ]] || hack/build.sh >/dev/null
	exec python3 hack/bench/cli.py cli --networks "${NETWORKS:-1000}" --runs "${RUNS:-15}"
	;;
reconcile)
	# Time from `kubectl apply` to Ready (all nodes answering and connected per the topology) for a
	# network of NODES nodes, then the controller's writes during REST_SECONDS at rest.
	nodes=${NODES:-10}
	rest=${REST_SECONDS:-60}
	hack/local-cluster.sh up >/dev/null
	eval "$(hack/local-cluster.sh env)"
	export PATH=$root/build:$PATH
	kubectl bitcoin install --wait >/dev/null
	ns=bench-$RANDOM
	kubectl create namespace "$ns" >/dev/null
	metrics() { # the controller's total write count, from its /metrics
		local ip
		ip=$(kubectl -n bitcoin-controller get pods -l app.kubernetes.io/name=bitcoin-controller \
			-o jsonpath='{.items[0].status.podIP}')
		curl -s "http://$ip:8080/metrics" | awk '/^kubectl_bitcoin_controller_api_writes_total/ { s += $2 } END { print s + 0 }'
	}
	start=$(now_ns)
	printf 'apiVersion: bitcoin.kubectl-bitcoin.dev/v1\nkind: BitcoinNetwork\nmetadata: {name: bench, namespace: %s}\nspec: {nodes: %d, topology: ring}\n' \
		"$ns" "$nodes" | kubectl apply -f - >/dev/null
	until kubectl bitcoin status bench -n "$ns" --check >/dev/null 2>&1; do sleep 0.2; done
	ready_ms=$((($(now_ns) - start) / 1000000))
	sleep 5
	before=$(metrics)
	sleep "$rest"
	after=$(metrics)
	echo "machine: $(nproc) cores, $(uname -r)"
	echo "network of $nodes nodes (ring): Ready and connected after $ready_ms ms"
	echo "controller write requests during $rest s at rest: $((after - before))"
	kubectl delete namespace "$ns" --wait=false >/dev/null
	;;
node-rss)
	# Two nodes of the default image on the local cluster, side by side: a plain pod running
	# bitcoind with its defaults, and a one-node network (the controller's flags: small caches,
	# mempool, threads). VmRSS of each bitcoind after SETTLE_SECONDS.
	settle=${SETTLE_SECONDS:-30}
	hack/local-cluster.sh up >/dev/null
	eval "$(hack/local-cluster.sh env)"
	export PATH=$root/build:$PATH
	kubectl bitcoin install --wait --timeout 5m >/dev/null
	image=$(awk '/^ *image:$/ {i = 1; next} i && /default:/ {print $2; exit}' manifests/crd.yaml)
	ns=bench-rss-$$
	kubectl create namespace "$ns" >/dev/null
	trap 'kubectl delete namespace "$ns" --wait=false >/dev/null 2>&1 || true' EXIT
	kubectl -n "$ns" apply -f - >/dev/null <<-YAML
		apiVersion: v1
		kind: Pod
		metadata: {name: defaults}
		spec:
		  securityContext: {runAsUser: 101, runAsGroup: 101, fsGroup: 101}
		  containers:
		  - name: bitcoind
		    image: $image
		    command: [bitcoind]
		    args: [-regtest, -server, -printtoconsole, -datadir=/data, -rpcuser=bench, -rpcpassword=bench, -rpcbind=0.0.0.0, -rpcallowip=0.0.0.0/0]
		    env: [{name: HOME, value: /data}]
		    readinessProbe: {tcpSocket: {port: 18443}, periodSeconds: 1}
		    volumeMounts: [{name: data, mountPath: /data}]
		  volumes: [{name: data, emptyDir: {}}]
	YAML
	kubectl bitcoin create small --nodes 1 -n "$ns" >/dev/null
	kubectl -n "$ns" wait --for=condition=Ready pod/defaults --timeout=180s >/dev/null
	until kubectl -n "$ns" wait --for=condition=Ready pod/small-sts-0 --timeout=180s >/dev/null 2>&1; do sleep 1; done
	sleep "$settle"
	rss() { kubectl -n "$ns" exec "$1" -c bitcoind -- awk '/^VmRSS/ {print $2}' /proc/1/status; }
	plain=$(rss defaults)
	small=$(rss small-sts-0)
	echo "machine: $(nproc) cores, $(uname -r); image $image ($(kubectl -n "$ns" exec defaults -- bitcoind -version 2>/dev/null | head -1))"
	echo "bitcoind with its defaults:              VmRSS $((plain / 1024)) MiB"
	echo "bitcoind with the controller's settings: VmRSS $((small / 1024)) MiB  (after ${settle}s, idle regtest)"
	;;
bignet)
	# The logic and its environment (NODES, TOPOLOGY, DEGREE, KILL, ...): hack/bench/bignet.py.
	[[ -x build/kubectl-bitcoin ]] || hack/build.sh >/dev/null
	hack/local-cluster.sh up >/dev/null
	eval "$(hack/local-cluster.sh env)"
	export PATH=$LOCAL_CLUSTER_BIN:$root/build:$PATH KUBECTL_BITCOIN=$root/build/kubectl-bitcoin
	kubectl bitcoin install --wait --timeout 5m >/dev/null
	exec python3 hack/bench/bignet.py
	;;
versus-seed)
	seed=${2:-}
	if [[ -z $seed || ! -f $seed || ! -x $seed ]]; then
		echo "bench: versus-seed needs SEED_BINARY, the original controller built from its source" \
			"(hack/bench/seed/README.md); got '${seed}', which is not an executable file" >&2
		exit 2
	fi
	[[ -x build/kubectl-bitcoin ]] || hack/build.sh >/dev/null
	[[ -n ${LOCAL_CLUSTER_KWOK:-} ]] || export LOCAL_CLUSTER_KWOK="$(hack/cluster/build.sh --kwok-path)"
	[[ -x $LOCAL_CLUSTER_KWOK ]] || hack/cluster/build.sh >&2
	exec python3 hack/bench/versus_seed.py "$seed" --networks "${NETWORKS:-100}" --rest "${REST_SECONDS:-120}" \
		--rounds "${ROUNDS:-1}" --json "${JSON:-$root/bench-results/versus-seed.json}"
	;;
*)
	echo "usage: hack/bench.sh template|cli|reconcile|node-rss|bignet|scale [N...]|versus-seed SEED_BINARY" >&2
	exit 2
	;;
esac
