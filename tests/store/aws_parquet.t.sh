#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# aws_parquet.t.sh - AWS Parquet flow-log objects as an input (format
# "aws-parquet"): DuckDB writes files with AWS's Parquet schema
# (tests/data/store/aws_parquet.sql: underscore names, version INT32,
# protocol INT64; and hyphenated names, protocol INT32, version INT64,
# several row groups; gzip and snappy; NULL and '-' as missing; unknown
# columns), `flowsift cat` must print the expected normalized rows
# (tests/data/store/aws_parquet_*.expected.jsonl, compared with
# tests/tools/ndjson_cmp.mjs).  A truncated Parquet object gets a one-line
# error and the other inputs go on.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
DATA=$FL_ROOT/tests/data/store
sed "s#OUT/#$FL_TMP/#" "$DATA/aws_parquet.sql" | node "$FL_ROOT/tests/tools/duck.mjs" - >/dev/null 2>duck.err \
  || fail duck_write "$(head -c 300 duck.err)"
for f in a b; do
  "$FL" cat "aws_$f.parquet" > "out_$f.jsonl" 2> "err_$f.txt"
  check_eq "cat_exit_$f" "$?" 0
  check "rows_$f" node "$FL_ROOT/tests/tools/ndjson_cmp.mjs" "$DATA/aws_parquet_$f.expected.jsonl" "out_$f.jsonl" --ignore source_object
done
# source_object is the path given
check_eq source_object "$(head -1 out_a.jsonl | grep -o '"source_object":"[^"]*"')" '"source_object":"aws_a.parquet"'
# sniffed by content, whatever the name
cp aws_b.parquet noext
"$FL" cat noext --stats > out_noext.jsonl 2> stats.txt
check_eq sniffed_format "$(grep -o 'format=[a-z-]*' stats.txt | head -1)" "format=aws-parquet"
check_eq nodata_counted "$(grep -o 'nodata=[0-9]* skipdata=[0-9]*' stats.txt | head -1)" "nodata=1 skipdata=1"
# a truncated object: one clear error line, exit 2, the next input still read
head -c 2000 aws_a.parquet > trunc.parquet
"$FL" cat trunc.parquet aws_b.parquet > out_t.jsonl 2> err_t.txt
rc=$?
check_eq trunc_exit "$rc" 2
check_eq trunc_others_read "$(wc -l < out_t.jsonl)" 4
if grep -q 'trunc.parquet' err_t.txt && [ "$(grep -c . err_t.txt)" -le 3 ]; then pass trunc_message; else fail trunc_message "$(head -c 300 err_t.txt)"; fi
