#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh - flowsift's test runner.  Runs the C unit-test binaries, then every
# tests/*/*.t.sh file (CLI, golden, oracle, crash, fuzz-smoke tests), counts
# their "PASS"/"FAIL" lines and closes with "N passed, N failed".  Exits
# non-zero if anything failed.  usage: tests/run.sh BUILD_DIR [FILTER]
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
FILTER=${2:-}
export FL_ROOT=$PWD FL_BUILD=$PWD/$BUILD FL=$PWD/$BUILD/flowsift
export LC_ALL=C TZ=UTC
OUT=$PWD/tests/out/$(basename "$BUILD")
rm -rf "$OUT"; mkdir -p "$OUT"
export FL_OUT=$OUT
passed=0; failed=0
declare -a failures=()

run_one() { # name, command...
  local name=$1; shift
  local log="$OUT/$name.log"
  local t0=$SECONDS
  timeout 1500 "$@" >"$log" 2>&1
  local rc=$?
  local p f
  [ -f "$log" ] || echo "FAIL $name: log file vanished" >"$log"
  p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1; echo "FAIL $name: exited with status $rc" >>"$log"
  fi
  passed=$((passed + p)); failed=$((failed + f))
  grep '^FAIL ' "$log" | head -20 | while IFS= read -r l; do echo "$l"; done
  [ "$f" -gt 0 ] && failures+=("$name")
  printf '%-40s %4d passed %3d failed  %3ds\n' "$name" "$p" "$f" $((SECONDS - t0))
}

for t in "$BUILD"/tests/test_*; do
  [ -x "$t" ] || continue
  n=$(basename "$t")
  [ -n "$FILTER" ] && [[ "$n" != *$FILTER* ]] && continue
  run_one "$n" "$t"
done
for t in tests/*/*.t.sh; do
  [ -f "$t" ] || continue
  n=$(basename "$(dirname "$t")")_$(basename "$t" .t.sh)
  [ -n "$FILTER" ] && [[ "$n" != *$FILTER* ]] && continue
  export FL_TMP="$OUT/tmp/$n"; rm -rf "$FL_TMP"; mkdir -p "$FL_TMP"
  run_one "$n" bash "$t"
done
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]} (logs in $OUT/)"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
