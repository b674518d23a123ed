#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# parquet_oracle.t.sh - DuckDB as the independent oracle for the Parquet
# writer and reader (src/store):
#  1. pqtool writes generated rows (and the same rows as NDJSON) with every
#     codec, several row groups, small pages, and a dictionary fallback;
#     DuckDB reads each file back and must return exactly the NDJSON rows
#     (EXCEPT ALL both ways), the same aggregates, and see our metadata:
#     statistics, encodings, codecs, types, created_by, key-value metadata.
#  2. DuckDB writes files (each codec, row groups, NULLs, INT32 and INT64,
#     PLAIN and dictionary); pqtool dump reads them and must return what
#     DuckDB reports.
#  3. Pruning: fl_pq_rg_stats (pqtool stats) equals DuckDB's per-row-group
#     min/max.
. "$FL_ROOT/tests/lib.sh"
PQ=$FL_BUILD/tests/tools/pqtool
D() { node "$FL_ROOT/tests/tools/duck.mjs" "$@"; }
cd "$FL_TMP" || exit 1
SPEC=$($PQ spec)
J="read_json('ref.ndjson', format='newline_delimited', columns=$SPEC)"

# ---- 1. our files --------------------------------------------------------
G="--rows 15000 --seed 7 --rg-rows 5000 --page-rows 2048"
check gen_zstd $PQ gen f_zstd.parquet $G --codec zstd --ndjson ref.ndjson
for c in snappy gzip none; do check "gen_$c" $PQ gen "f_$c.parquet" $G --codec $c; done
check gen_fallback $PQ gen f_fallback.parquet $G --dict-max 3000 --page-rows 1000
check gen_onerg $PQ gen f_one.parquet --rows 15000 --seed 7 --batch 777
$PQ stats f_zstd.parquet start > st_start.csv
$PQ stats f_zstd.parquet srcaddr > st_srcaddr.csv
$PQ stats f_zstd.parquet subnet_id > st_subnet.csv

# ---- 2. DuckDB's files ----------------------------------------------------
DT="SELECT * FROM ref"
DTT="SELECT * REPLACE (protocol::INTEGER AS protocol, version::BIGINT AS version, srcport::BIGINT AS srcport,
      CASE WHEN source_offset % 7 = 0 THEN '-' ELSE action END AS action), 'x' || (source_offset % 5) AS unknown_col FROM ref"
check duck_write D "CREATE TABLE ref AS SELECT * FROM $J; COPY ($DT) TO 'd_zstd.parquet' (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 7000);
  COPY ($DT) TO 'd_snappy.parquet' (FORMAT parquet, COMPRESSION snappy, ROW_GROUP_SIZE 7000);
  COPY ($DT) TO 'd_gzip.parquet' (FORMAT parquet, COMPRESSION gzip);
  COPY ($DT) TO 'd_none.parquet' (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 6789);
  COPY ($DT) TO 'd_plain.parquet' (FORMAT parquet, DICTIONARY_SIZE_LIMIT 1);
  COPY ($DTT) TO 'd_types.parquet' (FORMAT parquet, ROW_GROUP_SIZE 9000)"
for f in zstd snappy gzip none plain types; do
  $PQ dump "d_$f.parquet" > "o_$f.ndjson" 2>"o_$f.err" || fail "dump_d_$f" "$(head -c 300 o_$f.err)"
done
$PQ dump f_zstd.parquet --batch 1000 --columns srcaddr,bytes,start > o_cols.ndjson
$PQ dump f_zstd.parquet --batch 333 --from-row 6789 > o_from.ndjson

# ---- all checks in one DuckDB run: rows (name, ok, detail) ----------------
q=""
add() { q="$q${q:+ UNION ALL }$1"; }
P() { echo "read_parquet('$1')"; }
for f in zstd snappy gzip none fallback one; do
  add "SELECT 'read_f_$f', (SELECT count(*) FROM (SELECT * FROM $(P f_$f.parquet) EXCEPT ALL SELECT * FROM ref)) = 0
        AND (SELECT count(*) FROM (SELECT * FROM ref EXCEPT ALL SELECT * FROM $(P f_$f.parquet))) = 0, ''"
done
for f in zstd snappy gzip none plain; do
  add "SELECT 'ours_reads_d_$f', (SELECT count(*) FROM (SELECT * FROM read_json('o_$f.ndjson', format='newline_delimited', columns=$SPEC) EXCEPT ALL SELECT * FROM $(P d_$f.parquet))) = 0
        AND (SELECT count(*) FROM read_json('o_$f.ndjson', format='newline_delimited', columns=$SPEC)) = 15000, ''"
done
add "SELECT 'ours_reads_d_types', (SELECT count(*) FROM (SELECT * FROM read_json('o_types.ndjson', format='newline_delimited', columns=$SPEC)
       EXCEPT ALL SELECT * EXCLUDE (unknown_col) REPLACE (NULLIF(action, '-') AS action) FROM $(P d_types.parquet))) = 0
     AND (SELECT count(*) FROM read_json('o_types.ndjson', format='newline_delimited', columns=$SPEC)) = 15000, ''"
add "SELECT 'ours_reads_columns', (SELECT count(*) FROM (SELECT * FROM read_json('o_cols.ndjson', format='newline_delimited', columns={'srcaddr':'VARCHAR','bytes':'BIGINT','start':'BIGINT'})
       EXCEPT ALL SELECT srcaddr, bytes, start FROM ref)) = 0, ''"
add "SELECT 'ours_reads_from_row', (SELECT count(*) FROM (SELECT * FROM read_json('o_from.ndjson', format='newline_delimited', columns=$SPEC)
       EXCEPT ALL SELECT * EXCLUDE (file_row_number) FROM read_parquet('f_zstd.parquet', file_row_number=true) WHERE file_row_number >= 6789)) = 0
     AND (SELECT count(*) FROM read_json('o_from.ndjson', format='newline_delimited', columns=$SPEC)) = 15000 - 6789, ''"
# aggregates: Parquet vs NDJSON, the list
AGG="count(*) || '|' || count(version) || '|' || count(srcaddr) || '|' || count(vpc_id) || '|' || count(subnet_id) || '|' || count(packets_lost_ttl_expired)
     || '|' || sum(bytes) || '|' || sum(packets) || '|' || min(start) || '|' || max(\"end\") || '|' || count(DISTINCT srcaddr) || '|' || count(DISTINCT dstaddr)
     || '|' || min(srcaddr) || '|' || max(dstaddr) || '|' || max(packets_lost_ttl_expired) || '|' || min(traffic_path)"
TOP="SELECT string_agg(srcaddr || '>' || dstaddr || '=' || b, ';' ORDER BY b DESC, srcaddr, dstaddr) FROM (SELECT srcaddr, dstaddr, sum(bytes) b FROM REL GROUP BY ALL ORDER BY b DESC, srcaddr, dstaddr LIMIT 25)"
add "SELECT 'aggregates', (SELECT $AGG FROM $(P f_zstd.parquet)) = (SELECT $AGG FROM ref), (SELECT $AGG FROM $(P f_zstd.parquet))"
add "SELECT 'top25', (${TOP//REL/$(P f_gzip.parquet)}) = (${TOP//REL/ref}), ''"
# metadata as written
add "SELECT 'created_by', created_by = 'flowsift version 0.1.0 (build dev)' OR created_by LIKE 'flowsift version 0.1.0 (build %)', created_by FROM parquet_file_metadata('f_zstd.parquet')"
add "SELECT 'num_row_groups', num_row_groups = 3 AND num_rows = 15000, num_row_groups::VARCHAR FROM parquet_file_metadata('f_zstd.parquet')"
add "SELECT 'one_row_group', num_row_groups = 1, num_row_groups::VARCHAR FROM parquet_file_metadata('f_one.parquet')"
add "SELECT 'kv_schema_version', (SELECT count(*) FROM parquet_kv_metadata('f_zstd.parquet') WHERE decode(key) = 'flowsift.schema_version' AND decode(value) = '1') = 1, ''"
add "SELECT 'column_orders', (SELECT column_orders IS NOT NULL FROM parquet_file_metadata('f_zstd.parquet')), ''"
add "SELECT 'types', (SELECT string_agg(column_name || ':' || column_type, ',') FROM (DESCRIBE SELECT version, account_id, srcport, protocol, bytes, start FROM $(P f_zstd.parquet)))
       = 'version:INTEGER,account_id:VARCHAR,srcport:INTEGER,protocol:BIGINT,bytes:BIGINT,start:BIGINT', ''"
add "SELECT 'schema_annotations', (SELECT count(*) FROM parquet_schema('f_zstd.parquet') WHERE name = 'account_id' AND type = 'BYTE_ARRAY' AND converted_type = 'UTF8' AND repetition_type = 'OPTIONAL') = 1
       AND (SELECT count(*) FROM parquet_schema('f_zstd.parquet') WHERE name = 'version' AND type = 'INT32' AND converted_type IS NULL) = 1, ''"
add "SELECT 'no_partition_columns', (SELECT count(*) FROM parquet_schema('f_zstd.parquet') WHERE name IN ('cloud', 'account', 'region')) = 0, ''"
for f in zstd snappy gzip none; do
  C=$(echo $f | tr a-z A-Z); [ $f = none ] && C=UNCOMPRESSED
  add "SELECT 'codec_$f', (SELECT count(*) FROM parquet_metadata('f_$f.parquet') WHERE compression <> '$C') = 0, ''"
done
add "SELECT 'enc_dictionary', (SELECT bool_and(encodings LIKE '%RLE_DICTIONARY%' AND encodings LIKE '%RLE%' AND dictionary_page_offset IS NOT NULL AND dictionary_page_offset < data_page_offset) FROM parquet_metadata('f_zstd.parquet') WHERE path_in_schema IN ('account_id', 'action', 'dstport', 'protocol')), ''"
add "SELECT 'enc_all_null_plain', (SELECT bool_and(encodings = 'PLAIN, RLE' AND dictionary_page_offset IS NULL AND stats_null_count = 5000 AND stats_min_value IS NULL) FROM parquet_metadata('f_zstd.parquet') WHERE path_in_schema = 'subnet_id'), ''"
add "SELECT 'enc_fallback', (SELECT bool_and(dictionary_page_offset IS NOT NULL) FROM parquet_metadata('f_fallback.parquet') WHERE path_in_schema = 'srcaddr'), ''"
add "SELECT 'sizes_include_headers', (SELECT bool_and(total_compressed_size > 0 AND total_uncompressed_size > 0) FROM parquet_metadata('f_none.parquet'))
       AND (SELECT sum(total_compressed_size) FROM parquet_metadata('f_none.parquet')) < (SELECT file_size_bytes FROM parquet_file_metadata('f_none.parquet')), ''"
# statistics per row group = the data's min/max/null count per row group
for c in start srcport srcaddr vpc_id bytes; do
  add "SELECT 'stats_$c', (SELECT count(*) FROM parquet_metadata('f_zstd.parquet') m JOIN
       (SELECT file_row_number // 5000 g, min($c)::VARCHAR mn, max($c)::VARCHAR mx, count(*) - count($c) nc FROM read_parquet('f_zstd.parquet', file_row_number=true) GROUP BY 1) d
       ON m.row_group_id = d.g WHERE m.path_in_schema = '$c' AND m.stats_min_value = d.mn AND m.stats_max_value = d.mx AND m.stats_null_count = d.nc) = 3, ''"
done
# pruning: our fl_pq_rg_stats = DuckDB's per-row-group min/max
add "SELECT 'rg_stats_start', (SELECT count(*) FROM read_csv('st_start.csv', header=false, columns={'g':'INT','n':'BIGINT','mn':'BIGINT','mx':'BIGINT','nc':'BIGINT'}) s JOIN
       (SELECT file_row_number // 5000 g, min(start) mn, max(start) mx FROM read_parquet('f_zstd.parquet', file_row_number=true) GROUP BY 1) d
       ON s.g = d.g AND s.mn = d.mn AND s.mx = d.mx AND s.n = 5000 AND s.nc = 0) = 3
       AND (SELECT count(DISTINCT mn) FROM read_csv('st_start.csv', header=false, columns={'g':'INT','n':'BIGINT','mn':'BIGINT','mx':'BIGINT','nc':'BIGINT'})) = 3, ''"
add "SELECT 'rg_stats_srcaddr', (SELECT count(*) FROM read_csv('st_srcaddr.csv', header=false, columns={'g':'INT','n':'BIGINT','mn':'VARCHAR','mx':'VARCHAR','nc':'BIGINT'}) s JOIN
       (SELECT file_row_number // 5000 g, min(srcaddr) mn, max(srcaddr) mx, count(*) - count(srcaddr) nc FROM read_parquet('f_zstd.parquet', file_row_number=true) GROUP BY 1) d
       ON s.g = d.g AND s.mn = d.mn AND s.mx = d.mx AND s.nc = d.nc) = 3, ''"
add "SELECT 'rg_stats_all_null', (SELECT count(*) FROM read_csv('st_subnet.csv', header=false, columns={'g':'INT','n':'BIGINT','mn':'VARCHAR','mx':'VARCHAR','nc':'BIGINT'}) WHERE mn IS NULL AND nc = 5000) = 3, ''"

D --no-header "CREATE TABLE ref AS SELECT * FROM $J; $q" > checks.csv 2> checks.err || fail duck_checks "$(head -c 800 checks.err)"
while IFS=, read -r name ok detail; do
  if [ "$ok" = true ]; then pass "$name"; else fail "$name" "$detail"; fi
done < checks.csv
n=$(wc -l < checks.csv)
check_eq check_count "$n" 40
