# SPDX-License-Identifier: Apache-2.0
# The first_seen detector's store (src/state/fseen.c: the set as sorted
# chunks in state.db, rewritten in one transaction per run):
#  - reference: new-external-destination day by day over 9 generated days
#    (warm-up 7 d: days 8 and 9 fire), findings and the set recorded; the
#    rule is the shipped one with max_per_run raised so that no finding is
#    held back by the cap (a capped hit becomes a finding in a later run,
#    so under the cap a re-run legitimately adds findings);
#  - idempotence: re-running the last two days (and an overlap) changes
#    neither the findings nor the set;
#  - crash: every day's run is SIGKILLed at a different moment (fractions
#    of its uninterrupted run time), then run
#    again: the same findings and set as the uninterrupted runs, and the set
#    passes fsdump's checks after every kill;
#  - retention: a copy of the rule with retention 2d keeps only keys seen
#    in the last 2 days of its last run (and fewer than the 30d rule);
#  - migration: the set moved back into the legacy one-row-per-key table
#    (first_seen) after day 7 is imported by the next run: same findings
#    and set as without the detour, legacy rows gone;
#  - corruption: a damaged chunk fails the rule with a clear message, the
#    other rules of the run go on.
. "$FL_ROOT/tests/lib.sh"
FSDUMP="$FL_BUILD/tests/tools/fsdump"
RULE=new-external-destination
D0=$(date -u -d 2026-11-10 +%s)
DATA="$FL_TMP/data"
rm -rf "$FL_TMP"/h_* "$DATA" "$FL_TMP/logs"
"$FL" generate --accounts 2 --days 9 --day 2026-11-10 -q --records 90000 --seed 5 --incidents all \
  --out "$FL_TMP/logs" > "$FL_TMP/gen.out" 2>&1
check_eq generate "$?" 0
mkdir -p "$DATA"
FLOWSIFT_HOME="$DATA" "$FL" ingest --quiet "$FL_TMP/logs" > "$FL_TMP/ingest.out" 2>&1
check_eq ingest "$?" 0
RS="$FL_TMP/rules_fs"; rm -rf "$RS"; mkdir -p "$RS"
sed 's/^max_per_run: .*$/max_per_run: 1000000/' "$FL_ROOT/rules/new_external_destination.yaml" > "$RS/r.yaml"
check_eq rule-uncapped "$(grep -c '^max_per_run: 1000000$' "$RS/r.yaml")" 1
# newhome NAME: a home sharing the dataset, with its own state.db
newhome() { mkdir -p "$FL_TMP/h_$1"; ln -s "$DATA/data" "$FL_TMP/h_$1/data"; echo "$FL_TMP/h_$1"; }
# day HOME DAY [RULES]: detect one day
day() {
  FLOWSIFT_HOME="$1" "$FL" detect --rules "${3:-$RS}" --rule $RULE --from $((D0 + $2 * 86400)) \
    --to $((D0 + ($2 + 1) * 86400)) --now $((D0 + ($2 + 1) * 86400))
}
# findings HOME: what a finding is, without row ids and wall-clock times
findings() {
  FLOWSIFT_HOME="$1" "$FL" findings list --rule $RULE --format ndjson | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const o = [];
      for (const l of s.split("\n")) { if (!l) continue; const x = JSON.parse(l);
        delete x.id; delete x.created_at; delete x.updated_at; o.push(JSON.stringify(x)); }
      console.log(o.sort().join("\n")); });'
}
fset() { "$FSDUMP" "$1" "${2:-$RULE}" | sort; }

# ---- reference -------------------------------------------------------------------
R=$(newhome ref)
ok=0
declare -a took  # each day's run time in seconds, for the kill moments below
for d in 0 1 2 3 4 5 6 7 8; do
  t0=$EPOCHREALTIME
  day "$R" $d > "$FL_TMP/ref.out" 2>&1 || ok=1
  took[$d]=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.4f", b - a }')
done
check_eq reference-runs $ok 0
findings "$R" > "$FL_TMP/ref.findings"
fset "$R" > "$FL_TMP/ref.set"
nf=$(wc -l < "$FL_TMP/ref.findings"); ns=$(wc -l < "$FL_TMP/ref.set")
check_eq reference-has-findings "$([ "$nf" -gt 10 ] && echo yes)" yes
check_eq reference-has-set "$([ "$ns" -gt 1000 ] && echo yes)" yes
check_eq warmup-nothing-before-day-8 "$(grep -c '"first_seen":"2026-11-1[0-6]' "$FL_TMP/ref.findings")" 0
check_eq set-is-sound "$("$FSDUMP" "$R" $RULE > /dev/null 2>&1; echo $?)" 0
check_eq set-in-chunks "$(sqlite3 "$R/state.db" "SELECT count(*) > 1 FROM first_seen_chunks WHERE rule = '$RULE'")" 1
check_eq no-legacy-rows "$(sqlite3 "$R/state.db" "SELECT count(*) FROM first_seen")" 0

# ---- idempotence -----------------------------------------------------------------------
FLOWSIFT_HOME="$R" "$FL" detect --rules "$RS" --rule $RULE --from $((D0 + 7 * 86400)) \
  --to $((D0 + 9 * 86400)) --now $((D0 + 9 * 86400)) > /dev/null 2>&1
day "$R" 8 > /dev/null 2>&1
FLOWSIFT_HOME="$R" "$FL" detect --rules "$RS" --rule $RULE --from $((D0 + 8 * 86400 - 7200)) \
  --to $((D0 + 9 * 86400)) --now $((D0 + 9 * 86400)) > /dev/null 2>&1
findings "$R" > "$FL_TMP/rerun.findings"
fset "$R" > "$FL_TMP/rerun.set"
check_file_eq rerun-same-findings "$FL_TMP/rerun.findings" "$FL_TMP/ref.findings"
check_file_eq rerun-same-set "$FL_TMP/rerun.set" "$FL_TMP/ref.set"

# ---- crash: SIGKILL at a different moment of every day's run -----------------------------
K=$(newhome kill)
killed=0 sound=0
# the moments are fractions of that day's uninterrupted run (fixed delays
# missed every run once the runs became faster than the longest delay)
for d in 0 1 2 3 4 5 6 7 8; do
  for frac in 0.15 0.45 0.8; do
    FLOWSIFT_HOME="$K" "$FL" detect --rules "$RS" --rule $RULE --from $((D0 + d * 86400)) \
      --to $((D0 + (d + 1) * 86400)) --now $((D0 + (d + 1) * 86400)) > /dev/null 2>&1 &
    pid=$!
    sleep "$(awk -v f=$frac -v t="${took[$d]}" -v d=$d 'BEGIN { printf "%.4f", f * t + d * 0.001 }')"
    kill -9 $pid 2>/dev/null && killed=$((killed + 1))
    wait $pid 2>/dev/null
    "$FSDUMP" "$K" $RULE > /dev/null 2>&1 || sound=1
  done
  day "$K" $d > /dev/null 2>&1
done
check_eq kills-landed "$([ "$killed" -ge 9 ] && echo yes)" yes
check_eq set-sound-after-every-kill $sound 0
findings "$K" > "$FL_TMP/kill.findings"
fset "$K" > "$FL_TMP/kill.set"
check_file_eq killed-runs-same-findings "$FL_TMP/kill.findings" "$FL_TMP/ref.findings"
check_file_eq killed-runs-same-set "$FL_TMP/kill.set" "$FL_TMP/ref.set"

# ---- retention ----------------------------------------------------------------------------
RD="$FL_TMP/rules_ret"; mkdir -p "$RD"
sed 's/^  retention: 30d$/  retention: 2d/' "$RS/r.yaml" > "$RD/r.yaml"
check_eq retention-rule-edited "$(grep -c 'retention: 2d' "$RD/r.yaml")" 1
RH=$(newhome ret)
for d in 0 1 2 3 4 5 6 7 8; do day "$RH" $d "$RD" > /dev/null 2>&1; done
fset "$RH" > "$FL_TMP/ret.set"
cut_at=$((D0 + 9 * 86400 - 2 * 86400))
check_eq retention-nothing-older "$(awk -F'\t' -v c=$cut_at '$3 < c' "$FL_TMP/ret.set" | wc -l)" 0
check_eq retention-keeps-recent "$([ "$(wc -l < "$FL_TMP/ret.set")" -gt 100 ] && echo yes)" yes
check_eq retention-pruned "$([ "$(wc -l < "$FL_TMP/ret.set")" -lt "$ns" ] && echo yes)" yes
# the 30d set holds exactly the 2d set's keys plus those last seen before the cut
check_eq retention-same-recent-keys "$(awk -F'\t' -v c=$cut_at '$3 >= c' "$FL_TMP/ref.set" | cut -f1 | md5sum)" \
  "$(cut -f1 "$FL_TMP/ret.set" | md5sum)"
check_eq retention-set-sound "$("$FSDUMP" "$RH" $RULE > /dev/null 2>&1; echo $?)" 0

# ---- migration from the legacy table -----------------------------------------------------
M=$(newhome mig)
for d in 0 1 2 3 4 5 6; do day "$M" $d > /dev/null 2>&1; done
fset "$M" | awk -F'\t' -v r=$RULE '{ gsub("\047", "\047\047", $1);
  printf "INSERT INTO first_seen VALUES(\047%s\047, \047%s\047, %s, %s);\n", r, $1, $2, $3 }' > "$FL_TMP/legacy.sql"
n_legacy=$(wc -l < "$FL_TMP/legacy.sql")
{ echo "BEGIN;"; cat "$FL_TMP/legacy.sql"; echo "DELETE FROM first_seen_chunks; COMMIT;"; } | sqlite3 "$M/state.db"
check_eq legacy-state-made "$(sqlite3 "$M/state.db" "SELECT count(*) FROM first_seen WHERE rule = '$RULE'")" "$n_legacy"
check_eq legacy-state-no-chunks "$(sqlite3 "$M/state.db" "SELECT count(*) FROM first_seen_chunks")" 0
for d in 7 8; do day "$M" $d > /dev/null 2>&1; done
findings "$M" > "$FL_TMP/mig.findings"
fset "$M" > "$FL_TMP/mig.set"
check_file_eq migrated-same-findings "$FL_TMP/mig.findings" "$FL_TMP/ref.findings"
check_file_eq migrated-same-set "$FL_TMP/mig.set" "$FL_TMP/ref.set"
check_eq migrated-legacy-rows-gone "$(sqlite3 "$M/state.db" "SELECT count(*) FROM first_seen")" 0

# ---- corruption --------------------------------------------------------------------------------
C=$(newhome bad)
cp "$R/state.db" "$C/state.db"
sqlite3 "$C/state.db" "UPDATE first_seen_chunks SET data = substr(data, 1, 20) WHERE rowid = (SELECT min(rowid) FROM first_seen_chunks)"
FLOWSIFT_HOME="$C" "$FL" detect --rules "$FL_ROOT/rules" --from $((D0 + 8 * 86400)) --to $((D0 + 9 * 86400)) \
  --now $((D0 + 9 * 86400)) > "$FL_TMP/bad.out" 2>&1
check_eq corrupt-set-exit "$([ $? -ne 0 ] && echo failed)" failed
check_eq corrupt-set-message "$(grep -c "first-seen set of rule $RULE is corrupt" "$FL_TMP/bad.out")" 1
check_eq corrupt-set-others-run "$(grep -c '^ssh-brute-force ' "$FL_TMP/bad.out")" 1
check_eq corrupt-fsdump-says-so "$("$FSDUMP" "$C" $RULE > /dev/null 2>&1; echo $?)" 1
