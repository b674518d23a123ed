#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# golden.t.sh - Parquet compatibility goldens (tests/golden/parquet/): the
# files written by earlier releases must read back with exactly the
# expected rows, by our reader (pqtool dump) and by DuckDB.
. "$FL_ROOT/tests/lib.sh"
PQ=$FL_BUILD/tests/tools/pqtool
G=$FL_ROOT/tests/golden/parquet
cd "$FL_TMP" || exit 1
SPEC=$($PQ spec)
q=""
for f in "$G"/*.parquet; do
  n=$(basename "$f" .parquet)
  $PQ dump "$f" > "$n.ndjson" 2> "$n.err"
  check_eq "ours_exit_$n" "$?" 0
  check_file_eq "ours_rows_$n" "$n.ndjson" "$G/v0.1.expected.ndjson"
  q="$q${q:+ UNION ALL }SELECT '$n', (SELECT count(*) FROM (SELECT * FROM read_parquet('$f') EXCEPT ALL SELECT * FROM exp)) = 0
     AND (SELECT count(*) FROM (SELECT * FROM exp EXCEPT ALL SELECT * FROM read_parquet('$f'))) = 0"
done
node "$FL_ROOT/tests/tools/duck.mjs" --no-header "CREATE TABLE exp AS SELECT * FROM read_json('$G/v0.1.expected.ndjson', format='newline_delimited', columns=$SPEC); $q" > duck.csv 2> duck.err \
  || fail duck "$(head -c 300 duck.err)"
while IFS=, read -r n ok; do
  if [ "$ok" = true ]; then pass "duck_$n"; else fail "duck_$n" "DuckDB rows differ"; fi
done < duck.csv
check_eq duck_count "$(wc -l < duck.csv)" 4
