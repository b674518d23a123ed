#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# smoke.t.sh - `make bench` in miniature: bench/run.sh with every benchmark
# (parse, generate, ingest vs DuckDB, enrich, query vs DuckDB, detect,
# serve with a short wrk load, azure) on a few thousand records, one run
# each, into a scratch directory.  Speed is not judged here (see `make
# bench`); this checks that every script runs to the end, records its rows,
# compares with its peer (the query answers of both engines must be
# identical, the Azure sums equal) and that nothing failed, so that a
# broken benchmark is found by `make test`, not at measuring time.
. "$FL_ROOT/tests/lib.sh"
B=$FL_TMP/bench
mkdir -p "$B"
BENCH_OUT=$B BENCH_RECORDS=20000 BENCH_RUNS=1 BENCH_MANYPARTS_RECORDS=20000 BENCH_WRITER_RECORDS=20000 \
  AZURE_BENCH_RECORDS=2000 SERVE_CALLS=2 SERVE_RAW_CALLS=1 SERVE_LOAD_CONN=8 SERVE_LOAD_SECS=1 \
  timeout 900 bash "$FL_ROOT/bench/run.sh" "$(basename "$FL_BUILD")" >"$B/run.log" 2>&1
check_eq exit-status $? 0
R=$B/results.tsv
check_eq results-written "$([ -s "$R" ] && echo yes)" yes
check_eq no-failed-rows "$(awk -F'\t' '$3 == "FAILED"' "$R" | head -3 | tr '\t\n' ' ')" ""
for sec in generate parse ingest enrich query detect serve azure; do
  check_eq "section-$sec" "$(awk -F'\t' -v s="$sec" '$1 == s' "$R" | wc -l | awk '{ print ($1 > 0) ? "rows" : "none" }')" rows
done
# the peers agree (a fast wrong answer must not count)
check_eq query-answers-identical "$(grep -c 'answers of flowsift and DuckDB: identical' "$B/run.log")" 3
check_eq azure-sums-agree "$(grep -c 'azure.sh: flowsift and DuckDB disagree' "$B/run.log")" 0
# the headline ratios were computed (a number, not "-")
for r in "ratio: DuckDB time / flowsift time" "ratio: pack / top-talkers query" "ratio all-30-days / one-day" "enrichment overhead (wall / cpu)"; do
  v=$(awk -F'\t' -v n="$r" '$2 == n { print $3 }' "$R" | head -1)
  check_eq "computed: $r" "$(grep -qE '^\+?[0-9.]+( %)?$' <<<"$v" && echo number)" number
done
check_eq summary-written "$(grep -c '^| section | benchmark' "$B/results.md" 2>/dev/null)" 1
