# SPDX-License-Identifier: Apache-2.0
# azure_oracle.t.sh - a generated multi-subscription Azure hour (NSG v2 and
# VNet v4 blobs in their blob layouts, `flowsift generate`) ingested with
# `flowsift ingest`, then checked by the DuckDB oracle against two
# independent computations: the generator's own totals (--truth) and DuckDB
# reading the raw PT1H.json blobs itself (read_json + unnest + string_split
# of the tuples): row counts and byte/packet sums per subscription, the top
# talkers, the flows/updates/denies split, and the partition folders.
. "$FL_ROOT/tests/lib.sh"
export FLOWSIFT_HOME=$FL_TMP/home
IN=$FL_TMP/in
"$FL" generate --format azure-nsg --layout azure --records 20000 --accounts 3 --seed 7 --out "$IN/nsg" --truth "$FL_TMP/nsg.json" --quiet
"$FL" generate --format azure-vnet --layout azure --records 20000 --accounts 3 --seed 8 --out "$IN/vnet" --truth "$FL_TMP/vnet.json" --quiet
"$FL" ingest "$IN" --no-enrich >"$FL_TMP/ingest.out" 2>&1
check_eq ingest/exit "$?" 0
DUCK="node $FL_ROOT/tests/tools/duck.mjs --no-header"
DS="read_parquet('$FLOWSIFT_HOME/data/**/*.parquet', hive_partitioning=true)"
# DuckDB's own reading of the raw blobs: one row per tuple.
RAW="(SELECT lower(split_part(rid, '/', 3)) AS account, p[2] AS srcaddr, NULLIF(p[10], '')::BIGINT AS packets, NULLIF(p[11], '')::BIGINT AS bytes, p[9] AS st, p[8] AS dec FROM (
  SELECT rid, string_split(unnest(g.flowTuples), ',') AS p FROM (
  SELECT rid, unnest(f.flows) AS g FROM (
  SELECT r.resourceId AS rid, unnest(r.properties.flows) AS f FROM (
  SELECT unnest(records) AS r FROM read_json('$IN/nsg/**/PT1H.json', maximum_object_size=1000000000)))))
 UNION ALL
 SELECT lower(split_part(tid, '/', 3)), p[2], NULLIF(p[10], '')::BIGINT, NULLIF(p[11], '')::BIGINT, p[8], CASE p[8] WHEN 'D' THEN 'D' ELSE 'A' END FROM (
  SELECT tid, string_split(unnest(g.flowTuples), ',') AS p FROM (
  SELECT tid, unnest(f.flowGroups) AS g FROM (
  SELECT r.targetResourceID AS tid, unnest(r.flowRecords.flows) AS f FROM (
  SELECT unnest(records) AS r FROM read_json('$IN/vnet/**/PT1H.json', maximum_object_size=1000000000))))))"
ours=$($DUCK "SELECT account, count(*), coalesce(sum(bytes),0), coalesce(sum(packets),0) FROM $DS GROUP BY 1 ORDER BY 1" | tr -d '\r')
raw=$($DUCK "SELECT account, count(*), coalesce(sum(bytes),0), coalesce(sum(packets),0) FROM $RAW GROUP BY 1 ORDER BY 1" | tr -d '\r')
check_eq per-subscription "$ours" "$raw"
check_eq subscriptions "$(echo "$ours" | wc -l)" "$(echo "$raw" | wc -l)"
check subscriptions-many test "$(echo "$ours" | wc -l)" -ge 3
# the generator's own totals
tot=$(node -e 'const fs=require("fs"); let r=0,b=0,p=0; for (const f of process.argv.slice(1)) { const t=JSON.parse(fs.readFileSync(f)); r+=t.records; b+=t.bytes; p+=t.packets; } console.log(`${r},${b},${p}`)' "$FL_TMP/nsg.json" "$FL_TMP/vnet.json")
check_eq truth-totals "$($DUCK "SELECT count(*), sum(bytes), sum(packets) FROM $DS" | tr -d '\r')" "$tot"
# top talkers by bytes
q_top="SELECT srcaddr, sum(bytes) AS b FROM %s GROUP BY 1 ORDER BY b DESC NULLS LAST, 1 LIMIT 5"
check_eq top-talkers "$($DUCK "$(printf "$q_top" "$DS")" | tr -d '\r')" "$($DUCK "$(printf "$q_top" "$RAW")" | tr -d '\r')"
# flows (B) / updates (C,E) / denies, and B rows never carry counters
check_eq states "$($DUCK "SELECT sum((flow_state='B')::INT), sum((flow_state IN ('C','E'))::INT), sum((action='REJECT')::INT), sum((flow_state='B' AND bytes IS NOT NULL)::INT) FROM $DS" | tr -d '\r')" \
  "$($DUCK "SELECT sum((st='B')::INT), sum((st IN ('C','E'))::INT), sum((dec='D')::INT), 0 FROM $RAW" | tr -d '\r')"
# partitions: cloud=azure/account=<subscription>/region=.../date=...
check partitions test "$(find "$FLOWSIFT_HOME/data" -type d -path '*cloud=azure/account=*/region=*/date=*' | wc -l)" -ge 3
check vnet-region test "$($DUCK "SELECT count(*) FROM $DS WHERE source_format='azure-vnet' AND region IS NULL" | tr -d '\r')" -eq 0
