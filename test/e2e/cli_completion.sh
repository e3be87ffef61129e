#!/usr/bin/env bash
# Completion scripts are valid shell and complete subcommands, flags, values and network names,
# both for kubectl-bitcoin itself and for "kubectl bitcoin" through kubectl's plugin completion.
source "$(dirname "$0")/lib.sh"
need_plugin

for shell in bash zsh fish; do
  expect 0 kubectl bitcoin completion "$shell"
  [[ -n $OUT ]] || fail "completion $shell printed nothing"
  printf '%s\n' "$OUT" >"$E2E_TMP/completion.$shell"
done
bash -n "$E2E_TMP/completion.bash" || fail "the bash completion script does not parse"
if command -v zsh >/dev/null; then zsh -n "$E2E_TMP/completion.zsh" || fail "the zsh script does not parse"; fi
if command -v fish >/dev/null; then fish -n "$E2E_TMP/completion.fish" || fail "the fish script does not parse"; fi

# The bash script, loaded into a shell, completes like a user's <TAB>.
complete_bash() {
  bash -c '
    source "$1"; shift
    COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
    __kubectl_bitcoin_complete
    printf "%s\n" "${COMPREPLY[@]}"' _ "$E2E_TMP/completion.bash" "$@"
}
out="$(complete_bash kubectl-bitcoin st)"
contains "$out" "status" "completion of 'st'"
out="$(complete_bash kubectl-bitcoin create demo --to)"
contains "$out" "--topology"
out="$(complete_bash kubectl-bitcoin create demo --topology "")"
[[ $(sort <<<"$out" | tr '\n' ' ') == "custom mesh random ring star " ]] || fail "topology values: $out"
out="$(complete_bash kubectl-bitcoin completion "")"
contains "$out" "fish"

# The engine speaks cobra's protocol, ending with the no-file directive.
expect 0 kubectl bitcoin __complete ""
contains "$OUT" $'status\t'
[[ $(tail -1 <<<"$OUT") == ":4" ]] || fail "__complete does not end with :4"
lacks "$OUT" "__complete"

# kubectl's own completion of plugins runs kubectl_complete-bitcoin (kubectl >= 1.26).
helper_dir="$E2E_TMP/helper"
mkdir -p "$helper_dir"
install -m 0755 "$REPO/hack/kubectl_complete-bitcoin" "$helper_dir/"
PATH="$helper_dir:$PATH" expect 0 kubectl __complete bitcoin st
contains "$OUT" "status" "kubectl __complete bitcoin st"

# Network names come from the cluster.
need_controller
new_namespace
ns=$NS
expect 0 kubectl bitcoin create alpha --nodes 0 -n "$ns"
expect 0 kubectl bitcoin create beta --nodes 0 -n "$ns"
expect 0 kubectl bitcoin __complete -n "$ns" status ""
contains "$OUT" "alpha"
contains "$OUT" "beta"
expect 0 kubectl bitcoin __complete scale --namespace="$ns" al
contains "$OUT" "alpha"
lacks "$OUT" "beta"
out="$(complete_bash kubectl-bitcoin -n "$ns" delete "")"
contains "$out" "alpha"
PATH="$helper_dir:$PATH" expect 0 kubectl __complete bitcoin logs -n "$ns" b
contains "$OUT" "beta" "kubectl __complete bitcoin logs -n $ns b"
expect 0 kubectl bitcoin __complete status -n ""
contains "$OUT" "$ns" "namespace completion"
