#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# azure.sh BUILD - the Azure ingest benchmark (issue 4).
#
# Input: a generated Azure hour set (`flowsift generate`, cached under
# bench/out/azure_<N>/): N NSG v2 tuples and N VNet v4 tuples (default
# N = AZURE_BENCH_RECORDS or 500 000 each), several subscriptions, compact
# PT1H.json blobs in their blob layouts.
# Measured in the same run, BENCH_RUNS times each (default 3), medians:
#   flowsift  `flowsift ingest --no-enrich` of both folders into a fresh
#             dataset (parse + normalize + Parquet zstd), one thread;
#   parse     build/bench/azure_bench: the JSON parse into record batches
#             alone (framer + yajl + tuple normalization);
#   duckdb    DuckDB (@duckdb/node-api, all cores) `read_json` + `unnest` +
#             the same normalization (T/U -> 6/17, I/O, A/D/state D, B and
#             zero-D counters NULL, ms -> s, subscription, rule_name, MAC)
#             COPY'd to one Parquet file (zstd).
# Prints wall and CPU (user + sys; the machine is shared, CPU is the steadier
# figure) medians, MB/s of JSON, records/s, peak RSS, and the ratios
# flowsift / DuckDB (target >= 3x).  Both outputs are cross-checked: same
# row count and sums of bytes/packets (else the run is marked FAILED).
. "$(dirname "$0")/lib.sh"
export FL_ROOT=$PWD
bench_init azure "$@"
AB=$PWD/$BUILD/bench/azure_bench
N=${AZURE_BENCH_RECORDS:-500000}
[ -x "$AB" ] || { echo "azure.sh: build $AB first (make all tools)" >&2; exit 2; }
IN=$OUT/azure_$N
if [ ! -f "$IN/.done" ]; then
  rm -rf "$IN"; mkdir -p "$IN"
  echo "generating $IN (NSG v2 + VNet, $N tuples each)"
  "$FL" generate --format azure-nsg --layout azure --records "$N" --seed 41 --accounts 4 \
    --out "$IN/nsg" --truth "$IN/nsg.truth.json" --quiet || exit 1
  "$FL" generate --format azure-vnet --layout azure --records "$N" --seed 42 --accounts 4 \
    --out "$IN/vnet" --truth "$IN/vnet.truth.json" --quiet || exit 1
  touch "$IN/.done"
fi
MB=$(du -sbL "$IN/nsg" "$IN/vnet" | awk '{s+=$1} END {printf "%.1f", s/1048576}')
W=$OUT/azure_work; rm -rf "$W"; mkdir -p "$W"

# The DuckDB side: read_json + unnest + the documented normalization.
cat >"$W/duck.sql" <<EOF
COPY (
WITH n_r AS (SELECT unnest(records) AS r FROM read_json('$IN/nsg/**/PT1H.json', maximum_object_size=2147483647)),
n_f AS (SELECT r.resourceId AS rid, unnest(r.properties.flows) AS f FROM n_r),
n_g AS (SELECT rid, f.rule AS rule, unnest(f.flows) AS g FROM n_f),
n_t AS (SELECT rid, rule, g.mac AS mac, string_split(unnest(g.flowTuples), ',') AS p FROM n_g),
v_r AS (SELECT unnest(records) AS r FROM read_json('$IN/vnet/**/PT1H.json', maximum_object_size=2147483647)),
v_f AS (SELECT r.flowLogResourceID AS rid, r.targetResourceID AS tid, r.macAddress AS mac, unnest(r.flowRecords.flows) AS f FROM v_r),
v_g AS (SELECT rid, tid, mac, f.aclID AS acl, unnest(f.flowGroups) AS g FROM v_f),
v_t AS (SELECT rid, tid, mac, acl, g.rule AS rule, string_split(unnest(g.flowTuples), ',') AS p FROM v_g)
SELECT 'azure' AS cloud, lower(split_part(rid, '/', 3)) AS account, lower(split_part(rid, '/', 3)) AS account_id,
  split_part(rid, '/', 5) AS resource_group, rid AS resource_id, split_part(rid, '/', 9) AS acl,
  NULL::VARCHAR AS vpc_id, NULL::VARCHAR AS region, upper(replace(mac, '-', '')) AS interface_id,
  rule, regexp_replace(rule, '_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\$', '') AS rule_name,
  p[2] AS srcaddr, p[3] AS dstaddr, p[4]::INTEGER AS srcport, p[5]::INTEGER AS dstport,
  CASE p[6] WHEN 'T' THEN 6 WHEN 'U' THEN 17 ELSE TRY_CAST(p[6] AS BIGINT) END AS protocol,
  CASE p[7] WHEN 'I' THEN 'ingress' ELSE 'egress' END AS flow_direction,
  CASE p[8] WHEN 'A' THEN 'ACCEPT' ELSE 'REJECT' END AS action,
  p[9] AS flow_state, NULL::VARCHAR AS encryption,
  CASE WHEN p[9] IN ('B', 'D') AND p[10] IN ('', '0') THEN NULL ELSE NULLIF(p[10], '')::BIGINT END AS packets,
  CASE WHEN p[9] IN ('B', 'D') AND p[11] IN ('', '0') THEN NULL ELSE NULLIF(p[11], '')::BIGINT END AS bytes,
  CASE WHEN p[9] IN ('B', 'D') AND p[12] IN ('', '0') THEN NULL ELSE NULLIF(p[12], '')::BIGINT END AS packets_rev,
  CASE WHEN p[9] IN ('B', 'D') AND p[13] IN ('', '0') THEN NULL ELSE NULLIF(p[13], '')::BIGINT END AS bytes_rev,
  CASE WHEN length(p[1]) > 11 THEN p[1]::BIGINT // 1000 ELSE p[1]::BIGINT END AS "start",
  CASE WHEN length(p[1]) > 11 THEN p[1]::BIGINT // 1000 ELSE p[1]::BIGINT END AS "end",
  CASE WHEN len(p) = 8 THEN 'azure-nsg-v1' ELSE 'azure-nsg-v2' END AS source_format
FROM n_t
UNION ALL
SELECT 'azure', lower(split_part(tid, '/', 3)), lower(split_part(tid, '/', 3)),
  split_part(tid, '/', 5), rid, acl::VARCHAR, split_part(tid, '/', 9),
  lower(regexp_extract(rid, 'NETWORKWATCHER_([A-Za-z0-9]+)', 1)), upper(mac),
  rule, regexp_replace(rule, '_[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\$', ''),
  p[2], p[3], p[4]::INTEGER, p[5]::INTEGER, p[6]::BIGINT,
  CASE p[7] WHEN 'I' THEN 'ingress' ELSE 'egress' END,
  CASE p[8] WHEN 'D' THEN 'REJECT' ELSE 'ACCEPT' END,
  p[8], p[9],
  CASE WHEN p[8] IN ('B', 'D') AND p[10] IN ('', '0') THEN NULL ELSE NULLIF(p[10], '')::BIGINT END,
  CASE WHEN p[8] IN ('B', 'D') AND p[11] IN ('', '0') THEN NULL ELSE NULLIF(p[11], '')::BIGINT END,
  CASE WHEN p[8] IN ('B', 'D') AND p[12] IN ('', '0') THEN NULL ELSE NULLIF(p[12], '')::BIGINT END,
  CASE WHEN p[8] IN ('B', 'D') AND p[13] IN ('', '0') THEN NULL ELSE NULLIF(p[13], '')::BIGINT END,
  CASE WHEN length(p[1]) > 11 THEN p[1]::BIGINT // 1000 ELSE p[1]::BIGINT END,
  CASE WHEN length(p[1]) > 11 THEN p[1]::BIGINT // 1000 ELSE p[1]::BIGINT END,
  'azure-vnet'
FROM v_t
) TO '$W/duck.parquet' (FORMAT parquet, COMPRESSION zstd);
EOF

col() { awk -v c="$2" '{print $c}' "$W/$1.times" | bench_median; }

ok=1
for ((i = 0; i < RUNS; i++)); do
  rm -rf "$W/home"
  FLOWSIFT_HOME=$W/home bench_timed "$W/flowsift.times" "$FL" ingest --no-enrich --quiet "$IN/nsg" "$IN/vnet" || ok=0
  bench_timed "$W/parse.times" "$AB" --runs 1 "$IN/nsg" "$IN/vnet" || ok=0
  rm -f "$W/duck.parquet"
  bench_timed "$W/duckdb.times" $DUCK - <"$W/duck.sql" || ok=0
done

# cross-check: same rows and sums from both Parquet outputs
q() { $DUCK --no-header "SELECT count(*), sum(bytes), sum(packets), sum(bytes_rev), count(DISTINCT account) FROM $1" | tr -d '\r'; }
ours=$(q "read_parquet('$W/home/data/**/*.parquet', hive_partitioning=true)")
theirs=$(q "read_parquet('$W/duck.parquet')")
rows=$(echo "$ours" | cut -d, -f1)
echo "check: flowsift [$ours] duckdb [$theirs]"
[ "$ours" = "$theirs" ] || { echo "azure.sh: flowsift and DuckDB disagree"; ok=0; }

fw=$(col flowsift 1); fc=$(col flowsift 2); fr=$(col flowsift 3)
pw=$(col parse 1); pc=$(col parse 2); pr=$(col parse 3)
dw=$(col duckdb 1); dc=$(col duckdb 2); dr=$(col duckdb 3)
report() { # name wall cpu rss
  awk -v n="$1" -v w="$2" -v c="$3" -v r="$4" -v mb="$MB" -v rows="$rows" 'BEGIN {
    printf "%-28s wall %7.2f s  cpu %7.2f s  %7.1f MB/s  %9.0f rec/s (wall)  %7.1f MB/s (cpu)  peak %6.1f MB\n",
      n, w, c, mb / w, rows / w, mb / c, r / 1024 }'
}
echo "Azure ingest benchmark: $MB MB of PT1H.json, $rows tuples (NSG v2 + VNet), $RUNS runs, medians"
report "flowsift ingest (1 thread)" "$fw" "$fc" "$fr"
report "flowsift parse only" "$pw" "$pc" "$pr"
report "duckdb read_json+unnest" "$dw" "$dc" "$dr"
awk -v fw="$fw" -v fc="$fc" -v dw="$dw" -v dc="$dc" 'BEGIN {
  printf "ratio flowsift/duckdb: %.2fx wall, %.2fx cpu (target >= 3x)\n", dw / fw, dc / fc }'
bench_row azure "flowsift ingest" "$fw" - - "$(awk -v r="$rows" -v w="$fw" 'BEGIN{printf "%.0f", r/w}')" "$(awk -v r="$fr" 'BEGIN{printf "%.1f", r/1024}')" "$MB MB JSON"
bench_row azure "duckdb read_json" "$dw" - - "$(awk -v r="$rows" -v w="$dw" 'BEGIN{printf "%.0f", r/w}')" "$(awk -v r="$dr" 'BEGIN{printf "%.1f", r/1024}')" "ratio $(awk -v a="$dw" -v b="$fw" 'BEGIN{printf "%.2f", a/b}')x"
[ "$ok" = 1 ]
