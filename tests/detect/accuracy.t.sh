# SPDX-License-Identifier: Apache-2.0
# Accuracy of the default pack on generated data: a realistic background
# (flowsift generate) with every kind of planted incident (--incidents all:
# vertical scan, sweep, SSH brute force, admin-port session, exfil, beacon,
# outbound flood), ingested, detected with the shipped rules, scored against
# the truth file (tests/data/detect/score.mjs).  Checks recall 1.0, overall
# precision >= 0.95, and that a second run on fresh state gives the same
# findings.  Sizes: FL_ACC_RECORDS (default 100000) per day, FL_ACC_DAYS
# (default 1); the benchmark runs it bigger (e.g. 7 days of 1.5 M records).
. "$FL_ROOT/tests/lib.sh"
REC=${FL_ACC_RECORDS:-100000}
DAYS=${FL_ACC_DAYS:-1}
DAY=${FL_ACC_DAY:-2026-11-20}
export FLOWSIFT_HOME="$FL_TMP/home"
rm -rf "$FLOWSIFT_HOME" "$FL_TMP/logs"
"$FL" generate --layout s3 --accounts 2 --records "$REC" --days "$DAYS" --day "$DAY" --seed 42 \
  --incidents all --truth "$FL_TMP/truth.json" --out "$FL_TMP/logs" > "$FL_TMP/gen.out" 2>&1
check_eq generate "$?" 0
"$FL" ingest "$FL_TMP/logs" > "$FL_TMP/ingest.out" 2>&1
check_eq ingest "$?" 0
from=$(node -e 'console.log(Date.parse(process.argv[1] + "T00:00:00Z") / 1000)' "$DAY")
to=$((from + DAYS * 86400))
t0=$(date +%s%N)
"$FL" detect --rules "$FL_ROOT/rules" --from "$from" --to "$to" --now "$to" > "$FL_TMP/detect.out" 2>&1
check_eq detect "$?" 0
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
"$FL" findings list --format ndjson > "$FL_TMP/f1.ndjson"
node "$FL_ROOT/tests/data/detect/score.mjs" "$FL_TMP/truth.json" "$FL_TMP/f1.ndjson" > "$FL_TMP/score.out"
sed 's/^/BENCH accuracy: /' "$FL_TMP/score.out" | head -40
echo "BENCH accuracy: detect over $DAYS day(s) x $REC records: ${ms} ms"
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
