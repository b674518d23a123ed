#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# oracle.t.sh - DuckDB is the independent oracle for the dataset: for the
# AWS v2 fixtures and for a generated multi-account, multi-day S3 layout,
# DuckDB reading our dataset (read_parquet, hive_partitioning, hive_types)
# returns the same row count, per-column NULL counts, sums of bytes/packets
# and top-25 talkers as DuckDB reading the raw text with read_csv; the
# partition folders agree with the rows (date = UTC day of start, account =
# the S3 path's account); and `flowsift ddl --engine duckdb` runs in DuckDB.
. "$FL_ROOT/tests/lib.sh"
duck() { node "$FL_ROOT/tests/tools/duck.mjs" --no-header "$@"; }
cd "$FL_TMP" || exit 1

COLS="{'version':'INTEGER','account_id':'VARCHAR','interface_id':'VARCHAR','srcaddr':'VARCHAR','dstaddr':'VARCHAR','srcport':'INTEGER','dstport':'INTEGER','protocol':'BIGINT','packets':'BIGINT','bytes':'BIGINT','start':'BIGINT','end':'BIGINT','action':'VARCHAR','log_status':'VARCHAR'}"
NAMES="version account_id interface_id srcaddr dstaddr srcport dstport protocol packets bytes start end action log_status"
# one SELECT list: count, null counts of the 14 columns, sums
sel="count(*) AS n"
for c in $NAMES; do sel="$sel, count(*) - count(\"$c\") AS \"null_$c\""; done
sel="$sel, sum(bytes) AS sb, sum(packets) AS sp, count(DISTINCT srcaddr) AS ds"
top="SELECT srcaddr, dstaddr, sum(bytes) AS b FROM %s WHERE bytes IS NOT NULL GROUP BY ALL ORDER BY b DESC, srcaddr, dstaddr LIMIT 25"
ours() { echo "read_parquet('$1/data/**/*.parquet', hive_partitioning=true, hive_types={'cloud':'VARCHAR','account':'VARCHAR','region':'VARCHAR','date':'DATE'})"; }

# compare NAME RAWSRC HOME: the stats and the top-25 must be identical
compare() {
  local name=$1 raw=$2 home=$3 ourt
  ourt=$(ours "$home")
  duck "SELECT $sel FROM $raw" >raw.csv 2>raw.err || { fail "$name/raw-read" "$(cat raw.err)"; return; }
  duck "SELECT $sel FROM $ourt" >ours.csv 2>ours.err || { fail "$name/our-read" "$(cat ours.err)"; return; }
  if [ "$(head -c1 raw.csv)" = 0 ]; then fail "$name/nonempty" "raw input has no rows"; fi
  check_file_eq "$name/count-nulls-sums" ours.csv raw.csv
  # shellcheck disable=SC2059
  duck "$(printf "$top" "$raw")" >rawtop.csv 2>&1
  # shellcheck disable=SC2059
  duck "$(printf "$top" "$ourt")" >ourtop.csv 2>&1
  if [ "$(wc -l <rawtop.csv)" -lt 1 ]; then fail "$name/top25" "no talkers"; else check_file_eq "$name/top25" ourtop.csv rawtop.csv; fi
  # lineage is unique and complete
  check_eq "$name/lineage-unique" "$(duck "SELECT count(*) = count(DISTINCT (source_object, source_offset)) AND count(source_object) = count(*) FROM $ourt")" "true"
  # partition folder = UTC day of start (or end)
  check_eq "$name/date-folder" "$(duck "SELECT count(*) FROM $ourt WHERE date IS DISTINCT FROM CAST(to_timestamp(coalesce(start, \"end\")) AT TIME ZONE 'UTC' AS DATE)")" "0"
}

# ---- the AWS v2 fixtures (header-less default lines, and with a header) ----
D=$FL_ROOT/tests/data/ingest/aws
F1=$D/aws_docs_flow-log-record-examples.v2-default.log
F2=$D/otel_contrib_valid_vpc_flow_log.nodata-with-header.log
"$FL" ingest --home fx --no-enrich "$F1" "$F2" >fx.out 2>&1
check_eq fixtures/ingest-exit "$?" 0
raw="(SELECT * FROM read_csv('$F1', delim=' ', header=false, nullstr='-', auto_detect=false, columns=$COLS) UNION ALL SELECT * FROM read_csv('$F2', delim=' ', header=true, nullstr='-', auto_detect=false, columns=$COLS))"
compare fixtures "$raw" fx

# ---- generated: 4 accounts, 3 days, S3 layout, gzip ----
"$FL" generate --records 60k --days 3 --accounts 4 --layout s3 --gzip --seed 7 --out gen --quiet
check_eq gen/generated "$(find gen -name '*.log.gz' | wc -l | awk '$1 > 100 {print "many"}')" many
"$FL" ingest --home gh --no-enrich --quiet gen >gh.out 2>&1
check_eq gen/ingest-exit "$?" 0
raw="read_csv('gen/**/*.log.gz', delim=' ', header=true, nullstr='-', auto_detect=false, columns=$COLS, filename=true)"
compare gen "$raw" gh
ourt=$(ours gh)
# account folder = the S3 path's account; several accounts and days
duck "SELECT regexp_extract(filename, 'AWSLogs/([0-9]+)/', 1) AS a, count(*) FROM $raw GROUP BY ALL ORDER BY ALL" >acc_raw.csv
duck "SELECT account, count(*) FROM $ourt GROUP BY ALL ORDER BY ALL" >acc_ours.csv
check_file_eq gen/accounts acc_ours.csv acc_raw.csv
check_eq gen/multi "$(duck "SELECT count(DISTINCT account) >= 2 AND count(DISTINCT date) >= 3 AND count(DISTINCT region) >= 2 FROM $ourt")" "true"
# batching: far fewer files than input objects
nobj=$(find gen -name '*.log.gz' | wc -l); nfiles=$(find gh/data -name '*.parquet' | wc -l)
check_eq gen/batched "$([ "$nfiles" -gt 0 ] && [ $((nfiles * 10)) -lt "$nobj" ] && echo yes)" yes
# no hidden leftovers
check_eq gen/no-temp "$(find gh -name '.*.tmp' | wc -l)" 0
# the per-object and total lines: records in = stored + rejected
check_eq gen/total-line "$(grep -c '^total: .* records read 60000 = stored 60000 + rejected 0' gh.out)" 1

# ---- DDL: DuckDB's runs as printed; Athena/Trino name every column ----
"$FL" ddl --engine duckdb --home gh >ddl.sql
check_eq ddl/duckdb-runs "$(duck "$(cat ddl.sql); SELECT count(*), typeof(any_value(account)), typeof(any_value(date)) FROM flows")" "60000,VARCHAR,DATE"
"$FL" ddl --engine athena --home gh --location s3://bucket/flows >athena.sql
ncat=$("$FL" fields --format csv | tail -n +2 | awk -F, '$3 !~ /partition/' | wc -l)
check_eq ddl/athena-columns "$(grep -cE '^  `[a-z0-9_]+` (int|bigint|string),?$' athena.sql)" "$ncat"
check_eq ddl/athena-projection "$(grep -c "projection.date.type' = 'date'" athena.sql)" 1
check_eq ddl/athena-location "$(grep -c "storage.location.template' = 's3://bucket/flows/data/cloud=\${cloud}/account=\${account}/region=\${region}/date=\${date}'" athena.sql)" 1
"$FL" ddl --engine trino --location s3://bucket/flows >trino.sql
check_eq ddl/trino-partitioned "$(grep -c "partitioned_by = ARRAY\['cloud', 'account', 'region', 'date'\]" trino.sql)" 1
"$FL" ddl --engine athena --home gh >/dev/null 2>&1
check_eq ddl/athena-needs-location "$?" 2
"$FL" ddl --engine oracle >/dev/null 2>&1
check_eq ddl/unknown-engine "$?" 2

# ---- hour folders (storage.partition_by_hour) ----
mkdir -p hh && printf 'storage:\n  partition_by_hour: true\n' >hh/flowsift.yaml
"$FL" ingest --home hh --no-enrich --quiet gen >/dev/null 2>&1
check_eq hour/ingest-exit "$?" 0
check_eq hour/folders "$(find hh/data -name '*.parquet' | grep -c '/date=[0-9-]*/hour=[0-2][0-9]/')" "$(find hh/data -name '*.parquet' | wc -l)"
"$FL" ddl --engine duckdb --home hh >ddlh.sql
check_eq hour/hour-matches-start "$(duck "$(cat ddlh.sql); SELECT count(*), count(*) FILTER (WHERE hour = hour(to_timestamp(start) AT TIME ZONE 'UTC')) FROM flows")" "60000,60000"
