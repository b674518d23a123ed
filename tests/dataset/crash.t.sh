#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# crash.t.sh - crash safety: `flowsift ingest` (new data and a replacing
# run) and `flowsift compact` are killed with SIGKILL at named points of the
# pipeline (FLOWSIFT_CRASH_AT=<point>:<n>) and after random delays.  After
# each kill, what readers see must be readable by DuckDB with no duplicate
# (source_object, source_offset) (and, for compaction and replacement, the
# old rows or the new ones, never both); a re-run must finish the job: the
# row count equals the input's, still without duplicates.  Every state is
# snapshotted (hard links) and checked by DuckDB in one call at the end.
. "$FL_ROOT/tests/lib.sh"
duck() { node "$FL_ROOT/tests/tools/duck.mjs" --no-header "$@"; }
cd "$FL_TMP" || exit 1
N=3000
"$FL" generate --records $N --accounts 2 --regions 1 --layout s3 --gzip --seed 11 --out in --quiet
# small files and row groups: many writers, files and publish operations
cfg() { mkdir -p "$1" && printf 'storage:\n  row_group_rows: 1024\n' >"$1/flowsift.yaml"; }
export FLOWSIFT_FILE_ROWS=400
mkdir snaps
: >expect.txt
# snap NAME HOME KIND ARGS...: keep what readers see now, and what it must be
snap() {
  local name=$1 home=$2; shift 2
  mkdir -p "snaps/$name"
  [ -d "$home/data" ] && cp -al "$home/data" "snaps/$name/data"
  echo "$name $*" >>expect.txt
}
moments=0

# ---- 1. killed at named points of a fresh ingest ----
for p in walk:1 batch:1 batch:4 batch:9 object:1 object:60 object:250 file:1 file:5 closed:1 T1:1 publish:1 publish:4 publish:9 before-T2:1; do
  h=h_${p/:/_}; rm -rf "$h"; cfg "$h"
  FLOWSIFT_CRASH_AT=$p "$FL" ingest --home "$h" --no-enrich --quiet in >/dev/null 2>&1
  check_eq "kill/$p/killed" "$?" 137
  snap "k_${p/:/_}_crash" "$h" nodup
  "$FL" ingest --home "$h" --no-enrich --quiet in >/dev/null 2>&1
  check_eq "kill/$p/rerun-exit" "$?" 0
  snap "k_${p/:/_}_rerun" "$h" exact $N
  check_eq "kill/$p/no-temp" "$(find "$h/data" -name '.*' | wc -l)" 0
  moments=$((moments + 1))
done

# ---- 2. killed while a changed object replaces its rows ----
base=h_base; rm -rf $base; cfg $base
"$FL" ingest --home $base --no-enrich --quiet in >/dev/null 2>&1
victim=$(find in -type f | sort | sed -n 5p)
V=$(realpath "$victim")
nv_before=$(gzip -dc "$victim" | tail -n +2 | grep -c .)
gzip -dc "$victim" | head -n 3 | gzip >v.gz && cat v.gz >"$victim" # header + 2 rows
exp=$((N - nv_before + 2))
for p in batch:1 closed:1 T1:1 publish:1 publish:2 publish:3 before-T2:1; do
  h=r_${p/:/_}; rm -rf "$h"; cp -a $base "$h"
  FLOWSIFT_CRASH_AT=$p "$FL" ingest --home "$h" --no-enrich --quiet in >/dev/null 2>&1
  check_eq "replace/$p/killed" "$?" 137
  snap "r_${p/:/_}_crash" "$h" oneof $N $exp
  "$FL" ingest --home "$h" --no-enrich --quiet in >/dev/null 2>&1
  snap "r_${p/:/_}_rerun" "$h" victim $exp 2
  moments=$((moments + 1))
done
N=$exp # the input now has the changed victim

# ---- 3. killed during compaction: old files or new files, never both ----
cp -a $base c_base
"$FL" ingest --home c_base --no-enrich --quiet in >/dev/null 2>&1
for p in staged:1 staged:2 T1:1 publish:1 publish:2 publish:5 before-T2:1; do
  h=c_${p/:/_}; rm -rf "$h"; cp -a c_base "$h"
  before=$(find "$h/data" -name '*.parquet' | wc -l)
  FLOWSIFT_CRASH_AT=$p "$FL" compact --home "$h" >/dev/null 2>&1
  check_eq "compact/$p/killed" "$?" 137
  snap "c_${p/:/_}_crash" "$h" exact $N
  "$FL" compact --home "$h" >/dev/null 2>&1
  check_eq "compact/$p/rerun-exit" "$?" 0
  snap "c_${p/:/_}_rerun" "$h" exact $N
  after=$(find "$h/data" -name '*.parquet' | wc -l)
  check_eq "compact/$p/fewer-files" "$([ "$after" -lt "$before" ] && echo yes)" yes
  moments=$((moments + 1))
done

# ---- 4. killed after random delays ----
RANDOM=4242
for i in 1 2 3 4 5 6; do
  h=t_$i; rm -rf "$h"; cfg "$h"
  d=$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.05 + (r % 120) / 100 }')
  timeout -s KILL "$d" "$FL" ingest --home "$h" --no-enrich --quiet in >/dev/null 2>&1
  snap "t_${i}_crash" "$h" nodup
  "$FL" ingest --home "$h" --no-enrich --quiet in >/dev/null 2>&1
  snap "t_${i}_rerun" "$h" exact $N
  moments=$((moments + 1))
done
check_eq moments-at-least-20 "$([ $moments -ge 20 ] && echo yes)" yes

# ---- one DuckDB pass over every snapshot ----
duck "SELECT regexp_extract(filename, 'snaps/([^/]+)/data/', 1) AS s, count(*),
        count(DISTINCT (source_object, source_offset)),
        count(*) FILTER (WHERE source_object = '$V')
      FROM read_parquet('snaps/*/data/**/*.parquet', filename=true) GROUP BY 1 ORDER BY 1" >res.csv 2>res.err
check_eq duckdb-reads-all "$?" 0
declare -A cnt dis vic
while IFS=, read -r s c d v; do cnt[$s]=$c; dis[$s]=$d; vic[$s]=$v; done <res.csv
while read -r name kind a b; do
  c=${cnt[$name]:-0}; d=${dis[$name]:-0}; v=${vic[$name]:-0}
  case $kind in
    nodup) check_eq "$name/no-dup" "$c" "$d" ;;
    exact) check_eq "$name/rows" "$c,$d" "$a,$a" ;;
    oneof) check_eq "$name/old-or-new" "$([ "$c" = "$d" ] && { [ "$c" = "$a" ] || [ "$c" = "$b" ]; } && echo ok)" ok ;;
    victim) check_eq "$name/rows-victim" "$c,$d,$v" "$a,$a,$b" ;;
  esac
done <expect.txt
