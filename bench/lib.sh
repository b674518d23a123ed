# SPDX-License-Identifier: Apache-2.0
# lib.sh - what the benchmark scripts (bench/*.sh) share; sourced first:
#   . "$(dirname "$0")/lib.sh"; bench_init NAME "$@"
# bench_init sets BUILD (argument 1, default build), FL, OUT (BENCH_OUT or
# bench/out), N (BENCH_RECORDS, default 10 M), RUNS (BENCH_RUNS, default 3),
# DUCK (the DuckDB runner, 2 threads), works from the repository root,
# checks the binary is built, and defines bench_row when run.sh has not
# (the rows then go to $OUT/NAME.tsv).  The helpers below measure wall and
# CPU time (user + sys: the steadier figure on a shared machine) and take
# medians; every ratio compares peers measured in the same run.
set -u
cd "$(dirname "$0")/.." || exit 2
export LC_ALL=C TZ=UTC

bench_init() { # NAME [BUILD]
  BENCH_NAME=$1
  BUILD=${2:-build}
  FL=${FL:-$PWD/$BUILD/flowsift}
  OUT=${BENCH_OUT:-$PWD/bench/out}
  N=${BENCH_RECORDS:-10000000}
  RUNS=${BENCH_RUNS:-3}
  DUCK="node $PWD/tests/tools/duck.mjs --threads 2"
  mkdir -p "$OUT"
  [ -x "$FL" ] || { echo "$BENCH_NAME.sh: $FL is not built (make all tools)" >&2; exit 2; }
  declare -F bench_row >/dev/null || {
    BENCH_RESULTS=${BENCH_RESULTS:-$OUT/$BENCH_NAME.tsv}
    # bench_row SECTION NAME MEDIAN_S MIN_S MAX_S RATE PEAK_RSS_MB NOTE
    bench_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"; }
  }
}

# the median of the numbers on stdin (the mean of the middle two when even)
bench_median() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
# A / B with two decimals ("-" when either is not positive)
bench_ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }

# bench_input FILE RECORDS [SEED]: the generated default-v2 input, made once
bench_input() {
  [ -s "$1" ] && return 0
  echo "generating $1 ($2 records)"
  "$FL" generate -q --records "$2" --seed "${3:-42}" --out "$1"
}

# bench_timed TIMES_FILE CMD...: one run under /usr/bin/time; appends
# "wall_s cpu_s peak_rss_kb" to TIMES_FILE (the command's output goes to
# TIMES_FILE.out); on failure prints the output's tail and returns 1.
bench_timed() {
  local tf=$1 t0 t1; shift
  t0=$EPOCHREALTIME
  if ! /usr/bin/time -f '%e %U %S %M' -o "$tf.time" "$@" >"$tf.out" 2>&1; then
    echo "bench: failed: $*" >&2; tail -5 "$tf.out" >&2; rm -f "$tf.time"; return 1
  fi
  t1=$EPOCHREALTIME
  # wall from the shell's microsecond clock (time's %e has 10 ms steps,
  # too coarse for a 40 ms query); CPU and RSS from /usr/bin/time
  tail -1 "$tf.time" | awk -v a="$t0" -v b="$t1" '{ printf "%.4f %.3f %s\n", b - a, $2 + $3, $4 }' >>"$tf"
  rm -f "$tf.time"
}

# bench_wallcpu SECTION NAME RUNS SETUP CMD...: RUNS timed runs (SETUP, when
# not empty, is evaluated untimed before each); sets BM_WALL, BM_CPU (the
# medians) and BM_RSS_MB (the largest), records a row, prints one line.  The
# last run's output is kept in $OUT/$BENCH_NAME.last.out.
bench_wallcpu() {
  local sec=$1 name=$2 runs=$3 setup=$4 i tf
  shift 4
  tf=$(mktemp)
  for ((i = 0; i < runs; i++)); do
    [ -n "$setup" ] && eval "$setup"
    if ! bench_timed "$tf" "$@"; then
      bench_row "$sec" "$name" FAILED - - - - "exit status != 0"
      rm -f "$tf" "$tf.out"; BM_WALL=; BM_CPU=; return 1
    fi
  done
  mv -f "$tf.out" "$OUT/$BENCH_NAME.last.out"
  BM_WALL=$(awk '{ print $1 }' "$tf" | bench_median)
  BM_CPU=$(awk '{ print $2 }' "$tf" | bench_median)
  BM_RSS_MB=$(awk '{ print int($3 / 1024) }' "$tf" | sort -g | tail -1)
  bench_row "$sec" "$name" "$BM_WALL" "$(awk '{ print $1 }' "$tf" | sort -g | head -1)" \
    "$(awk '{ print $1 }' "$tf" | sort -g | tail -1)" "cpu $BM_CPU s" "$BM_RSS_MB" "median of $runs (wall; cpu = user+sys)"
  printf '  %-58s median wall %7.3f s  cpu %7.2f s  peak RSS %d MB\n' "$name" "$BM_WALL" "$BM_CPU" "$BM_RSS_MB"
  rm -f "$tf"
}
