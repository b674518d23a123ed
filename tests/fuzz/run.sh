#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh SECONDS - run every fuzz target (libFuzzer) for SECONDS each, seeded
# from tests/fuzz/corpus/<target>/ (kept) plus a scratch corpus.  Prints
# PASS/FAIL per target; a crash leaves its input in tests/out/.../fuzz-*/.
# FL_FUZZ_RUNS=N stops each target after N inputs and FL_FUZZ_SEED=S fixes
# libFuzzer's seed: the smoke in `make test` uses both, so it is
# reproducible; `make fuzz` explores at random for SECONDS.
set -u
cd "$(dirname "$0")/../.."
secs=${1:-300}
dir=${FL_FUZZ_DIR:-build-fuzz}
out=${FL_OUT:-tests/out}/fuzz-$(basename "$dir"); mkdir -p "$out"
rc=0
for bin in "$dir"/fuzz_*; do
  [ -x "$bin" ] || continue
  name=$(basename "$bin"); t=${name#fuzz_}
  seeds=tests/fuzz/corpus/$t; mkdir -p "$seeds"
  work=$out/corpus_$t; mkdir -p "$work"
  dict=tests/fuzz/$t.dict; dictarg=(); [ -f "$dict" ] && dictarg=(-dict="$dict")
  [ -n "${FL_FUZZ_RUNS:-}" ] && dictarg+=(-runs="$FL_FUZZ_RUNS")
  [ -n "${FL_FUZZ_SEED:-}" ] && dictarg+=(-seed="$FL_FUZZ_SEED")
  if ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1 "$bin" -max_total_time="$secs" -rss_limit_mb=1024 \
       -max_len=65536 -timeout=10 -artifact_prefix="$out/$name-" "${dictarg[@]}" "$work" "$seeds" >"$out/$name.log" 2>&1; then
    echo "PASS fuzz/$name ($(grep -oE 'Done [0-9]+ runs|stat::number_of_executed_units: [0-9]+' "$out/$name.log" | grep -oE '[0-9]+' | tail -1) runs)"
  else
    echo "FAIL fuzz/$name: $(grep -m1 -E 'ERROR|SUMMARY|Crash' "$out/$name.log")"; rc=1
  fi
done
exit $rc
