#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# run.sh BUILD - flowsift's benchmarks (`make bench`).
#
# 1. Generates, once, the benchmark input with `flowsift generate` and caches
#    it under bench/out/ keyed by size, seed and a fingerprint of the
#    generator's output: BENCH_RECORDS (default 10 M) default-v2 records,
#    plain and .gz (zlib level 6).
# 2. Runs every benchmark that exists, each BENCH_RUNS times (default 3),
#    reporting MEDIANS and ratios against a peer measured in the same run:
#      parse     build/bench/parse_bench (records/s plain; .gz vs isa-l
#                inflate-only on the same file);
#      ingest    `flowsift ingest` of the .gz into a fresh dataset vs DuckDB
#                COPY (read_csv -> Parquet zstd): wall, records/s, peak RSS,
#                Parquet bytes (skipped when bench/ingest.sh exists: that
#                script owns the ingest benchmark then);
#      bench/*.sh every other script, discovered (query, enrich, azure ...).
#    Scripts get BENCH_FILE, BENCH_GZ, BENCH_RECORDS, BENCH_SEED, BENCH_RUNS,
#    BENCH_OUT, BENCH_RESULTS, FL, FL_BUILD, FL_ROOT in the environment and
#    the shell functions bench_measure / bench_row (below) to record rows.
# 3. Prints a summary table and writes it to bench/out/results.md.
# BENCH_RECORDS=1000000 make bench is a quick run; BENCH_ONLY=parse,ingest
# (a comma-separated list of sections / script names) runs only those.
. "$(dirname "$0")/lib.sh" # set -u, the repository root, bench_ratio, bench_median
BUILD=${1:-build}
export FL_ROOT=$PWD FL_BUILD=$PWD/$BUILD FL=$PWD/$BUILD/flowsift
[ -x "$FL" ] || { echo "bench: $FL is not built" >&2; exit 2; }
N=${BENCH_RECORDS:-10000000}
SEED=${BENCH_SEED:-42}
RUNS=${BENCH_RUNS:-3}
OUT=${BENCH_OUT:-$PWD/bench/out} # a scratch dir for the smoke test (tests/bench)
mkdir -p "$OUT"
export BENCH_OUT=$OUT BENCH_RECORDS=$N BENCH_SEED=$SEED BENCH_RUNS=$RUNS
export BENCH_RESULTS=$OUT/results.tsv
: >"$BENCH_RESULTS"
DUCK="node $FL_ROOT/tests/tools/duck.mjs"
export BENCH_DUCK=$DUCK
T_START=$SECONDS

# ---- helpers (exported to the discovered scripts) ---------------------------
# bench_row SECTION NAME MEDIAN_S MIN_S MAX_S RATE PEAK_RSS_MB NOTE
bench_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"; }
# bench_measure SECTION NAME RECORDS RUNS [--setup 'cmd'] -- CMD...
#   runs CMD RUNS times (the setup command before each run, untimed) under
#   /usr/bin/time, records the median wall time, min-max, records/s at the
#   median and the largest peak RSS; prints one line; sets BENCH_MEDIAN.
bench_measure() {
  local sec=$1 name=$2 recs=$3 runs=$4 setup=""
  shift 4
  if [ "${1:-}" = --setup ]; then setup=$2; shift 2; fi
  [ "${1:-}" = -- ] && shift
  local walls=() rss=0 i tf
  tf=$(mktemp)
  for ((i = 0; i < runs; i++)); do
    [ -n "$setup" ] && eval "$setup"
    if ! /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$tf.out" 2>&1; then
      echo "bench: $name failed:" >&2; tail -5 "$tf.out" >&2
      bench_row "$sec" "$name" FAILED - - - - "exit status != 0"
      rm -f "$tf" "$tf.out"; BENCH_MEDIAN=; return 1
    fi
    local w r
    read -r w r < <(tail -1 "$tf")
    walls+=("$w")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  rm -f "$tf" "$tf.out"
  local sorted med min max rate
  sorted=$(printf '%s\n' "${walls[@]}" | sort -g)
  min=$(echo "$sorted" | head -1); max=$(echo "$sorted" | tail -1)
  med=$(echo "$sorted" | bench_median)
  rate=$(awk -v n="$recs" -v t="$med" 'BEGIN { if (n > 0 && t > 0) printf "%.2f M rec/s", n / t / 1e6; else print "-" }')
  bench_row "$sec" "$name" "$med" "$min" "$max" "$rate" "$((rss / 1024))" "median of $runs"
  printf '  %-52s median %7.2f s  (%s-%s)  %s  peak RSS %d MB\n' "$name" "$med" "$min" "$max" "$rate" "$((rss / 1024))"
  BENCH_MEDIAN=$med
}
export -f bench_row bench_measure
has() { "$FL" --help | grep -qE "^  $1 "; }
want() { [ -z "${BENCH_ONLY:-}" ] || [[ ",$BENCH_ONLY," == *",$1,"* ]]; }

echo "flowsift benchmarks: $N records, seed $SEED, $RUNS runs each, $(nproc) CPUs, load $(cut -d' ' -f1-3 /proc/loadavg)"

# ---- 1. the input (cached) --------------------------------------------------
fp=$("$FL" generate -q --records 2000 --seed "$SEED" | md5sum | cut -c1-8)
export BENCH_FILE=$OUT/vpcflow_${N}_s${SEED}_${fp}.log
export BENCH_GZ=$BENCH_FILE.gz
if [ ! -s "$BENCH_FILE" ]; then
  echo "generating $BENCH_FILE"
  rm -f "$OUT"/vpcflow_"${N}"_s"${SEED}"_*.log "$OUT"/vpcflow_"${N}"_s"${SEED}"_*.log.gz
  "$FL" generate --records "$N" --seed "$SEED" --out "$BENCH_FILE" || exit 1
fi
if [ ! -s "$BENCH_GZ" ]; then
  echo "generating $BENCH_GZ (zlib level 6)"
  "$FL" generate --records "$N" --seed "$SEED" --gzip --out "$BENCH_GZ" || exit 1
fi
TEXT_BYTES=$(stat -c %s "$BENCH_FILE"); GZ_BYTES=$(stat -c %s "$BENCH_GZ")
echo "input: $BENCH_FILE ($TEXT_BYTES bytes), .gz $GZ_BYTES bytes"

if want generate; then
echo "== generator"
bench_measure generate "flowsift generate $N v2 records (plain, to /dev/null)" "$N" "$RUNS" -- \
  "$FL" generate -q --records "$N" --seed "$SEED" --out /dev/null
bench_measure generate "flowsift generate $N v2 records (gzip level 1)" "$N" 1 -- \
  "$FL" generate -q --records "$N" --seed "$SEED" --gzip-level 1 --out /dev/null
fi

COLS="{'version':'INTEGER','account_id':'VARCHAR','interface_id':'VARCHAR','srcaddr':'VARCHAR','dstaddr':'VARCHAR','srcport':'INTEGER','dstport':'INTEGER','protocol':'BIGINT','packets':'BIGINT','bytes':'BIGINT','start':'BIGINT','end':'BIGINT','action':'VARCHAR','log_status':'VARCHAR'}"
export BENCH_CSV_COLUMNS=$COLS
csv() { echo "read_csv('$1', delim=' ', header=true, nullstr='-', auto_detect=false, columns=$COLS)"; }
PAIRS_CACHE=$BENCH_FILE.pairs
if [ ! -s "$PAIRS_CACHE" ]; then
  $DUCK --no-header "SELECT count(*) FROM (SELECT DISTINCT srcaddr, dstaddr FROM $(csv "$BENCH_FILE") WHERE log_status = 'OK')" >"$PAIRS_CACHE" 2>/dev/null || echo "?" >"$PAIRS_CACHE"
fi
PAIRS=$(cat "$PAIRS_CACHE")
echo "distinct (srcaddr, dstaddr) pairs (DuckDB): $PAIRS"

# ---- 2. parse throughput -------------------------------------------------------
PB=$FL_BUILD/bench/parse_bench
if ! want parse; then
  :
elif [ -x "$PB" ]; then
  echo "== parse (build/bench/parse_bench, median of $RUNS)"
  # gz = the default (inflate thread ahead of the parser); gz-sync = the
  # same file inflated on the parsing thread (FLOWSIFT_INFLATE_THREAD=0),
  # the one-thread figure the thread is measured against.
  for kind in plain gz gz-sync; do
    f=$BENCH_FILE; [ "$kind" != plain ] && f=$BENCH_GZ
    thr=1; [ "$kind" = gz-sync ] && thr=0
    FLOWSIFT_INFLATE_THREAD=$thr "$PB" "$f" "$RUNS" >"$OUT/parse_$kind.txt" 2>&1 || { echo "parse_bench failed on $f"; cat "$OUT/parse_$kind.txt"; continue; }
    kv() { awk -v k="$1" '$1 == k { print $2 }' "$OUT/parse_$kind.txt"; }
    med=$(kv parse_seconds_median); rps=$(kv parse_records_per_s); cpu=$(kv parse_records_per_cpu_s)
    bench_row parse "parse $kind into record batches" "$med" - - "$(awk -v r="$rps" 'BEGIN { printf "%.2f M rec/s", r / 1e6 }')" - \
      "CPU-time rate $(awk -v r="$cpu" 'BEGIN { printf "%.2f M rec/s", r / 1e6 }'); target >= 8 M rec/s (plain)"
    printf '  parse %-6s median %s s  %s rec/s (CPU-time %s rec/s)  %s MB/s\n' "$kind" "$med" "$rps" "$cpu" "$(kv parse_mb_per_s)"
    if [ "$kind" != plain ]; then
      r=$(kv gzip_parse_vs_inflate_ratio); rc=$(kv gzip_parse_vs_inflate_ratio_cpu)
      bench_row parse "isa-l inflate only (same .gz, in memory)" "$(kv inflate_seconds_median)" - - "$(kv inflate_mb_per_s) MB/s" - "peer"
      bench_row parse "ratio: parse $kind / inflate-only (decompressed bytes/s)" "$r" - - - - "CPU-time ratio $rc; target >= 0.80"
      printf '  isa-l inflate-only %s MB/s; parse %s / inflate-only = %s (CPU-time %s), target >= 0.80\n' "$(kv inflate_mb_per_s)" "$kind" "$r" "$rc"
    fi
  done
else
  echo "== parse: $PB not built, skipped"
fi

# ---- 3. ingest vs DuckDB ---------------------------------------------------------
if ! want ingest; then
  :
elif [ -f bench/ingest.sh ]; then
  echo "== ingest: bench/ingest.sh exists and runs below"
elif has ingest; then
  echo "== ingest: flowsift ingest (.gz -> dataset) vs DuckDB COPY read_csv -> Parquet zstd (2 threads)"
  H=$OUT/ingest-home
  NOENR=; "$FL" ingest --help | grep -q -- --no-enrich && NOENR=--no-enrich # the same work as DuckDB
  bench_measure ingest "flowsift ingest $NOENR .gz -> fresh dataset" "$N" "$RUNS" --setup "rm -rf '$H'" -- \
    env FLOWSIFT_HOME="$H" "$FL" ingest --quiet $NOENR "$BENCH_GZ"
  OURS=$BENCH_MEDIAN
  OUR_BYTES=$(find "$H/data" -name '*.parquet' -printf '%s\n' 2>/dev/null | awk '{ s += $1 } END { print s + 0 }')
  bench_measure ingest "DuckDB COPY (read_csv .gz) TO parquet zstd" "$N" "$RUNS" --setup "rm -f '$OUT/duck.parquet'" -- \
    $DUCK "COPY (SELECT * FROM $(csv "$BENCH_GZ")) TO '$OUT/duck.parquet' (FORMAT parquet, COMPRESSION zstd)"
  THEIRS=$BENCH_MEDIAN
  DUCK_BYTES=$(stat -c %s "$OUT/duck.parquet" 2>/dev/null || echo 0)
  R=$(bench_ratio "$THEIRS" "$OURS")
  bench_row ingest "ratio: DuckDB time / flowsift time" "$R" - - - - "target >= 3"
  bench_row ingest "Parquet bytes: flowsift / DuckDB" "$(bench_ratio "$OUR_BYTES" "$DUCK_BYTES")" - - - - "$OUR_BYTES vs $DUCK_BYTES bytes; target within 10%"
  echo "  throughput ratio (DuckDB time / ours): $R (target >= 3); Parquet bytes ours $OUR_BYTES vs DuckDB $DUCK_BYTES"
  rm -rf "$H" "$OUT/duck.parquet"
else
  echo "== ingest: 'flowsift ingest' not available yet, skipped"
fi

# ---- 4. discovered benchmark scripts --------------------------------------------------
for s in bench/*.sh; do
  case $s in bench/run.sh | bench/lib.sh) continue ;; esac
  name=$(basename "$s" .sh)
  want "$name" || continue
  echo "== $name ($s)"
  t0=$SECONDS
  timeout 1800 bash "$s" "$BUILD" 2>&1 | tee "$OUT/$name.log" | sed 's/^/  /'
  rc=${PIPESTATUS[0]}
  [ "$rc" -ne 0 ] && bench_row "$name" "$s" FAILED - - - - "exit status $rc"
  echo "  ($name took $((SECONDS - t0)) s, exit $rc; log $OUT/$name.log)"
done

# ---- 5. summary ----------------------------------------------------------------------
{
  echo "# flowsift benchmark results"
  echo
  echo "- date: $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
  echo "- machine: $(nproc) CPUs ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load at end $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "- input: $N default-v2 records, seed $SEED: $TEXT_BYTES bytes text, $GZ_BYTES bytes .gz (zlib 6); $PAIRS distinct (srcaddr, dstaddr) pairs"
  echo "- every figure is the median of the runs shown; ratios compare peers measured in the same run"
  echo
  echo "| section | benchmark | median s | min s | max s | rate | peak RSS MB | note |"
  echo "|---|---|---|---|---|---|---|---|"
  awk -F'\t' '{ printf "| %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8 }' "$BENCH_RESULTS"
  echo
  echo "Total benchmark time: $((SECONDS - T_START)) s."
} >"$OUT/results.md"
echo
echo "== summary (bench/out/results.md)"
awk -F'\t' 'BEGIN { printf "%-10s %-58s %9s %16s %8s  %s\n", "section", "benchmark", "median", "rate", "RSS MB", "note" }
  { printf "%-10s %-58s %9s %16s %8s  %s\n", $1, substr($2, 1, 58), $3, $6, $7, $8 }' "$BENCH_RESULTS"
echo "total $((SECONDS - T_START)) s"
