#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# diff.t.sh - differential test of the SQL engine against DuckDB.  A seeded
# generator (tests/tools/sqlgen.mjs) writes 3000 flow rows over 3 clouds, 5
# accounts, 5 regions and 4 days (with NULLs), mkdataset stores them as the
# Hive-partitioned Parquet dataset (300-row row groups, so row-group pruning
# is exercised), the generator writes 300 random queries (filters with
# three-valued logic, IN/BETWEEN/LIKE, partition predicates, expressions,
# GROUP BY/HAVING with count/sum/min/max/avg/count DISTINCT, DISTINCT, ORDER
# BY ... NULLS FIRST|LAST, LIMIT), flowsift answers them all in one process
# (tests/tools/qbatch) and DuckDB reads the same Parquet files; rows must be
# equal (order-insensitive without ORDER BY; numbers within 1e-9 relative).
# Each mismatch prints the query.  DIFF_SEED / DIFF_QUERIES override.
. "$FL_ROOT/tests/lib.sh"
SEED=${DIFF_SEED:-20240501}
NQ=${DIFF_QUERIES:-300}
G="node $FL_ROOT/tests/tools/sqlgen.mjs"
$G data "$SEED" 3000 >"$FL_TMP/rows.ndjson" || { fail generate "data generator failed"; exit 0; }
"$FL_BUILD/tests/tools/mkdataset" "$FL_TMP/home" --rg-rows 300 "$FL_TMP/rows.ndjson" || { fail mkdataset "failed"; exit 0; }
$G queries "$SEED" "$NQ" >"$FL_TMP/queries.txt"
check_eq query_count "$(wc -l <"$FL_TMP/queries.txt" | tr -d ' ')" "$NQ"
"$FL_BUILD/tests/tools/qbatch" "$FL_TMP/home" "$FL_TMP/queries.txt" >"$FL_TMP/flowsift.jsonl"
check_eq flowsift_answered "$(wc -l <"$FL_TMP/flowsift.jsonl" | tr -d ' ')" "$NQ"
# the same queries with the scan split across two threads give the same answers
"$FL_BUILD/tests/tools/qbatch" "$FL_TMP/home" "$FL_TMP/queries.txt" 2 >"$FL_TMP/flowsift2.jsonl"
if cmp -s "$FL_TMP/flowsift.jsonl" "$FL_TMP/flowsift2.jsonl"; then pass two_threads_same_answers; else
  fail two_threads_same_answers "$(diff "$FL_TMP/flowsift.jsonl" "$FL_TMP/flowsift2.jsonl" | head -c 600)"; fi
$G compare "$FL_TMP/home" "$FL_TMP/queries.txt" "$FL_TMP/flowsift.jsonl" | sed "s#^\(PASS\|FAIL\) diff/#\1 $T/#"
# the comparer itself must notice a wrong answer
head -1 "$FL_TMP/queries.txt" >"$FL_TMP/q1.txt"
echo '{"rows":[["definitely-wrong"]]}' >"$FL_TMP/bad.jsonl"
if $G compare "$FL_TMP/home" "$FL_TMP/q1.txt" "$FL_TMP/bad.jsonl" | grep -q '^FAIL'; then pass comparer_detects_mismatch; else fail comparer_detects_mismatch "a wrong answer passed"; fi
