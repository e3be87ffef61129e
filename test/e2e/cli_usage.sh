#!/usr/bin/env bash
# Help, examples, usage errors (exit 2 naming the flag) and client-side dry runs, through
# `kubectl bitcoin` (kubectl's plugin mechanism). Needs no cluster.
source "$(dirname "$0")/lib.sh"
need_plugin

kubectl plugin list 2>/dev/null | grep -q 'kubectl-bitcoin$' || fail "kubectl plugin list does not show kubectl-bitcoin"

expect 0 kubectl bitcoin --help
for command in status create scale delete logs completion; do
  contains "$OUT" "$command" "kubectl bitcoin --help"
done
for command in status create scale delete logs completion version; do
  expect 0 kubectl bitcoin "$command" --help
  contains "$OUT" "Examples:" "kubectl bitcoin $command --help"
  contains "$OUT" "kubectl bitcoin $command" "the examples of $command"
done

expect 0 kubectl bitcoin version -o json
is_json <<<"$OUT" || fail "version -o json is not JSON"

# Unknown command: named, with a suggestion, exit 2.
expect 2 kubectl bitcoin stauts
contains "$ERR" 'unknown command "stauts"'
contains "$ERR" "status"

# Wrong flag values: exit 2, the message names the flag.
check_usage() {
  local flag=$1
  shift
  expect 2 kubectl bitcoin "$@"
  contains "$ERR" "$flag" "stderr of: kubectl bitcoin $*"
  [[ -z $OUT ]] || fail "usage error printed to stdout: kubectl bitcoin $*"
}
check_usage --nodes create demo
check_usage --nodes create demo --nodes lots
check_usage --nodes create demo --nodes 1000
check_usage --topology create demo --nodes 3 --topology tree
check_usage --mining-interval create demo --nodes 3 --mining-interval -1
check_usage --edges create demo --nodes 3 --topology custom
check_usage --dry-run create demo --nodes 3 --dry-run=later
check_usage --output create demo --nodes 3 --dry-run -o toml
check_usage NETWORK create Not_A_Name --nodes 3
check_usage --nodes scale demo
check_usage --nodes scale demo --nodes -3
check_usage --output status -o xml
check_usage "across all namespaces" status demo -A
check_usage --timeout delete demo --wait --timeout never
check_usage --tail logs demo --tail -7
check_usage --node logs demo --node x
check_usage SHELL completion tcsh
check_usage --request-timeout status --request-timeout soon

# Client-side dry runs print valid objects without a cluster.
expect 0 kubectl bitcoin create demo --nodes 3 --mining-interval 10 --topology ring --dry-run=client -o yaml
is_yaml <<<"$OUT" || fail "create -o yaml is not YAML"
contains "$OUT" "kind: BitcoinNetwork"
contains "$OUT" "intervalSeconds: 10"
expect 0 kubectl bitcoin create demo --nodes 3 --dry-run -o json -n lab
[[ $(json_get metadata.namespace <<<"$OUT") == lab ]] || fail "create -n lab -o json has no namespace lab"
[[ $(json_get spec.nodes <<<"$OUT") == 3 ]] || fail "create -o json has no spec.nodes 3"
expect 0 kubectl bitcoin create demo --nodes 3 --dry-run
contains "$OUT" "created (dry run)"
