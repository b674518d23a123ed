# SPDX-License-Identifier: Apache-2.0
# Accuracy of the default pack on generated data: a realistic multi-account,
# multi-cloud background (flowsift generate: AWS VPC in the S3 layout, GCP
# LogEntry files, Azure NSG blobs) with the benign look-alikes that fool
# naive rules (--benign all: nightly backups to object storage, Monday batch
# peaks, package mirrors / CDN with a patch day, the internal vulnerability
# scanner, bastion admin access, health pollers and agents, NTP/DNS
# regularity) and every kind of planted incident (--incidents all, AWS:
# vertical scan, sweep, SSH brute force, admin-port session, exfil, beacon,
# outbound flood), ingested, detected with the shipped rules under the
# policy an operator would write (known_scanners, approved_egress_cidrs:
# taken from the truth's benign list), scored against the truth files
# (tests/data/detect/score.mjs: precision/recall per rule, false positives
# by benign shape).  Checks recall 1.0, overall precision >= 0.95, that
# every benign shape was generated and that a second run on fresh state gives
# the same findings.  Sizes: FL_ACC_RECORDS (default 100000) AWS records in
# all (GCP and Azure get a quarter each), FL_ACC_DAYS (default 1),
# FL_ACC_SEED (default 42: AWS seed; GCP +2, Azure +1); `make bench-detect`
# runs 7 days.
. "$FL_ROOT/tests/lib.sh"
REC=${FL_ACC_RECORDS:-100000}
DAYS=${FL_ACC_DAYS:-1}
DAY=${FL_ACC_DAY:-2026-11-20}
SEED=${FL_ACC_SEED:-42}
export FLOWSIFT_HOME="$FL_TMP/home"
rm -rf "$FLOWSIFT_HOME" "$FL_TMP/logs"
mkdir -p "$FLOWSIFT_HOME"
G() { "$FL" generate --accounts 2 --days "$DAYS" --day "$DAY" -q "$@"; }
G --layout s3 --records "$REC" --seed "$SEED" --incidents all --benign all \
  --truth "$FL_TMP/truth.json" --out "$FL_TMP/logs/aws" > "$FL_TMP/gen.out" 2>&1
check_eq generate "$?" 0
G --format gcp --layout gcs --records $((REC / 4)) --seed $((SEED + 2)) --benign all \
  --truth "$FL_TMP/truth-gcp.json" --out "$FL_TMP/logs/gcp" >> "$FL_TMP/gen.out" 2>&1
check_eq generate-gcp "$?" 0
G --format azure-nsg --layout azure --records $((REC / 4)) --seed $((SEED + 1)) --benign all \
  --truth "$FL_TMP/truth-azure.json" --out "$FL_TMP/logs/azure" >> "$FL_TMP/gen.out" 2>&1
check_eq generate-azure "$?" 0
TRUTHS="$FL_TMP/truth.json,$FL_TMP/truth-gcp.json,$FL_TMP/truth-azure.json"
# the operator's policy: the vulnerability scanners and the approved egress
# targets (object storage, the partner endpoint) named in the truth
node -e '
  const t = process.argv[1].split(",").map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  const b = t.flatMap((x) => x.benign || []);
  const u = (a) => [...new Set(a)].sort();
  console.log("policy:");
  console.log("  known_scanners: [" + u(b.filter((x) => x.known_scanner).map((x) => x.known_scanner)).join(", ") + "]");
  console.log("  approved_egress_cidrs: [" + u(b.filter((x) => x.approved_egress).map((x) => x.approved_egress)).join(", ") + "]");
' "$TRUTHS" > "$FLOWSIFT_HOME/flowsift.yaml"
check_eq policy "$(grep -c '/' "$FLOWSIFT_HOME/flowsift.yaml")" 2
shapes=$(node -e '
  const t = process.argv[1].split(",").map((f) => JSON.parse(require("fs").readFileSync(f, "utf8")));
  const k = new Set(t.flatMap((x) => (x.benign || []).filter((b) => b.records > 0).map((b) => b.kind)));
  console.log([...k].sort().join(","))' "$TRUTHS")
check_eq benign-shapes-generated "$shapes" "backup,bastion,batch,health,mirror,ntp-dns,scanner"
"$FL" ingest "$FL_TMP/logs" > "$FL_TMP/ingest.out" 2>&1
check_eq ingest "$?" 0
from=$(node -e 'console.log(Date.parse(process.argv[1] + "T00:00:00Z") / 1000)' "$DAY")
to=$((from + DAYS * 86400))
t0=$(date +%s%N)
"$FL" detect --rules "$FL_ROOT/rules" --from "$from" --to "$to" --now "$to" > "$FL_TMP/detect.out" 2>&1
check_eq detect "$?" 0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
"$FL" findings list --format ndjson > "$FL_TMP/f1.ndjson"
node "$FL_ROOT/tests/data/detect/score.mjs" "$TRUTHS" "$FL_TMP/f1.ndjson" > "$FL_TMP/score.out"
sed 's/^/BENCH accuracy: /' "$FL_TMP/score.out" | head -60
echo "BENCH accuracy: detect over $DAYS day(s), $REC AWS records (+ GCP, Azure, benign, planted: $(grep -o 'records read [0-9]*' "$FL_TMP/ingest.out" | tail -1)): ${ms} ms"
sum=$(tail -1 "$FL_TMP/score.out")
rec=$(echo "$sum" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log(o.incidents+" "+o.found)})')
check_eq recall-all-planted "$rec" "7 7"
prec=$(echo "$sum" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).precision>=0.95?"ok":"low "+JSON.parse(s).precision))')
check_eq precision-at-least-0.95 "$prec" ok
# reproducible: fresh state, same findings (ids, entities, counts, severities)
rm -f "$FLOWSIFT_HOME"/state.db*
"$FL" detect --rules "$FL_ROOT/rules" --from "$from" --to "$to" --now "$to" > /dev/null 2>&1
"$FL" findings list --format ndjson > "$FL_TMP/f2.ndjson"
check_file_eq reproducible "$FL_TMP/f2.ndjson" "$FL_TMP/f1.ndjson"
# the summary the demo prints: every planted kind's rule among the top findings
"$FL" findings summary --limit 10 > "$FL_TMP/summary.out" 2>&1
check_eq summary-exit "$?" 0
for r in beaconing scan-vertical scan-horizontal exfil-egress ssh-brute-force outbound-flood admin-port-exposed; do
  grep -q "] $r " "$FL_TMP/summary.out" && pass "summary-top-$r" || fail "summary-top-$r" "$(head -c 300 "$FL_TMP/summary.out")"
done
grep -q '^[0-9]* findings: [0-9]* critical, [0-9]* high' "$FL_TMP/summary.out" && pass summary-by-severity || fail summary-by-severity
