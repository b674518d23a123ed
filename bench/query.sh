#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# query.sh BUILD - the SQL engine benchmark (issue 6).  In the same run,
# flowsift query and DuckDB (@duckdb/node-api, 2 threads) read the SAME
# Parquet dataset (flowsift ingest of the BENCH_RECORDS-record file that
# bench/run.sh generates; DuckDB through read_parquet(..., hive_partitioning)):
#   1. top talkers: (srcaddr, dstaddr) by sum(bytes), top 25 (high cardinality);
#   2. denied flows grouped by rule / port / source, top 25;
#   3. egress bytes (private -> public) by destination country;
# each BENCH_RUNS times (median, min-max, peak RSS of both engines), with the
# ratio DuckDB/flowsift (target >= 1.5).  Then a 30-day dataset
# (BENCH_Q30_RECORDS records, default BENCH_RECORDS/3, over 30 days) and the
# same aggregation over one day (partition pruning) vs all 30 days (target:
# the one-day query >= 10x faster).  The answers of both engines are compared
# (top talkers) so that a fast wrong answer does not count.
# Datasets are cached under bench/out/query/ keyed by the input file name.
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
FL=${FL:-$PWD/$BUILD/flowsift}
OUT=${BENCH_OUT:-$PWD/bench/out}
N=${BENCH_RECORDS:-10000000}
RUNS=${BENCH_RUNS:-3}
N30=${BENCH_Q30_RECORDS:-$((N / 3))}
DUCK="node $PWD/tests/tools/duck.mjs --threads 2"
W=$OUT/query
mkdir -p "$W"
[ -x "$FL" ] || { echo "query.sh: $FL is not built" >&2; exit 2; }
declare -F bench_row >/dev/null || {
  BENCH_RESULTS=${BENCH_RESULTS:-$W/results.tsv}
  bench_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"; }
}
# q_measure NAME RUNS CMD...: median wall time AND median CPU time (user +
# sys; the machine is shared, so CPU time is the steadier figure), peak RSS.
# Sets QM_WALL and QM_CPU.
q_measure() {
  local name=$1 runs=$2; shift 2
  local walls=() cpus=() rss=0 i tf w u sy r
  tf=$(mktemp)
  for ((i = 0; i < runs; i++)); do
    if ! /usr/bin/time -f '%e %U %S %M' -o "$tf" "$@" >"$tf.out" 2>&1; then
      echo "bench: $name failed" >&2; tail -3 "$tf.out" >&2; rm -f "$tf" "$tf.out"
      bench_row query "$name" FAILED - - - - "exit status != 0"; QM_WALL=; QM_CPU=; return 1
    fi
    read -r w u sy r < <(tail -1 "$tf")
    walls+=("$w"); cpus+=("$(awk -v a="$u" -v b="$sy" 'BEGIN { print a + b }')")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  rm -f "$tf" "$tf.out"
  med() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}'; }
  QM_WALL=$(med "${walls[@]}"); QM_CPU=$(med "${cpus[@]}")
  bench_row query "$name" "$QM_WALL" "$(printf '%s\n' "${walls[@]}" | sort -g | head -1)" "$(printf '%s\n' "${walls[@]}" | sort -g | tail -1)" "cpu $QM_CPU s" "$((rss / 1024))" "median of $runs (wall; cpu = user+sys)"
  printf '  %-52s median wall %7.2f s  cpu %7.2f s  peak RSS %d MB\n' "$name" "$QM_WALL" "$QM_CPU" "$((rss / 1024))"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }

FILE=${BENCH_FILE:-$W/input_${N}.log}
if [ ! -s "$FILE" ]; then
  echo "generating $FILE ($N records)"
  "$FL" generate -q --records "$N" --seed 42 --out "$FILE" || exit 1
fi
H=$W/home_$(basename "$FILE" .log)
if [ ! -f "$H/.complete" ]; then
  echo "ingesting $FILE into $H"
  rm -rf "$H"
  "$FL" ingest --home "$H" --quiet "$FILE" || exit 1
  touch "$H/.complete"
fi
PQ="read_parquet('$H/data/**/*.parquet', hive_partitioning=true, hive_types={'cloud':VARCHAR,'account':VARCHAR,'region':VARCHAR,'date':DATE})"
VIEW="CREATE VIEW flows AS SELECT * FROM $PQ"

Q_TOP="SELECT srcaddr, dstaddr, sum(bytes) AS total_bytes FROM flows GROUP BY srcaddr, dstaddr ORDER BY total_bytes DESC, srcaddr, dstaddr LIMIT 25"
Q_DENY="SELECT rule, dstport, srcaddr, count(*) AS flows, sum(packets) AS packets FROM flows WHERE action = 'REJECT' GROUP BY rule, dstport, srcaddr ORDER BY flows DESC, dstport, srcaddr LIMIT 25"
Q_GEO="SELECT dst_country, sum(bytes) AS egress_bytes, count(*) AS flows FROM flows WHERE src_scope = 'private' AND dst_scope = 'public' GROUP BY dst_country ORDER BY egress_bytes DESC NULLS LAST"

echo "== query: flowsift vs DuckDB (2 threads), same Parquet files ($N records, load $(cut -d' ' -f1-3 /proc/loadavg))"
# the answers must agree before speed counts
for q in TOP DENY GEO; do
  eval "sql=\$Q_$q"
  "$FL" query --home "$H" --format csv "$sql" >"$W/${q}_flowsift.csv" 2>&1
  $DUCK "$VIEW; $sql" >"$W/${q}_duckdb.csv" 2>&1
  if cmp -s "$W/${q}_flowsift.csv" "$W/${q}_duckdb.csv"; then s=identical; else s=DIFFERENT; fi
  eval "same_$q=$s"
  echo "  $q answers of flowsift and DuckDB: $s"
done
for q in TOP DENY GEO; do
  eval "sql=\$Q_$q; same=\$same_$q"
  case $q in TOP) label="top talkers (srcaddr,dstaddr) by sum(bytes)";; DENY) label="denied flows by rule/port/source";; GEO) label="egress bytes by destination country";; esac
  q_measure "flowsift: $label" "$RUNS" "$FL" query --home "$H" --format csv "$sql"
  fw=$QM_WALL fc=$QM_CPU
  q_measure "duckdb:   $label" "$RUNS" $DUCK "$VIEW; $sql"
  dw=$QM_WALL dc=$QM_CPU
  rw=$(ratio "$dw" "$fw"); rc=$(ratio "$dc" "$fc")
  bench_row query "ratio duckdb/flowsift: $label" "$rw" - - "cpu ratio $rc" - "target >= 1.5 (answers $same)"
  echo "  ratio duckdb/flowsift ($label): wall $rw, cpu $rc  (target >= 1.5)"
done

# ---- one day of 30 vs all 30 days ------------------------------------------------
F30=$W/input30_${N30}.log
H30=$W/home30_${N30}
if [ ! -f "$H30/.complete" ]; then
  echo "generating + ingesting a 30-day dataset ($N30 records)"
  "$FL" generate -q --records "$N30" --seed 7 --days 30 --day 2026-10-01 --out "$F30" || exit 1
  rm -rf "$H30"
  "$FL" ingest --home "$H30" --quiet "$F30" || exit 1
  rm -f "$F30"
  touch "$H30/.complete"
fi
Q_ALL="SELECT srcaddr, sum(bytes) AS b FROM flows GROUP BY srcaddr ORDER BY b DESC LIMIT 10"
Q_DAY="SELECT srcaddr, sum(bytes) AS b FROM flows WHERE date = DATE '2026-10-15' GROUP BY srcaddr ORDER BY b DESC LIMIT 10"
q_measure "flowsift: one day of 30 (date = ...)" "$RUNS" "$FL" query --home "$H30" --format csv "$Q_DAY"
d1w=$QM_WALL d1c=$QM_CPU
q_measure "flowsift: all 30 days" "$RUNS" "$FL" query --home "$H30" --format csv "$Q_ALL"
d30w=$QM_WALL d30c=$QM_CPU
# the floor of any query: starting the process (dynamic linking of the
# libraries) is a fixed cost that no pruning removes
q_measure "flowsift: process start (--version)" "$RUNS" "$FL" --version
d0w=$QM_WALL d0c=$QM_CPU
rw=$(ratio "$d30w" "$d1w"); rc=$(ratio "$d30c" "$d1c")
bench_row query "ratio all-30-days / one-day" "$rw" - - "cpu ratio $rc" - "target >= 10 (partition pruning)"
echo "  ratio all 30 days / one day: wall $rw, cpu $rc  (target >= 10)"
echo "  the same without the process start: wall $(awk -v a="$d30w" -v b="$d1w" -v z="$d0w" 'BEGIN { if (b - z > 0) printf "%.2f", (a - z) / (b - z); else print "-" }'), cpu $(awk -v a="$d30c" -v b="$d1c" -v z="$d0c" 'BEGIN { if (b - z > 0) printf "%.2f", (a - z) / (b - z); else print "-" }')"
"$FL" query --home "$H30" "EXPLAIN $Q_DAY" | grep -E 'Pruning|Read'
