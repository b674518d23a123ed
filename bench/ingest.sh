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
# peak RSS of a 1 M-record ingest into ~600 hour partitions (memory bound
# whatever the partitioning), and the Parquet writer's own CPU per row
# (bench/pqwrite_bench on 2 M records, plain and enriched).
set -u
cd "$(dirname "$0")/.."
BUILD=${1:-build}
FL=${FL:-$PWD/$BUILD/flowsift}
OUT=${BENCH_OUT:-$PWD/bench/out}
N=${BENCH_RECORDS:-10000000}
RUNS=${BENCH_RUNS:-3}
DUCK="node $PWD/tests/tools/duck.mjs"
mkdir -p "$OUT"
[ -x "$FL" ] || { echo "ingest.sh: $FL is not built" >&2; exit 2; }
GZ=${BENCH_GZ:-$OUT/ingest_input_${N}.log.gz}
if [ ! -s "$GZ" ]; then
  echo "generating $GZ ($N records)"
  "$FL" generate -q --records "$N" --seed 42 --gzip --out "$GZ" || exit 1
fi
COLS="{'version':'INTEGER','account_id':'VARCHAR','interface_id':'VARCHAR','srcaddr':'VARCHAR','dstaddr':'VARCHAR','srcport':'INTEGER','dstport':'INTEGER','protocol':'BIGINT','packets':'BIGINT','bytes':'BIGINT','start':'BIGINT','end':'BIGINT','action':'VARCHAR','log_status':'VARCHAR'}"
H=$OUT/ingest-home
DP=$OUT/ingest-duck.parquet
TF=$(mktemp)
row() { if declare -F bench_row >/dev/null; then bench_row "$@"; fi; }
# run NAME CMD...: one timed run; appends "wall cpu rss_kb" to $OUT/ingest_NAME.txt
run() {
  local name=$1; shift
  if ! /usr/bin/time -f '%e %U %S %M' -o "$TF" "$@" >"$TF.out" 2>&1; then
    echo "ingest.sh: $name failed:"; tail -5 "$TF.out"; return 1
  fi
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' "$TF" | tail -1 >>"$OUT/ingest_$name.txt"
}
med() { sort -g | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
: >"$OUT/ingest_ours.txt"; : >"$OUT/ingest_duck.txt"; : >"$OUT/ingest_enriched.txt"
echo "input: $GZ ($(stat -c %s "$GZ") bytes, $N records); $RUNS runs each, interleaved; load $(cut -d' ' -f1-3 /proc/loadavg)"
for ((i = 1; i <= RUNS; i++)); do
  rm -rf "$H"
  run ours "$FL" ingest --home "$H" --no-enrich --quiet "$GZ" || exit 1
  OUR_BYTES=$(find "$H/data" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
  OUR_FILES=$(find "$H/data" -name '*.parquet' | wc -l)
  rm -f "$DP"
  run duck $DUCK "COPY (SELECT * FROM read_csv('$GZ', delim=' ', header=true, nullstr='-', auto_detect=false, columns=$COLS)) TO '$DP' (FORMAT parquet, COMPRESSION zstd)" || exit 1
  DUCK_BYTES=$(stat -c %s "$DP")
  echo "  run $i: ours $(tail -1 "$OUT/ingest_ours.txt")  duckdb $(tail -1 "$OUT/ingest_duck.txt")  (wall s, cpu s, peak RSS KB)"
done
# the stored rows are all there (checked once, by DuckDB)
got=$($DUCK --no-header "SELECT count(*) FROM read_parquet('$H/data/**/*.parquet')")
[ "$got" = "$N" ] || echo "ingest.sh: WARNING: dataset has $got rows, expected $N"
rm -rf "$H"
run enriched "$FL" ingest --home "$H" --quiet "$GZ" || true
rm -rf "$H" "$DP" "$TF" "$TF.out"

# memory with many partitions: 8 accounts x 4 regions x 3 days, hour folders
MP=$OUT/ingest_manyparts.log.gz
[ -s "$MP" ] || "$FL" generate -q --records 1000000 --days 3 --accounts 8 --regions 4 --seed 9 --gzip-level 1 --out "$MP"
rm -rf "$H"; mkdir -p "$H"; printf 'storage:\n  partition_by_hour: true\n' >"$H/flowsift.yaml"
: >"$OUT/ingest_manyparts.txt"
run manyparts "$FL" ingest --home "$H" --no-enrich --quiet "$MP" || true
MP_FILES=$(find "$H/data" -name '*.parquet' | wc -l)
rm -rf "$H"
mrss=$(awk '{ print $3 }' "$OUT/ingest_manyparts.txt" | tail -1)

# the Parquet writer alone (thread CPU time per row: steady whatever the
# machine's load), plain and with the default enrichment columns
PQB=${FL_BUILD:-$PWD/$BUILD}/bench/pqwrite_bench
WB=""; WBE=""
if [ -x "$PQB" ]; then
  W2=$OUT/ingest_writer_2000000.log.gz
  [ -s "$W2" ] || "$FL" generate -q --records 2000000 --seed 42 --gzip-level 1 --out "$W2"
  WB=$("$PQB" "$W2" --runs "$RUNS" --out "$OUT/pqwrite_bench.parquet" 2>/dev/null | awk '$1 == "writer_ns_per_row" { print $2 }')
  WBE=$("$PQB" "$W2" --runs "$RUNS" --enrich --out "$OUT/pqwrite_bench.parquet" 2>/dev/null | awk '$1 == "writer_ns_per_row" { print $2 }')
fi

ow=$(awk '{ print $1 }' "$OUT/ingest_ours.txt" | med); oc=$(awk '{ print $2 }' "$OUT/ingest_ours.txt" | med)
orss=$(awk '{ print $3 }' "$OUT/ingest_ours.txt" | sort -n | tail -1)
dw=$(awk '{ print $1 }' "$OUT/ingest_duck.txt" | med); dc=$(awk '{ print $2 }' "$OUT/ingest_duck.txt" | med)
drss=$(awk '{ print $3 }' "$OUT/ingest_duck.txt" | sort -n | tail -1)
ew=$(awk '{ print $1 }' "$OUT/ingest_enriched.txt" | med)
rate() { awk -v n="$N" -v t="$1" 'BEGIN { if (t > 0) printf "%.2f M rec/s", n / t / 1e6; else print "-" }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0 && b > 0) printf "%.2f", a / b; else print "-" }'; }
R=$(ratio "$dw" "$ow"); RC=$(ratio "$dc" "$oc"); SZ=$(ratio "$OUR_BYTES" "$DUCK_BYTES")
echo "flowsift ingest --no-enrich: median wall $ow s ($(rate "$ow")), CPU $oc s, peak RSS $((orss / 1024)) MB, $OUR_FILES files, $OUR_BYTES bytes"
echo "DuckDB COPY read_csv -> parquet zstd: median wall $dw s ($(rate "$dw")), CPU $dc s, peak RSS $((drss / 1024)) MB, $DUCK_BYTES bytes"
echo "ratio DuckDB/flowsift: wall $R (target >= 3), CPU $RC; Parquet bytes flowsift/DuckDB $SZ (target 0.90-1.10)"
echo "flowsift ingest with default enrichment (1 run): wall ${ew:-?} s"
echo "many partitions (1 M records into $MP_FILES hour partitions): peak RSS $((${mrss:-0} / 1024)) MB (must stay < 512)"
[ -n "$WB" ] && echo "Parquet writer alone (bench/pqwrite_bench, 2 M records, median of $RUNS, thread CPU): ${WB} ns/row; with the default enrichment columns ${WBE:-?} ns/row"
row ingest "flowsift ingest .gz -> fresh dataset (--no-enrich)" "$ow" - - "$(rate "$ow")" "$((orss / 1024))" "CPU $oc s; $OUR_FILES files; median of $RUNS"
row ingest "DuckDB COPY (read_csv .gz) TO parquet zstd" "$dw" - - "$(rate "$dw")" "$((drss / 1024))" "CPU $dc s; median of $RUNS"
row ingest "ratio: DuckDB time / flowsift time" "$R" - - - - "CPU-time ratio $RC; target >= 3"
row ingest "Parquet bytes: flowsift / DuckDB" "$SZ" - - - - "$OUR_BYTES vs $DUCK_BYTES bytes; target within 10%"
row ingest "flowsift ingest with default enrichment" "${ew:-?}" - - "$(rate "${ew:-0}")" - "1 run"
row ingest "flowsift ingest, 1 M records into $MP_FILES hour partitions" - - - - "$((${mrss:-0} / 1024))" "peak RSS must stay < 512 MB"
[ -n "$WB" ] && row ingest "Parquet writer alone, CPU ns/row (plain / enriched)" "$WB" - - - - "enriched ${WBE:-?} ns/row; bench/pqwrite_bench, 2 M records"
