#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time over a copy of its seed corpus (the source tree is
# never written) and prints what it did:
#   run_fuzzer.sh BINARY NAME DIR RUNS
#   FIGURE fuzz_<name>_execs=<executions> seconds=<duration> corpus=<inputs at the end> ...
# By default (hack/test.sh) RUNS executions from a fixed seed (KB_FUZZ_SEED, 1): the same inputs on
# every run, so a failure is a regression, never luck; KB_FUZZ_SECONDS (120) only caps the time on
# a slow machine (the run is then a prefix of the same sequence). KB_CHAOS_LONG=1 (hack/chaos.sh):
# 300 s (KB_FUZZ_LONG_SECONDS) from a random seed, to explore.
# A finding (crash, timeout, leak, out-of-memory, sanitizer report) fails the test; the input is
# left in the temporary directory, whose path the log names: add it to DIR/regressions/.
set -euo pipefail
binary=$1 name=$2 dir=$3 runs=$4
seconds=${KB_FUZZ_SECONDS:-120}
bound=(-seed="${KB_FUZZ_SEED:-1}" -runs="$runs")
if [[ ${KB_CHAOS_LONG:-0} == 1 ]]; then
  seconds=${KB_FUZZ_LONG_SECONDS:-300}
  bound=()
fi
# Undefined behaviour stops the run like a crash (whether or not the build made it fatal).
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
work=$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name.XXXXXX")
mkdir "$work/corpus" "$work/artifacts"
cp "$dir"/corpus/* "$work/corpus/"
seeds=$(find "$work/corpus" -type f | wc -l)
args=("${bound[@]}" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1
  -artifact_prefix="$work/artifacts/")
if [[ -f $dir/$name.dict ]]; then
  args+=(-dict="$dir/$name.dict")
fi
echo "fuzz $name: ${bound[*]:-random seed} at most ${seconds}s over $seeds seed inputs, work dir $work"
start=$(date +%s.%N)
set +e
"$binary" "${args[@]}" "$work/corpus" >"$work/log" 2>&1
rc=$?
set -e
end=$(date +%s.%N)
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/log" | tail -1)
peak=$(sed -n 's/^stat::peak_rss_mb: *//p' "$work/log" | tail -1)
cov=$({ grep -oE 'cov: [0-9]+' "$work/log" || true; } | tail -1 | cut -d' ' -f2)
corpus=$(find "$work/corpus" -type f | wc -l)
duration=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
if [[ $rc != 0 ]]; then
  tail -n 60 "$work/log"
  echo "fuzz $name: FAILED (exit $rc); the input is in $work/artifacts/: $(ls "$work/artifacts")"
  exit 1
fi
tail -n 12 "$work/log"
echo "FIGURE fuzz_${name}_execs=${execs:-0} seconds=$duration execs_per_second=$(awk -v e="${execs:-0}" -v d="$duration" 'BEGIN { printf "%.0f", e / d }') coverage_edges=${cov:-0} corpus=$seeds->$corpus peak_rss_mb=${peak:-0}"
rm -rf "$work"
