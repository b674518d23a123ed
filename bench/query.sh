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
if ! declare -F bench_measure >/dev/null; then
  # standalone: minimal versions of run.sh's helpers
  BENCH_RESULTS=${BENCH_RESULTS:-$W/results.tsv}
  bench_row() { printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$BENCH_RESULTS"; }
  bench_measure() {
    local sec=$1 name=$2 recs=$3 runs=$4; shift 4; [ "${1:-}" = -- ] && shift
    local walls=() rss=0 i tf w r; tf=$(mktemp)
    for ((i = 0; i < runs; i++)); do
      /usr/bin/time -f '%e %M' -o "$tf" "$@" >"$tf.out" 2>&1 || { echo "bench: $name failed" >&2; tail -3 "$tf.out" >&2; BENCH_MEDIAN=; rm -f "$tf" "$tf.out"; return 1; }
      read -r w r < <(tail -1 "$tf"); walls+=("$w"); [ "$r" -gt "$rss" ] && rss=$r
    done
    rm -f "$tf" "$tf.out"
    local med; med=$(printf '%s\n' "${walls[@]}" | sort -g | awk '{a[NR]=$1} END {print (NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2}')
    bench_row "$sec" "$name" "$med" - - - "$((rss / 1024))" "median of $runs"
    printf '  %-52s median %7.2f s  peak RSS %d MB\n' "$name" "$med" "$((rss / 1024))"
    BENCH_MEDIAN=$med
  }
fi
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
"$FL" query --home "$H" --format csv "$Q_TOP" >"$W/top_flowsift.csv" 2>&1
$DUCK "$VIEW; $Q_TOP" >"$W/top_duckdb.csv" 2>&1
if cmp -s "$W/top_flowsift.csv" "$W/top_duckdb.csv"; then same=identical; else same=DIFFERENT; fi
echo "  top-25 answers of flowsift and DuckDB: $same"
for q in TOP DENY GEO; do
  eval "sql=\$Q_$q"
  case $q in TOP) label="top talkers (srcaddr,dstaddr) by sum(bytes)";; DENY) label="denied flows by rule/port/source";; GEO) label="egress bytes by destination country";; esac
  bench_measure query "flowsift: $label" "$N" "$RUNS" -- "$FL" query --home "$H" --format csv "$sql"
  f=$BENCH_MEDIAN
  bench_measure query "duckdb:   $label" "$N" "$RUNS" -- $DUCK "$VIEW; $sql"
  d=$BENCH_MEDIAN
  r=$(ratio "$d" "$f")
  bench_row query "ratio duckdb/flowsift: $label" "$r" - - - - "target >= 1.5 (answers $same)"
  echo "  ratio duckdb/flowsift ($label): $r  (target >= 1.5)"
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
bench_measure query "flowsift: one day of 30 (date = ...)" "$N30" "$RUNS" -- "$FL" query --home "$H30" --format csv "$Q_DAY"
d1=$BENCH_MEDIAN
bench_measure query "flowsift: all 30 days" "$N30" "$RUNS" -- "$FL" query --home "$H30" --format csv "$Q_ALL"
d30=$BENCH_MEDIAN
r=$(ratio "$d30" "$d1")
bench_row query "ratio all-30-days / one-day" "$r" - - - - "target >= 10 (partition pruning)"
echo "  ratio all 30 days / one day: $r  (target >= 10)"
"$FL" query --home "$H30" "EXPLAIN $Q_DAY" | grep -E 'Pruning|Read'
