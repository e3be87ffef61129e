#!/usr/bin/env bash
# The main job, end to end, on a fresh machine: build the plugin, start the local cluster (the real
# Kubernetes control plane and a real node: containerd, kubelet, images built here), install the controller with
# `kubectl bitcoin install`, create a three-node regtest network that mines every 10 seconds,
# wait until it is Ready, and show it.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# DEMO_NAMESPACE runs the demo network in another namespace than the kubeconfig's (the test suite
# does, so that it never replaces a `demo` network the user made).
net() { kubectl bitcoin "$@" ${DEMO_NAMESPACE:+--namespace "$DEMO_NAMESPACE"}; }

step "Installing build dependencies and building kubectl-bitcoin"
hack/install-deps.sh
hack/build.sh >/dev/null
export PATH=$PWD/build:$PATH
kubectl bitcoin version

step "Starting the local cluster (the first run builds Kubernetes, containerd and the images from source: be patient)"
hack/local-cluster.sh up >/dev/null
eval "$(hack/local-cluster.sh env)"
kubectl get nodes

step "kubectl bitcoin install"
kubectl bitcoin install --wait --timeout 5m

step "kubectl bitcoin create demo --nodes 3 --mining-interval 10"
if [[ -n ${DEMO_NAMESPACE:-} ]]; then
	kubectl create namespace "$DEMO_NAMESPACE" --dry-run=client -o yaml | kubectl apply -f - >/dev/null
fi
net delete demo --wait >/dev/null 2>&1 || true
net create demo --nodes 3 --mining-interval 10

step "Waiting until every node is Ready and connected"
deadline=$((SECONDS + 300))
until net status demo --check >/dev/null 2>&1; do
	if ((SECONDS > deadline)); then
		net status demo || true
		echo "demo: the network did not become Ready in 5 minutes" >&2
		exit 1
	fi
	sleep 2
done
sleep 12 # let a block or two be mined

step "kubectl bitcoin status demo"
net status demo

step "kubectl bitcoin rpc demo getpeerinfo --node 0"
net rpc demo getpeerinfo --node 0

cat <<'NEXT'

== What to try next (the cluster keeps running)
  eval "$(hack/local-cluster.sh env)"; export PATH=$PWD/build:$PATH
  kubectl bitcoin status                        # every network, and the controller
  kubectl get btcnet                            # the resource, as kubectl sees it
  kubectl bitcoin scale demo --nodes 5          # or: kubectl scale btcnet/demo --replicas=5
  kubectl bitcoin mine demo 10 --node 2
  kubectl bitcoin rpc demo getblockchaininfo --node 1
  kubectl bitcoin logs demo --node 0 -f
  kubectl delete pod demo-sts-1                 # the controller replaces and reconnects it

== Tear down
  kubectl bitcoin delete demo                   # the network
  kubectl bitcoin uninstall --crds --yes        # the controller and the CRD
  hack/local-cluster.sh down                    # the local cluster
NEXT
