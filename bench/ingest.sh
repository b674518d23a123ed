#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# ingest.sh BUILD - the issue-3 ingest benchmark: `flowsift ingest` of the
# BENCH_RECORDS-record generated .gz (default 10 M; bench/run.sh's cached
# file BENCH_GZ, or one generated here when run alone) into a fresh dataset,
# against DuckDB `COPY (SELECT * FROM read_csv(...)) TO ... (FORMAT parquet,
# COMPRESSION zstd)` on the same file, interleaved, BENCH_RUNS times each
# (default 3).  Reports medians of wall and CPU (user+sys) time, records/s,
# the ratio DuckDB time / ours (target >= 3), the peak RSS of both (ours
# must stay < 512 MB) and the Parquet bytes of both (target: within 10 %).
# Ours runs with --no-enrich (the same work as DuckDB: text -> Parquet); one
# extra run with the default enrichment is reported for information, and the
# peak RSS of a BENCH_MANYPARTS_RECORDS (1 M) ingest into ~600 hour partitions (memory bound
# whatever the partitioning), and the Parquet writer's own CPU per row
# (bench/pqwrite_bench on BENCH_WRITER_RECORDS (2 M), plain and enriched).
. "$(dirname "$0")/lib.sh"
bench_init ingest "$@"
NMP=${BENCH_MANYPARTS_RECORDS:-1000000}   # the many-partitions run
NWR=${BENCH_WRITER_RECORDS:-2000000}      # the writer-alone run
GZ=${BENCH_GZ:-$OUT/ingest_input_${N}.log.gz}
if [ ! -s "$GZ" ]; then
  echo "generating $GZ ($N records)"
  "$FL" generate -q --records "$N" --seed 42 --gzip --out "$GZ" || exit 1
fi
COLS="{'version':'INTEGER','account_id':'VARCHAR','interface_id':'VARCHAR','srcaddr':'VARCHAR','dstaddr':'VARCHAR','srcport':'INTEGER','dstport':'INTEGER','protocol':'BIGINT','packets':'BIGINT','bytes':'BIGINT','start':'BIGINT','end':'BIGINT','action':'VARCHAR','log_status':'VARCHAR'}"
H=$OUT/ingest-home
DP=$OUT/ingest-duck.parquet
: >"$OUT/ingest_ours.txt"; : >"$OUT/ingest_duck.txt"; : >"$OUT/ingest_enriched.txt"
echo "input: $GZ ($(stat -c %s "$GZ") bytes, $N records); $RUNS runs each, interleaved; load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$H"
  bench_timed "$OUT/ingest_ours.txt" "$FL" ingest --home "$H" --no-enrich --quiet "$GZ" || exit 1
  OUR_BYTES=$(find "$H/data" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  OUR_FILES=$(find "$H/data" -name '*.parquet' | wc -l)
  rm -f "$DP"
  bench_timed "$OUT/ingest_duck.txt" $DUCK "COPY (SELECT * FROM read_csv('$GZ', delim=' ', header=true, nullstr='-', auto_detect=false, columns=$COLS)) TO '$DP' (FORMAT parquet, COMPRESSION zstd)" || exit 1
  DUCK_BYTES=$(stat -c %s "$DP")
  echo "  run $i: ours $(tail -1 "$OUT/ingest_ours.txt")  duckdb $(tail -1 "$OUT/ingest_duck.txt")  (wall s, cpu s, peak RSS KB)"
done
# the stored rows are all there (checked once, by DuckDB)
got=$($DUCK --no-header "SELECT count(*) FROM read_parquet('$H/data/**/*.parquet')")
[ "$got" = "$N" ] || echo "ingest.sh: WARNING: dataset has $got rows, expected $N"
rm -rf "$H"
bench_timed "$OUT/ingest_enriched.txt" "$FL" ingest --home "$H" --quiet "$GZ" || true
rm -rf "$H" "$DP"

# memory with many partitions: 8 accounts x 4 regions x 3 days, hour folders
MP=$OUT/ingest_manyparts_$NMP.log.gz
[ -s "$MP" ] || "$FL" generate -q --records "$NMP" --days 3 --accounts 8 --regions 4 --seed 9 --gzip-level 1 --out "$MP"
rm -rf "$H"; mkdir -p "$H"; printf 'storage:\n  partition_by_hour: true\n' >"$H/flowsift.yaml"
: >"$OUT/ingest_manyparts.txt"
bench_timed "$OUT/ingest_manyparts.txt" "$FL" ingest --home "$H" --no-enrich --quiet "$MP" || true
MP_FILES=$(find "$H/data" -name '*.parquet' | wc -l)
rm -rf "$H"
mrss=$(awk '{ print $3 }' "$OUT/ingest_manyparts.txt" | tail -1)

# the Parquet writer alone (thread CPU time per row: steady whatever the
# machine's load), plain and with the default enrichment columns
PQB=${FL_BUILD:-$PWD/$BUILD}/bench/pqwrite_bench
WB=""; WBE=""
if [ -x "$PQB" ]; then
  W2=$OUT/ingest_writer_$NWR.log.gz
  [ -s "$W2" ] || "$FL" generate -q --records "$NWR" --seed 42 --gzip-level 1 --out "$W2"
  WB=$("$PQB" "$W2" --runs "$RUNS" --out "$OUT/pqwrite_bench.parquet" 2>/dev/null | awk '$1 == "writer_ns_per_row" { print $2 }')
  WBE=$("$PQB" "$W2" --runs "$RUNS" --enrich --out "$OUT/pqwrite_bench.parquet" 2>/dev/null | awk '$1 == "writer_ns_per_row" { print $2 }')
fi

ow=$(awk '{ print $1 }' "$OUT/ingest_ours.txt" | bench_median); oc=$(awk '{ print $2 }' "$OUT/ingest_ours.txt" | bench_median)
orss=$(awk '{ print $3 }' "$OUT/ingest_ours.txt" | sort -n | tail -1)
dw=$(awk '{ print $1 }' "$OUT/ingest_duck.txt" | bench_median); dc=$(awk '{ print $2 }' "$OUT/ingest_duck.txt" | bench_median)
drss=$(awk '{ print $3 }' "$OUT/ingest_duck.txt" | sort -n | tail -1)
ew=$(awk '{ print $1 }' "$OUT/ingest_enriched.txt" | bench_median)
rate() { awk -v n="$N" -v t="$1" 'BEGIN { if (t > 0) printf "%.2f M rec/s", n / t / 1e6; else print "-" }'; }
R=$(bench_ratio "$dw" "$ow"); RC=$(bench_ratio "$dc" "$oc"); SZ=$(bench_ratio "$OUR_BYTES" "$DUCK_BYTES")
echo "flowsift ingest --no-enrich: median wall $ow s ($(rate "$ow")), CPU $oc s, peak RSS $((orss / 1024)) MB, $OUR_FILES files, $OUR_BYTES bytes"
echo "DuckDB COPY read_csv -> parquet zstd: median wall $dw s ($(rate "$dw")), CPU $dc s, peak RSS $((drss / 1024)) MB, $DUCK_BYTES bytes"
echo "ratio DuckDB/flowsift: wall $R (target >= 3), CPU $RC; Parquet bytes flowsift/DuckDB $SZ (target 0.90-1.10)"
echo "flowsift ingest with default enrichment (1 run): wall ${ew:-?} s"
echo "many partitions ($NMP records into $MP_FILES hour partitions): peak RSS $((${mrss:-0} / 1024)) MB (must stay < 512)"
[ -n "$WB" ] && echo "Parquet writer alone (bench/pqwrite_bench, $NWR records, median of $RUNS, thread CPU): ${WB} ns/row; with the default enrichment columns ${WBE:-?} ns/row"
bench_row ingest "flowsift ingest .gz -> fresh dataset (--no-enrich)" "$ow" - - "$(rate "$ow")" "$((orss / 1024))" "CPU $oc s; $OUR_FILES files; median of $RUNS"
bench_row ingest "DuckDB COPY (read_csv .gz) TO parquet zstd" "$dw" - - "$(rate "$dw")" "$((drss / 1024))" "CPU $dc s; median of $RUNS"
bench_row ingest "ratio: DuckDB time / flowsift time" "$R" - - - - "CPU-time ratio $RC; target >= 3"
bench_row ingest "Parquet bytes: flowsift / DuckDB" "$SZ" - - - - "$OUR_BYTES vs $DUCK_BYTES bytes; target within 10%"
bench_row ingest "flowsift ingest with default enrichment" "${ew:-?}" - - "$(rate "${ew:-0}")" - "1 run"
bench_row ingest "flowsift ingest, $NMP records into $MP_FILES hour partitions" - - - - "$((${mrss:-0} / 1024))" "peak RSS must stay < 512 MB"
[ -n "$WB" ] && bench_row ingest "Parquet writer alone, CPU ns/row (plain / enriched)" "$WB" - - - - "enriched ${WBE:-?} ns/row; bench/pqwrite_bench, $NWR records"
