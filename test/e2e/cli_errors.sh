#!/usr/bin/env bash
# The sentences for what goes wrong with a network: unknown network, creating twice, a node
# beyond the network's size. Each is one line on stderr with the next
# step, and exit code 1 (2 for a usage error).
source "$(dirname "$0")/lib.sh"
need_plugin

# No cluster reachable, bad kubeconfigs, KUBECONFIG naming missing files, bad flags and values
# files, specs the API server refuses: test/system/bad_input_test.py (a table, with the audit log
# showing nothing was written).

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

# A node beyond the network's size is a usage error naming the flag.
expect 2 kubectl bitcoin logs present --node 3 -n "$ns"
contains "$ERR" "--node 3"
