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
# (BENCH_Q30_RECORDS records, default BENCH_RECORDS: the issue's "10 M-record
# dataset" spread over 30 days) and the same aggregation over one day
# (partition pruning) vs all 30 days (target: the one-day query >= 10x
# faster).  The answers of both engines are compared
# (top talkers) so that a fast wrong answer does not count.
# Datasets are cached under bench/out/query/ keyed by the input file name.
. "$(dirname "$0")/lib.sh"
bench_init query "$@"
N30=${BENCH_Q30_RECORDS:-$N}
W=$OUT/query
mkdir -p "$W"

FILE=${BENCH_FILE:-$W/input_${N}.log}
bench_input "$FILE" "$N" || exit 1
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
  bench_wallcpu query "flowsift: $label" "$RUNS" "" "$FL" query --home "$H" --format csv "$sql"
  fw=$BM_WALL fc=$BM_CPU
  bench_wallcpu query "duckdb:   $label" "$RUNS" "" $DUCK "$VIEW; $sql"
  dw=$BM_WALL dc=$BM_CPU
  rw=$(bench_ratio "$dw" "$fw"); rc=$(bench_ratio "$dc" "$fc")
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
bench_wallcpu query "flowsift: one day of 30 (date = ...)" "$RUNS" "" "$FL" query --home "$H30" --format csv "$Q_DAY"
d1w=$BM_WALL d1c=$BM_CPU
bench_wallcpu query "flowsift: all 30 days" "$RUNS" "" "$FL" query --home "$H30" --format csv "$Q_ALL"
d30w=$BM_WALL d30c=$BM_CPU
# the floor of any query: starting the process (dynamic linking of the
# libraries) is a fixed cost that no pruning removes
bench_wallcpu query "flowsift: process start (--version)" "$RUNS" "" "$FL" --version
d0w=$BM_WALL d0c=$BM_CPU
rw=$(bench_ratio "$d30w" "$d1w"); rc=$(bench_ratio "$d30c" "$d1c")
bench_row query "ratio all-30-days / one-day" "$rw" - - "cpu ratio $rc" - "target >= 10 (partition pruning)"
echo "  ratio all 30 days / one day: wall $rw, cpu $rc  (target >= 10)"
echo "  the same without the process start: wall $(awk -v a="$d30w" -v b="$d1w" -v z="$d0w" 'BEGIN { if (b - z > 0) printf "%.2f", (a - z) / (b - z); else print "-" }'), cpu $(awk -v a="$d30c" -v b="$d1c" -v z="$d0c" 'BEGIN { if (b - z > 0) printf "%.2f", (a - z) / (b - z); else print "-" }')"
"$FL" query --home "$H30" "EXPLAIN $Q_DAY" | grep -E 'Pruning|Read'
