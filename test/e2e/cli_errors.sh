#!/usr/bin/env bash
# The sentences for what goes wrong: no cluster, CRD not installed, controller not installed,
# unknown network. Each is one line on stderr with the next step, and exit code 1.
source "$(dirname "$0")/lib.sh"
need_plugin

# No cluster reachable: a kubeconfig pointing at a closed port.
cat >"$E2E_TMP/closed.kubeconfig" <<'KUBECONFIG'
apiVersion: v1
kind: Config
clusters: [{name: closed, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: x}}]
contexts: [{name: closed, context: {cluster: closed, user: u}}]
current-context: closed
KUBECONFIG
for args in "status" "status demo" "scale demo --nodes 2" "delete demo" "logs demo" "create demo --nodes 1"; do
  # shellcheck disable=SC2086 # word splitting of the arguments is intended
  expect 1 kubectl bitcoin $args --kubeconfig "$E2E_TMP/closed.kubeconfig" --request-timeout 5s
  contains "$ERR" "not reachable" "kubectl bitcoin $args (no cluster)"
  contains "$ERR" "kubeconfig" "kubectl bitcoin $args (no cluster)"
done

# A kubeconfig that does not exist / a context that does not exist.
expect 1 kubectl bitcoin status --kubeconfig "$E2E_TMP/missing.kubeconfig"
contains "$ERR" "missing.kubeconfig"
expect 1 kubectl bitcoin status --kubeconfig "$E2E_TMP/closed.kubeconfig" --context nowhere
contains "$ERR" "nowhere"

# "CRD not installed" and "controller not installed" are checked on the real cluster by
# test/system/install_lifecycle_test.py, right after it uninstalls them.

# Unknown network on the real cluster: the message lists the networks that do exist.
need_controller
new_namespace
ns=$NS
expect 0 kubectl bitcoin create present --nodes 0 -n "$ns"
for args in "status absent" "scale absent --nodes 1" "delete absent" "logs absent"; do
  # shellcheck disable=SC2086
  expect 1 kubectl bitcoin $args -n "$ns"
  contains "$ERR" "network \"absent\" not found in namespace \"$ns\"" "kubectl bitcoin $args"
  contains "$ERR" "networks there: present" "kubectl bitcoin $args"
done
expect 0 kubectl bitcoin delete absent --ignore-not-found -n "$ns"

# Creating twice: the second says what to do instead.
expect 1 kubectl bitcoin create present --nodes 1 -n "$ns"
contains "$ERR" 'network "present" already exists'
contains "$ERR" "kubectl bitcoin scale present"

# The API server's own validation comes back as one sentence naming the field.
expect 1 kubectl bitcoin create badargs --nodes 1 --arg=-rpcuser=x -n "$ns"
contains "$ERR" "args"

# A node beyond the network's size is a usage error naming the flag.
expect 2 kubectl bitcoin logs present --node 3 -n "$ns"
contains "$ERR" "--node 3"
