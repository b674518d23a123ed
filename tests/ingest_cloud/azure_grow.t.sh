# SPDX-License-Identifier: Apache-2.0
# azure_grow.t.sh - a PT1H.json blob grows the way Azure writes it (the
# 12-byte `{"records":[` block and the 2-byte `]}` block first, then one block
# per minute inserted before `]}`, blocks after the first starting with ','),
# and `flowsift ingest` runs after every step, including a read that catches
# a block half-written.  After each run the dataset (read by DuckDB, the
# independent oracle) holds exactly the tuples written so far: no duplicate,
# none lost, the half-written record not counted as rejected.
. "$FL_ROOT/tests/lib.sh"
export FLOWSIFT_HOME=$FL_TMP/home
SUB=0a0a0a0a-1111-2222-3333-444444444444
DIR="$FL_TMP/in/insights-logs-networksecuritygroupflowevent/resourceId=/SUBSCRIPTIONS/${SUB^^}/RESOURCEGROUPS/GROW-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/GROW-NSG/y=2024/m=05/d=01/h=10/m=00/macAddress=000D3A000001"
mkdir -p "$DIR"
BLOB=$DIR/PT1H.json
# block MINUTE NTUPLES: one compact NSG v2 record; tuples carry C deltas of
# 1 packet and MINUTE*100+i bytes so sums identify every tuple.
block() {
  node -e '
    const m = +process.argv[1], n = +process.argv[2];
    const t = [];
    for (let i = 0; i < n; i++) t.push(`${1714557600 + m * 60 + i},10.0.0.4,203.0.113.${m},${40000 + i},443,T,O,A,C,1,${m * 100 + i},1,1`);
    const r = {time: "2024-05-01T10:00:00Z", category: "NetworkSecurityGroupFlowEvent",
      resourceId: "/SUBSCRIPTIONS/'"${SUB^^}"'/RESOURCEGROUPS/GROW-RG/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/GROW-NSG",
      operationName: "NetworkSecurityGroupFlowEvents",
      properties: {Version: 2, flows: [{rule: "DefaultRule_AllowInternetOutBound", flows: [{mac: "000D3A000001", flowTuples: t}]}]}};
    process.stdout.write(JSON.stringify(r));' "$1" "$2"
}
q() {
  if ! find "$FLOWSIFT_HOME/data" -name '*.parquet' 2>/dev/null | grep -q .; then echo "0,0,0,0"; return; fi
  node "$FL_ROOT/tests/tools/duck.mjs" --no-header "SELECT count(*), count(DISTINCT source_offset), coalesce(sum(bytes),0), count(DISTINCT account) FROM read_parquet('$FLOWSIFT_HOME/data/**/*.parquet', hive_partitioning=true)" 2>&1 | tr -d '\r'
}
ingest() { "$FL" ingest "$FL_TMP/in" >"$FL_TMP/ingest.$1.out" 2>&1; echo $?; }
body=""          # the committed blocks
write_blob() { printf '{"records":[%s]}' "$body" >"$BLOB"; }

write_blob
check_eq step0/exit "$(ingest 0)" 0
want_rows=0; want_bytes=0
for m in 1 2 3; do
  n=$((m * 2))
  b=$(block $m $n)
  [ -n "$body" ] && b=",$b"
  # a reader catches the blob mid-append: half the block, no closing ]}
  printf '{"records":[%s%s' "$body" "${b:0:$((${#b} / 2))}" >"$BLOB"
  check_eq step$m/partial-exit "$(ingest p$m)" 0
  r=$(q)
  check_eq step$m/partial-dataset "$r" "$want_rows,$want_rows,$want_bytes,$([ $want_rows -gt 0 ] && echo 1 || echo 0)"
  check_eq step$m/partial-no-reject "$(grep -c 'rejected=[1-9]' "$FL_TMP/ingest.p$m.out")" 0
  # the block committed
  body="$body$b"
  write_blob
  check_eq step$m/exit "$(ingest $m)" 0
  want_rows=$((want_rows + n))
  for ((i = 0; i < n; i++)); do want_bytes=$((want_bytes + m * 100 + i)); done
  check_eq step$m/dataset "$(q)" "$want_rows,$want_rows,$want_bytes,1"
done
# an unchanged blob adds nothing
check_eq rerun/exit "$(ingest again)" 0
check_eq rerun/dataset "$(q)" "$want_rows,$want_rows,$want_bytes,1"
check_eq account "$(node "$FL_ROOT/tests/tools/duck.mjs" --no-header "SELECT DISTINCT account FROM read_parquet('$FLOWSIFT_HOME/data/**/*.parquet', hive_partitioning=true)" | tr -d '\r')" "$SUB"

# The generator's growing blobs (`flowsift generate --grow-steps`): many
# blobs at once, each step copied over a live folder and ingested; after
# each step the dataset holds exactly what a fresh read of the snapshot
# holds (flowsift cat over the step folder), and after the last step the
# generator's own total.  No (object, offset) twice.
export FLOWSIFT_HOME=$FL_TMP/home2
G=$FL_TMP/gen
"$FL" generate --format azure-vnet --layout azure --records 3000 --accounts 2 --grow-steps 3 \
  --out "$G" --truth "$FL_TMP/gen.truth.json" --quiet
mkdir -p "$FL_TMP/live"
for k in 01 02 03; do
  cp -r "$G/step$k/." "$FL_TMP/live/"
  check_eq gen-step$k/exit "$("$FL" ingest "$FL_TMP/live" --no-enrich >"$FL_TMP/gen.$k.out" 2>&1; echo $?)" 0
  want=$( (cd "$G/step$k" && "$FL" cat . --columns start) | wc -l)
  got=$(node "$FL_ROOT/tests/tools/duck.mjs" --no-header "SELECT count(*) || ',' || count(DISTINCT (source_object, source_offset)) FROM read_parquet('$FLOWSIFT_HOME/data/**/*.parquet', hive_partitioning=true)" | tr -d '\r"')
  check_eq gen-step$k/dataset "$got" "$want,$want"
done
check gen-resumed grep -q 'resumed' "$FL_TMP/gen.02.out"
check_eq gen-truth "$want" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1])).records)' "$FL_TMP/gen.truth.json")"
