#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# compact.t.sh - `flowsift compact` merges each partition's small files
# (here: one ingest run per input object) into fewer files with the same
# rows, NULL counts and sums, and the ledger follows (a later replacement
# of a changed object still finds its rows in the merged files);
# `flowsift prune --older-than Nd` removes exactly the partitions whose date
# is past retention, and their ledger entries; `flowsift ls` lists them.
. "$FL_ROOT/tests/lib.sh"
duck() { node "$FL_ROOT/tests/tools/duck.mjs" --no-header "$@"; }
cd "$FL_TMP" || exit 1
"$FL" generate --records 4000 --days 3 --accounts 2 --regions 1 --layout s3 --seed 21 --out in --quiet
Q="SELECT count(*), count(DISTINCT (source_object, source_offset)), sum(bytes), sum(packets), count(srcaddr), count(start), min(date), max(date) FROM read_parquet('h/data/**/*.parquet', hive_partitioning=true, hive_types={'account':'VARCHAR','date':'DATE'})"
# many small files: ingest one hour-folder set of objects per run
for d in in/AWSLogs/*/vpcflowlogs/*/*/*/*; do
  "$FL" ingest --home h --no-enrich --quiet "$d" >/dev/null 2>&1 || fail ingest "$d"
done
before=$(find h/data -name '*.parquet' | wc -l)
s1=$(duck "$Q")
"$FL" compact --home h >c.out 2>&1
check_eq compact/exit "$?" 0
after=$(find h/data -name '*.parquet' | wc -l)
check_eq compact/fewer-files "$([ "$after" -lt "$before" ] && echo yes)" yes
check_eq compact/one-per-partition "$after" "$(find h/data -name '*.parquet' -printf '%h\n' | sort -u | wc -l)"
check_eq compact/same-rows-sums "$(duck "$Q")" "$s1"
check_eq compact/no-leftovers "$(find h -path '*/.staging/*' -o -name '.*.tmp' | wc -l)" 0
check_eq compact/ledger-files "$(sqlite3 h/state.db 'SELECT count(*) FROM files WHERE state=1')" "$after"
"$FL" compact --home h >c2.out 2>&1
check_eq compact/again-nothing "$(find h/data -name '*.parquet' | wc -l)" "$after"
# replacement after compaction: the merged file is rewritten without the old rows
victim=$(find in -type f | sort | sed -n 7p)
head -n 2 "$victim" >v && cat v >"$victim"
"$FL" ingest --home h --no-enrich --quiet in >/dev/null 2>&1
check_eq compact/replace-after "$(duck "SELECT count(*) FROM read_parquet('h/data/**/*.parquet') WHERE source_object='$(realpath "$victim")'")" 1
check_eq compact/replace-no-dup "$(duck "SELECT count(*) = count(DISTINCT (source_object, source_offset)) FROM read_parquet('h/data/**/*.parquet')")" true

# ---- prune ----
dates=$(find h/data -type d -name 'date=*' | sed 's/.*date=//' | sort -u)
first=$(echo "$dates" | head -1); last=$(echo "$dates" | tail -1)
check_eq prune/three-days "$(echo "$dates" | wc -l)" 3
# "now" = last day + 1 day 12h; --older-than 1d keeps dates >= last day
now=$(date -u -d "$last + 1 day + 12 hours" +%Y-%m-%dT%H:%M:%SZ)
"$FL" prune --home h --older-than 1d --now "$now" --dry-run >pd.out 2>&1
check_eq prune/dry-run-keeps "$(find h/data -type d -name 'date=*' | sed 's/.*date=//' | sort -u | wc -l)" 3
check_eq prune/dry-run-says "$(grep -c '^would prune' pd.out)" "$(find h/data -type d -name 'date=*' ! -name "date=$last" | wc -l)"
rows_last=$(duck "SELECT count(*) FROM read_parquet('h/data/**/*.parquet', hive_partitioning=true, hive_types={'date':'DATE'}) WHERE date >= DATE '$last'")
"$FL" prune --home h --older-than 1d --now "$now" >p.out 2>&1
check_eq prune/exit "$?" 0
check_eq prune/kept-dates "$(find h/data -type d -name 'date=*' | sed 's/.*date=//' | sort -u | tr '\n' ' ')" "$last "
check_eq prune/kept-rows "$(duck "SELECT count(*) FROM read_parquet('h/data/**/*.parquet')")" "$rows_last"
check_eq prune/ledger-files "$(sqlite3 h/state.db "SELECT count(*) FROM files WHERE partition NOT LIKE '%date=$last%'")" 0
check_eq prune/ledger-objects "$(sqlite3 h/state.db "SELECT count(*) FROM objects o WHERE NOT EXISTS (SELECT 1 FROM file_objects fo WHERE fo.object_id=o.id)")" \
  "$(sqlite3 h/state.db "SELECT count(*) FROM objects WHERE records_stored=0")"
"$FL" ls --home h >ls.out
check_eq ls/total "$(tail -1 ls.out | awk '{print $4}')" "$(find h/data -name '*.parquet' | wc -l)"
"$FL" prune --home h --older-than x >/dev/null 2>&1
check_eq prune/bad-arg "$?" 2
