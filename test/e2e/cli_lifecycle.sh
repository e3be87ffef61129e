#!/usr/bin/env bash
# A network's whole life through the everyday commands: create, status in every format, watch,
# --check, logs (also -f), scale, delete --wait; plus a network that never becomes Ready.
source "$(dirname "$0")/lib.sh"
need_controller
new_namespace
ns=$NS
log "namespace $ns"

expect 0 kubectl bitcoin create demo --nodes 2 --mining-interval 5 -n "$ns"
contains "$OUT" "bitcoinnetwork.bitcoin.kubectl-bitcoin.dev/demo created"

# A server-side dry run validates without creating anything.
expect 0 kubectl bitcoin create ghost --nodes 1 --dry-run=server -o json -n "$ns"
[[ $(json_get metadata.name <<<"$OUT") == ghost ]] || fail "dry run did not return the object"
expect 1 kubectl bitcoin status ghost -n "$ns"

log "waiting for demo to be Ready"
eventually 420 kubectl bitcoin status demo --check -n "$ns"
# Mining every 5 s: the height grows past 0 and the nodes agree on the tip.
eventually 120 bash -c "kubectl bitcoin status demo -n $ns -o json | python3 -c 'import json,sys; s=json.load(sys.stdin)[\"status\"]; sys.exit(0 if s.get(\"blockHeight\",0)>=1 else 1)'"

# The table of networks.
expect 0 kubectl bitcoin status -n "$ns"
header="$(head -1 <<<"$OUT")"
[[ $header =~ ^NAME\ +READY\ +HEIGHT\ +SYNC\ +PEERS\ +AGE$ ]] || fail "unexpected header: $header"
row="$(grep '^demo ' <<<"$OUT")" || fail "no row for demo: $OUT"
[[ $(awk '{print $2}' <<<"$row") == 2/2 ]] || fail "demo is not 2/2 ready: $row"
[[ $(awk '{print $5}' <<<"$row") -ge 1 ]] || fail "demo's nodes have no peers: $row"
contains "$OUT" "Controller:"
# Columns line up: every row starts its READY cell where the header's READY starts.
col="$(awk 'NR==1 {print index($0, "READY")}' <<<"$OUT")"
awk -v c="$col" 'NR>1 && NF && !/^Controller:/ && !/^$/ && substr($0, c-3, 3) != "   " {exit 1}' <<<"$OUT" ||
  fail "READY column is not aligned"

expect 0 kubectl bitcoin status -o wide -n "$ns"
contains "$OUT" "TOPOLOGY"
contains "$OUT" "mesh"
contains "$OUT" "5s@node0"
expect 0 kubectl bitcoin status -A
contains "$(head -1 <<<"$OUT")" "NAMESPACE"
grep -q "^$ns  *demo " <<<"$OUT" || fail "status -A has no row for $ns/demo"
expect 0 kubectl bitcoin status -o json -n "$ns"
[[ $(json_get kind <<<"$OUT") == List ]] || fail "status -o json is not a List"
[[ $(json_get items.0.metadata.name <<<"$OUT") == demo ]] || fail "status -o json lacks demo"
expect 0 kubectl bitcoin status -o yaml -n "$ns"
is_yaml <<<"$OUT" || fail "status -o yaml is not YAML"
contains "$OUT" "kind: List"

expect 0 kubectl bitcoin status -o name -n "$ns"
[[ $OUT == "bitcoinnetwork.bitcoin.kubectl-bitcoin.dev/demo" ]] || fail "status -o name: $OUT"

# One network: nodes, conditions, events.
expect 0 kubectl bitcoin status demo -n "$ns"
for text in "Name:       demo" "Ready:      2/2 nodes" "ORDINAL" "BEST-HASH" "demo-sts-0" "demo-sts-1" \
  "Conditions:" "Events:" "bitcoin.kubectl-bitcoin.dev/controller"; do
  contains "$OUT" "$text" "status demo"
done
grep -Eq '^Ready +True +AllNodesReady' <<<"$OUT" || fail "status demo shows no Ready=True condition"
expect 0 kubectl bitcoin status demo -o wide -n "$ns"
contains "$OUT" "DNS"
expect 0 kubectl bitcoin status demo -o json -n "$ns"
[[ $(json_get status.readyNodes <<<"$OUT") == 2 ]] || fail "status demo -o json: readyNodes is not 2"
expect 0 kubectl bitcoin status demo -o yaml -n "$ns"
is_yaml <<<"$OUT" || fail "status demo -o yaml is not YAML"
contains "$OUT" "readyNodes: 2"

# logs: the last lines, and -f keeps streaming.
expect 0 kubectl bitcoin logs demo --node 1 --tail 5 -n "$ns"
[[ -n $OUT ]] || fail "logs printed nothing"
[[ $(wc -l <<<"$OUT") -le 5 ]] || fail "logs --tail 5 printed more than 5 lines"
run timeout 8 kubectl bitcoin logs demo -f --tail 2 -n "$ns"
[[ $CODE == 124 ]] || { show "logs -f"; fail "logs -f ended by itself"; }
[[ -n $OUT ]] || fail "logs -f printed nothing"

# --watch draws a new frame when the network changes, until interrupted; scaling changes it.
timeout 25 kubectl bitcoin status demo -w --interval 1s -n "$ns" >"$E2E_TMP/watch.out" 2>&1 &
watcher=$!
sleep 4
# scale through the scale subresource.
expect 0 kubectl bitcoin scale demo --nodes 3 -n "$ns"
contains "$OUT" "scaled from 2 to 3 nodes"
set +e
wait "$watcher"
watch_code=$?
set -e
[[ $watch_code == 124 ]] || { cat "$E2E_TMP/watch.out" >&2; fail "status -w ended by itself (exit $watch_code)"; }
# `status NET -w` watches the network (not a terminal here: one compact frame per change, each
# headed "NAME  READY/DESIRED ready  height H ..."): a frame with 2 desired nodes, then one with 3.
grep -q '^demo  [0-9]*/2 ready' "$E2E_TMP/watch.out" || { cat "$E2E_TMP/watch.out" >&2; fail "status -w drew no frame of the 2-node network"; }
grep -q '^demo  [0-9]*/3 ready' "$E2E_TMP/watch.out" || { cat "$E2E_TMP/watch.out" >&2; fail "status -w drew no new frame after the scale to 3 nodes"; }
[[ $(kubectl get btcnet demo -n "$ns" -o jsonpath='{.spec.nodes}') == 3 ]] || fail "spec.nodes is not 3"
eventually 300 bash -c "kubectl bitcoin status demo -n $ns | grep -q 'Ready:      3/3 nodes'"
eventually 120 kubectl bitcoin status demo --check -n "$ns"
expect 0 kubectl bitcoin scale demo --nodes 3 -n "$ns"
contains "$OUT" "already 3 nodes"

# A network that cannot become Ready: --check fails with the reason, status shows it.
expect 0 kubectl bitcoin create broken --nodes 1 --image example.invalid/not-bitcoin:1 -n "$ns"
sleep 10
expect 1 kubectl bitcoin status broken --check -n "$ns"
contains "$ERR" "not Ready"
contains "$OUT" "broken-sts-0"
expect 1 kubectl bitcoin status --check -n "$ns"
contains "$ERR" "broken"

# delete --wait returns when the network and its pods are gone.
expect 0 kubectl bitcoin delete demo --wait --timeout 3m -n "$ns"
contains "$OUT" 'bitcoinnetwork.bitcoin.kubectl-bitcoin.dev "demo" deleted'
contains "$OUT" "are gone"
[[ -z $(kubectl get pods -n "$ns" -l bitcoin.kubectl-bitcoin.dev/network=demo -o name) ]] || fail "pods of demo remain"
expect 1 kubectl bitcoin status demo -n "$ns"
contains "$ERR" "networks there: broken"
expect 0 kubectl bitcoin delete broken -n "$ns"
