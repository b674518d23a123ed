#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# demo.sh BUILD - the main job end to end on generated, realistic data, in a
# fresh demo home (./demo-data, wiped first).  Every step runs the real
# program on the real data; nothing printed here is canned.  The script grows
# with the product: steps whose command is not in `flowsift --help` yet are
# skipped with a note.
#   1. generate a day of AWS VPC flow logs in the S3 layout for 2 accounts,
#      with planted incidents (scan, brute force, exfil, beacon, ...) (and, when ingest exists, the same day as Azure NSG + VNet blobs and
#      GCP LogEntry files, so the dataset is multi-cloud);
#   2. flowsift cat --stats over the AWS objects + a sample of normalized
#      records as a table;
#   3. flowsift ingest into $FLOWSIFT_HOME=./demo-data, the partitions, the
#      Athena DDL;
#   4. flowsift query: top talkers, denied flows by rule, egress by country;
#   5. flowsift detect over the day and `flowsift findings summary` (the
#      planted incidents listed in step 1 should be among the findings);
#   6. flowsift report compliance for the day (a demo policy of approved
#      countries is written to demo-data/flowsift.yaml first);
#   7. the dashboard: prints the `flowsift serve` command and, when stdin and
#      stdout are a terminal and FL_DEMO_SERVE is not 0, runs it in the
#      foreground (never in CI: non-interactive runs end after step 6).
set -eu
cd "$(dirname "$0")/.."
BUILD=${1:-build}
FL=$PWD/$BUILD/flowsift
[ -x "$FL" ] || { echo "demo: $FL not built (run make demo)" >&2; exit 2; }
export FLOWSIFT_HOME=$PWD/demo-data
DAY=${DEMO_DAY:-2026-11-20}
RECORDS=${DEMO_RECORDS:-300000}
LOGS=$FLOWSIFT_HOME/logs
has() { "$FL" --help | grep -qE "^  $1 "; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*" | sed "s#$PWD/##g"; "$@"; }
t0=$SECONDS

rm -rf "$FLOWSIFT_HOME"
mkdir -p "$LOGS"

step "1. generate one day ($DAY) of AWS VPC flow logs, S3 layout, 2 accounts"
run "$FL" generate --layout s3 --accounts 2 --records "$RECORDS" --gzip --gzip-level 1 \
  --day "$DAY" --seed 42 --incidents all --truth "$FLOWSIFT_HOME/aws-truth.json" --out "$LOGS/aws"
echo "planted incidents (from the truth file, for the questions below):"
node -e 'for (const i of JSON.parse(require("fs").readFileSync(process.argv[1])).incidents)
  console.log(`  ${i.kind.padEnd(10)} ${i.srcaddr} -> ${i.dstaddr} port ${i.dstport || "many"}, ${i.records} records`)' \
  "$FLOWSIFT_HOME/aws-truth.json" 2>/dev/null || true
echo "objects: $(find "$LOGS/aws" -type f | wc -l); first keys:"
{ find "$LOGS/aws" -type f | sort | head -3 | sed "s#$LOGS/aws/##"; } || true

if has ingest; then
  step "1b. the same day for Azure (NSG v2 + VNet v4 blobs) and GCP (LogEntry JSON)"
  run "$FL" generate --format azure-nsg --layout azure --accounts 2 --records $((RECORDS / 6)) \
    --day "$DAY" --seed 42 --out "$LOGS/azure-nsg"
  run "$FL" generate --format azure-vnet --layout azure --accounts 2 --records $((RECORDS / 6)) \
    --day "$DAY" --seed 43 --out "$LOGS/azure-vnet"
  run "$FL" generate --format gcp --layout gcs --accounts 2 --records $((RECORDS / 6)) \
    --day "$DAY" --seed 44 --out "$LOGS/gcp"
fi

step "2. flowsift cat --stats (per-input lines elided, totals shown)"
"$FL" cat --stats "$LOGS/aws" 2>"$FLOWSIFT_HOME/cat-stats.txt" >/dev/null || true
echo "\$ flowsift cat --stats demo-data/logs/aws > /dev/null"
grep -E '^(total|inputs)' "$FLOWSIFT_HOME/cat-stats.txt" || tail -5 "$FLOWSIFT_HOME/cat-stats.txt"

step "2b. a sample of normalized records"
run "$FL" cat --format table --limit 12 \
  --columns account_id,region,interface_id,srcaddr,dstaddr,srcport,dstport,protocol,packets,bytes,start,action,log_status \
  "$LOGS/aws"

if has ingest; then
  step "3. ingest the multi-cloud day into \$FLOWSIFT_HOME=demo-data"
  "$FL" ingest "$LOGS" >"$FLOWSIFT_HOME/ingest.txt" 2>&1 || echo "(ingest exited with status $?)"
  echo "\$ flowsift ingest demo-data/logs   # $(grep -vc '^total' "$FLOWSIFT_HOME/ingest.txt") per-object lines elided"
  grep -iE '^(total|failed)|failed' "$FLOWSIFT_HOME/ingest.txt" | head -20 || tail -5 "$FLOWSIFT_HOME/ingest.txt"
  step "3b. partitions"
  (cd "$FLOWSIFT_HOME" && find data -name '*.parquet' -printf '%h\n' | sort | uniq -c)
  if has ddl; then
    step "3c. external-table DDL for Athena"
    run "$FL" ddl --engine athena --location s3://my-flowlogs-bucket/flowsift || true
  fi
  if has query; then
    step "4a. top talkers"
    run "$FL" query "SELECT srcaddr, dstaddr, sum(bytes) AS total_bytes, count(*) AS records FROM flows GROUP BY srcaddr, dstaddr ORDER BY total_bytes DESC LIMIT 10" || true
    step "4b. denied flows by rule"
    run "$FL" query "SELECT cloud, rule, count(*) AS denied, count(DISTINCT srcaddr) AS sources, count(DISTINCT dstport) AS ports FROM flows WHERE action = 'REJECT' GROUP BY cloud, rule ORDER BY denied DESC LIMIT 12" || true
    step "4c. egress by destination country"
    run "$FL" query "SELECT dst_country, sum(bytes) AS egress_bytes, count(DISTINCT dstaddr) AS destinations FROM flows WHERE flow_direction = 'egress' AND dst_scope = 'public' GROUP BY dst_country ORDER BY egress_bytes DESC LIMIT 10" || true
  else
    echo; echo "(flowsift query not available yet: skipping the questions)"
  fi
  if has detect && [ -d rules ]; then
    step "5. detections over the day (rule pack in rules/), then the findings"
    run "$FL" detect --rules rules --from "$DAY" --to "$(date -u -d "$DAY + 1 day" +%F)" \
      --now "$(date -u -d "$DAY + 1 day" +%F)" --quiet || true
    if has findings; then
      run "$FL" findings summary --limit 8 || true
    fi
  fi
else
  echo; echo "(flowsift ingest not available yet: the dataset steps are skipped)"
fi
if has ingest && has report; then
  step "6. the compliance report for the day (egress outside the approved countries)"
  # a demo policy; your own goes in \$FLOWSIFT_HOME/flowsift.yaml (docs/config.md)
  printf 'policy:\n  approved_countries: [US, CA, GB, IE, DE, FR, NL, CH, SE, JP]\n' >"$FLOWSIFT_HOME/flowsift.yaml"
  run "$FL" report compliance --date "$DAY" --out "$FLOWSIFT_HOME/reports" || true
fi
echo; echo "demo finished in $((SECONDS - t0)) s; everything is under ./demo-data"
if has serve; then
  step "7. the dashboard"
  echo "see it with:  ./$BUILD/flowsift serve --home demo-data     then open http://127.0.0.1:8080/"
  # Only on a terminal: `make demo` in CI (stdin not a terminal) still ends.
  if [ -t 0 ] && [ -t 1 ] && [ "${FL_DEMO_SERVE:-1}" != 0 ]; then
    echo "starting it now (Ctrl-C stops it; FL_DEMO_SERVE=0 make demo skips this)"
    "$FL" serve --home "$FLOWSIFT_HOME" ||
      echo "(serve exited: is port 8080 taken?  ./$BUILD/flowsift serve --home demo-data --listen 127.0.0.1:8081)"
  fi
fi
