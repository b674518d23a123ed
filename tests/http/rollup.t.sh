#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# rollup.t.sh - the hourly rollups behind the dashboard's panel API
# (src/pipeline/rollup.c, docs/api.md): over a dataset of generated AWS
# (2 days) and Azure NSG records (rule names, denies) plus hand-written
# lines with NULL counters and addresses, every panel answered from rollups
# (?source=rollup) is byte-identical to the same panel answered by SQL
# (?source=raw) for several ranges and filters, and the default path uses
# the rollups (X-Flowsift-Source).  Then: a range that is not hour-aligned
# falls back to SQL; a deleted or corrupt sidecar falls back to SQL and the
# answer stays right; compaction merges the sidecars (still rollups, still
# equal); re-ingest of a changed object (rewritten files) falls back to SQL
# where it must and stays exact; prune leaves no orphan sidecars; the
# sidecars live outside data/ (DuckDB over data/ and `flowsift ddl` see only
# flows); GET /api/health equals `flowsift health --format json`.
. "$FL_ROOT/tests/lib.sh"
. "$FL_ROOT/tests/http/server.sh"
H=$FL_TMP/home
export FLOWSIFT_HOME=$H
T0=1795132800 # 2026-11-20 00:00 UTC
"$FL" generate --records 20000 --days 2 --day 2026-11-19 --seed 3 --out "$FL_TMP/aws.log" >/dev/null 2>&1 || fail generate "aws"
"$FL" generate --records 3000 --format azure-nsg --layout azure --seed 4 --out "$FL_TMP/az" >/dev/null 2>&1 || fail generate "azure"
{
  echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
  for m in $(seq 0 7 300); do s=$((T0 + m * 60)); echo "2 111122223333 eni-aaa 10.0.0.5 8.8.8.8 40000 443 6 10 1000 $s $((s + 60)) ACCEPT OK"; done
  for m in 30 90 200; do s=$((T0 + m * 60)); echo "2 111122223333 eni-aaa - - - - - - - $s $((s + 60)) - SKIPDATA"; done
  s=$((T0 + 600)); echo "2 111122223333 eni-aaa 10.0.0.6 1.1.1.1 40000 53 17 - - $s $((s + 60)) REJECT OK"
} >"$FL_TMP/plant.log"
# two ingest runs of the AWS day pair: two files per partition (compaction merges them)
head -n 10001 "$FL_TMP/aws.log" >"$FL_TMP/aws1.log"
{ head -n 1 "$FL_TMP/aws.log"; tail -n +10002 "$FL_TMP/aws.log"; } >"$FL_TMP/aws2.log"
"$FL" ingest "$FL_TMP/aws1.log" >"$FL_TMP/ingest.out" 2>&1 || fail ingest "$(tail -3 "$FL_TMP/ingest.out")"
"$FL" ingest "$FL_TMP/aws2.log" "$FL_TMP/az" "$FL_TMP/plant.log" >"$FL_TMP/ingest.out" 2>&1 || fail ingest "$(tail -3 "$FL_TMP/ingest.out")"

NROLL=$(find "$H/rollup" -name '*.roll' | wc -l)
NDATA=$(find "$H/data" -name '*.parquet' | wc -l)
check_eq sidecar_per_file "$NROLL" "$NDATA"
check_eq no_sidecar_in_data "$(find "$H/data" -name '*.roll*' | wc -l)" 0

FLOWSIFT_NOW=1795300000 start_server "$FL_TMP/s.out" --home "$H" || fail start "$(cat "$FL_TMP/s.out")"
B=http://127.0.0.1:$PORT
get() { curl -s -m 60 -D "$FL_TMP/hdr" "$B$1"; }
src() { tr -d '\r' <"$FL_TMP/hdr" | sed -n 's/^X-Flowsift-Source: //Ip'; }

ACCT=$(get "/api/query?q=SELECT%20account%20FROM%20flows%20WHERE%20cloud%3D%27azure%27%20LIMIT%201" | node -e 'console.log(JSON.parse(require("fs").readFileSync(0,"utf8")).rows[0][0])')
RANGES=("" "from=$T0&to=$((T0 + 7200))" "from=2026-11-19&to=2026-11-20" "from=$((T0 - 3600))&to=$((T0 + 86400))&limit=3"
        "cloud=azure" "cloud=aws&account=111122223333" "account=$ACCT&limit=1000" "from=$((T0 + 40 * 86400))&to=$((T0 + 41 * 86400))")
compare() { # label query panel
  local raw roll
  raw=$(get "/api/$3?$2${2:+&}source=raw"); local rs; rs=$(src)
  roll=$(get "/api/$3?$2${2:+&}source=rollup"); local os; os=$(src)
  if [ "$rs" != sql ] || [ "$os" != rollup ]; then fail "$1" "sources raw=$rs rollup=$os: $(head -c 200 <<<"$roll")"; return; fi
  check_eq "$1" "$roll" "$raw"
}
for p in traffic top-talkers denied-by-rule egress-by-country flow-types; do
  for i in "${!RANGES[@]}"; do compare "same_${p}_$i" "${RANGES[$i]}" "$p"; done
  get "/api/$p" >/dev/null
  check_eq "auto_uses_rollup_$p" "$(src)" rollup
done
# the comparisons are not vacuous
check "traffic_nonempty" bash -c "[ \$(curl -s '$B/api/traffic?source=rollup' | grep -o '\],\[' | wc -l) -gt 40 ]"
check "denied_has_rules" bash -c "curl -s '$B/api/denied-by-rule?source=rollup&cloud=azure' | grep -q '\"rows\":\[\[\"[A-Za-z]'"
check "null_bytes_row" bash -c "curl -s '$B/api/top-talkers?source=rollup&limit=1000&account=111122223333' | grep -q '\"10.0.0.6\",null,1'"
check "egress_nonempty" bash -c "curl -s '$B/api/egress-by-country?source=rollup' | grep -q '\"US\"'"

# not hour-aligned: SQL (and ?source=rollup says it cannot)
get "/api/traffic?from=$((T0 + 1))&to=$((T0 + 7200))" >/dev/null
check_eq unaligned_falls_back "$(src)" sql
check_eq unaligned_rollup_409 "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/traffic?from=$((T0 + 1))&source=rollup")" 409
check_eq bad_source 400 "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/traffic?source=x")"

# a missing or corrupt sidecar: SQL, same numbers
ONE=$(find "$H/rollup" -path '*account=111122223333*' -name '*.roll' | head -1)
WANT=$(get "/api/top-talkers?source=raw&limit=50")
mv "$ONE" "$FL_TMP/saved.roll"
check_eq missing_sidecar_result "$(get "/api/top-talkers?limit=50")" "$WANT"
check_eq missing_sidecar_source "$(src)" sql
get "/api/top-talkers?limit=50&cloud=azure" >/dev/null
check_eq other_partitions_still_rollup "$(src)" rollup
head -c 100 "$FL_TMP/saved.roll" >"$ONE"
check_eq corrupt_sidecar_result "$(get "/api/top-talkers?limit=50")" "$WANT"
check_eq corrupt_sidecar_source "$(src)" sql
cp "$FL_TMP/saved.roll" "$ONE"
get "/api/top-talkers?limit=50" >/dev/null
check_eq restored_sidecar_source "$(src)" rollup

# compaction: the partitions' sidecars are merged, answers unchanged
FILES0=$(find "$H/data" -name '*.parquet' | sort)
BEFORE=$(for p in traffic top-talkers denied-by-rule egress-by-country flow-types; do get "/api/$p?limit=100&source=raw"; done)
"$FL" compact --target-rows 3000 >"$FL_TMP/compact.out" 2>&1 || fail compact "$(cat "$FL_TMP/compact.out")"
check_eq compact_changed_files "$([ "$(find "$H/data" -name '*.parquet' | sort)" != "$FILES0" ] && echo y)" y
AFTER=$(for p in traffic top-talkers denied-by-rule egress-by-country flow-types; do get "/api/$p?limit=100&source=rollup"; done)
check_eq compact_rollup_equal "$AFTER" "$BEFORE"
for p in traffic top-talkers flow-types; do
  get "/api/$p" >/dev/null
  check_eq "compact_auto_rollup_$p" "$(src)" rollup
done
check_eq compact_no_orphans "$(find "$H/rollup" -name '*.roll' | while read -r f; do d=${f#"$H/rollup/"}; d=${d%/*}; n=$(basename "$f" .roll); [ -f "$H/data/$d/$n" ] || echo "$f"; done)" ""
check_eq compact_no_tmp "$(find "$H/rollup" -name '.*' | wc -l)" 0

# a changed object is re-ingested: its rows are rewritten (no sidecar for
# the rewritten files), the answer stays exact
echo "2 111122223333 eni-aaa 10.0.0.7 9.9.9.9 40000 443 6 1 77 $((T0 + 60)) $((T0 + 120)) ACCEPT OK" >>"$FL_TMP/plant.log"
"$FL" ingest "$FL_TMP/plant.log" >"$FL_TMP/ingest2.out" 2>&1 || fail reingest "$(cat "$FL_TMP/ingest2.out")"
for p in traffic top-talkers flow-types; do
  compare_auto=$(get "/api/$p?limit=200&account=111122223333"); s1=$(src)
  check_eq "replaced_exact_$p" "$compare_auto" "$(get "/api/$p?limit=200&account=111122223333&source=raw")"
  [ "$s1" = sql ] || [ "$s1" = rollup ] || fail "replaced_source_$p" "$s1"
done
check "replaced_row_visible" bash -c "curl -s '$B/api/top-talkers?limit=1000&account=111122223333' | grep -q '\"10.0.0.7\",77,1'"
"$FL" compact >/dev/null 2>&1
for p in traffic top-talkers; do
  check_eq "after_recompact_exact_$p" "$(get "/api/$p?limit=200")" "$(get "/api/$p?limit=200&source=raw")"
done

# the sidecars are outside what engines read as the flow dataset
N=$("$FL" query --format csv "SELECT count(*) FROM flows" | tail -1)
check_eq duckdb_sees_flows "$(node "$FL_ROOT/tests/tools/duck.mjs" "SELECT count(*) FROM read_parquet('$H/data/**/*.parquet', hive_partitioning=true)" | tail -1)" "$N"
check "ddl_location_data" bash -c "'$FL' ddl --engine duckdb | grep -q '/data/' && ! '$FL' ddl --engine duckdb | grep -q /rollup/"

# health over the API = the CLI report
check_eq health_api "$(get "/api/health?from=$T0&to=$((T0 + 86400))")" \
  "$(FLOWSIFT_NOW=1795300000 "$FL" health --from $T0 --to $((T0 + 86400)) --format json)"
check_eq health_bad_from "$(curl -s -o /dev/null -w '%{http_code}' "$B/api/health?from=x")" 400
check_eq health_post "$(curl -s -o /dev/null -w '%{http_code}' -X POST "$B/api/health")" 405

# prune: old partitions go with their sidecars
"$FL" prune --older-than 3d --now 2026-11-23T00:00:00Z >"$FL_TMP/prune.out" 2>&1 || fail prune "$(cat "$FL_TMP/prune.out")"
check_eq prune_no_day19_sidecars "$(find "$H/rollup" -path '*date=2026-11-19*' -name '*.roll' | wc -l)" 0
check "prune_kept_day20" bash -c "find '$H/rollup' -path '*date=2026-11-20*' -name '*.roll' | grep -q ."
check_eq prune_exact "$(get "/api/traffic")" "$(get "/api/traffic?source=raw")"
