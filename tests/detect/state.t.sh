# SPDX-License-Identifier: Apache-2.0
# Findings state: idempotent runs (same findings, updated not duplicated),
# watermarks with lateness (late records inside the lateness are picked up,
# later ones are reported by flow-log-health and counted after an explicit
# re-scan), suppressions (by finding and by CIDR: recorded, kept, not
# reopened), resolve/reopen, the per-rule cap and the output formats.
# Datasets are built with tests/tools/mkdataset from generated NDJSON.
. "$FL_ROOT/tests/lib.sh"
MK="$FL_BUILD/tests/tools/mkdataset"
T0=1714521600   # 2024-05-01T00:00:00Z
R="$FL_TMP/rules"; mkdir -p "$R"
cp "$FL_ROOT/rules/ssh_brute_force.yaml" "$FL_ROOT/rules/admin_port_exposed.yaml" "$FL_ROOT/rules/flow_log_health.yaml" "$R/"
# gen ACCOUNT SRC DST N START STEP PORT: N attempts to DST:PORT
gen() {
  node -e '
    const [acct, src, dst, n, start, step, port] = process.argv.slice(1);
    for (let i = 0; i < +n; i++) console.log(JSON.stringify({cloud: "aws", account: acct, region: "us-east-1",
      account_id: acct, interface_id: "eni-" + acct, srcaddr: src, dstaddr: dst, srcport: 40000 + i,
      dstport: +port, protocol: 6, packets: 10, bytes: 3000, start: +start + i * +step, end: +start + i * +step + 5,
      action: "ACCEPT", log_status: "OK", src_scope: src.startsWith("10.") ? "private" : "public",
      dst_scope: dst.startsWith("10.") ? "private" : "public"}));' "$@"
}
list() { FLOWSIFT_HOME="$1" "$FL" findings list --format ndjson "${@:2}"; }
status_of() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.trim().split("\n")){const o=JSON.parse(l);if(o.id==process.argv[1])console.log(o.status)}})' "$1"; }
field() { node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{for(const l of s.trim().split("\n")){if(!l)continue;const o=JSON.parse(l);if(o.rule===process.argv[1])console.log(o[process.argv[2]])}})' "$1" "$2"; }

# ---- idempotency ------------------------------------------------------------
H="$FL_TMP/h1"; mkdir -p "$H"
gen 111111111111 185.220.101.7 10.0.1.10 30 $((T0 + 3600)) 10 22 > "$FL_TMP/a.ndjson"
"$MK" "$H" "$FL_TMP/a.ndjson" >/dev/null
FLOWSIFT_NOW=$((T0 + 86400)) FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --from $T0 --to $((T0 + 86400)) > "$FL_TMP/run1" 2>&1
check_eq run1-exit "$?" 0
list "$H" > "$FL_TMP/f1"
FLOWSIFT_NOW=$((T0 + 86400)) FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --from $T0 --to $((T0 + 86400)) > "$FL_TMP/run2" 2>&1
list "$H" > "$FL_TMP/f2"
check_eq two-findings "$(wc -l < "$FL_TMP/f1")" 2
check_file_eq idempotent-findings "$FL_TMP/f2" "$FL_TMP/f1"
check_eq run2-no-new "$(grep -c 'new=0 updated=1' "$FL_TMP/run2")" 2
check_eq ssh-count "$(field ssh-brute-force count < "$FL_TMP/f1")" 30
# formats
n=$(FLOWSIFT_HOME="$H" "$FL" findings list --format json | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).length))')
check_eq json-array "$n" 2
o=$(FLOWSIFT_HOME="$H" "$FL" findings list --format ocsf --rule ssh-brute-force | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s);console.log([o.class_uid,o.type_uid,o.severity_id,o.status_id,o.finding_info.analytic.uid,o.finding_info.attacks[0].technique.uid,o.finding_info.first_seen_time,o.count].join(" "))})')
check_eq ocsf-fields "$o" "2004 200401 4 1 ssh-brute-force T1110.001 $(( (T0 + 3600) * 1000 )) 30"
FLOWSIFT_HOME="$H" "$FL" findings list > "$FL_TMP/table"
check_eq table "$(grep -c 'ssh-brute-force  *srcaddr=185.220.101.7,dstaddr=10.0.1.10  *30' "$FL_TMP/table")" 1
id=$(field ssh-brute-force id < "$FL_TMP/f1")
ev=$(FLOWSIFT_HOME="$H" "$FL" findings show "$id" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const o=JSON.parse(s)[0];console.log(o.evidence[0].attempts, o.evidence[0].rejected)})')
check_eq show-evidence "$ev" "30 0"

# ---- watermark + lateness -------------------------------------------------------
H="$FL_TMP/h2"; mkdir -p "$H"
"$MK" "$H" "$FL_TMP/a.ndjson" >/dev/null
FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --now $((T0 + 7200)) --lookback 24h > /dev/null 2>&1
check_eq wm-first "$(list "$H" | field ssh-brute-force count)" 30
# 10 more attempts in the already evaluated 01:00 bucket (another account folder)
gen 222222222222 185.220.101.7 10.0.1.10 10 $((T0 + 3900)) 5 22 > "$FL_TMP/b.ndjson"
"$MK" "$H" "$FL_TMP/b.ndjson" >/dev/null
FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --now $((T0 + 7800)) --lateness 2h > "$FL_TMP/wm2" 2>&1
check_eq late-within-lateness "$(list "$H" | field ssh-brute-force count)" 40
check_eq late-updated-not-duplicated "$(list "$H" --rule ssh-brute-force | wc -l)" 1
# late beyond the lateness: 20 attempts at 00:00, long evaluated
gen 333333333333 185.220.101.7 10.0.1.10 20 $((T0 + 100)) 5 22 > "$FL_TMP/c.ndjson"
"$MK" "$H" "$FL_TMP/c.ndjson" >/dev/null
FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --now $((T0 + 7800)) > "$FL_TMP/wm3" 2>&1
check_eq late-beyond-not-counted "$(list "$H" | field ssh-brute-force count)" 40
check_eq late-data-health "$(list "$H" --rule flow-log-health | grep -c '"issue":"late_data"')" 1
FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --from $T0 --to $((T0 + 86400)) --now $((T0 + 86400)) > /dev/null 2>&1
check_eq rescan-counts-late "$(list "$H" | field ssh-brute-force count)" 60
check_eq rescan-one-finding "$(list "$H" --rule ssh-brute-force | wc -l)" 1

# ---- suppression, resolve, reopen ------------------------------------------------
H="$FL_TMP/h3"; mkdir -p "$H"
"$MK" "$H" "$FL_TMP/a.ndjson" >/dev/null
run() { FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --from $T0 --to $((T0 + 86400)) --now $((T0 + 86400)) "$@" > /dev/null 2>&1; }
run
aid=$(list "$H" | field admin-port-exposed id)
out=$(FLOWSIFT_HOME="$H" "$FL" findings suppress "$aid" --reason "bastion host, ticket 42")
check_eq suppress-by-id "$out" "suppression 1 added; 1 open finding suppressed"
check_eq suppressed-status "$(list "$H" | field admin-port-exposed status)" suppressed
check_eq open-filter "$(list "$H" --status open | wc -l)" 1
run
check_eq suppressed-stays "$(list "$H" | field admin-port-exposed status)" suppressed
out=$(FLOWSIFT_HOME="$H" "$FL" findings suppress --rule ssh-brute-force --cidr 185.220.101.0/24 --reason "pentest range" --for 7d)
check_eq suppress-by-cidr "$out" "suppression 2 added; 1 open finding suppressed"
FLOWSIFT_HOME="$H" "$FL" findings suppress --reason x >/dev/null 2>&1
check_eq suppress-needs-selector "$?" 2
FLOWSIFT_HOME="$H" "$FL" findings suppress --rule ssh-brute-force >/dev/null 2>&1
check_eq suppress-needs-reason "$?" 2
# a new entity in the suppressed CIDR is recorded as suppressed
gen 444444444444 185.220.101.8 10.0.1.11 30 $((T0 + 3600)) 10 22 > "$FL_TMP/d.ndjson"
"$MK" "$H" "$FL_TMP/d.ndjson" >/dev/null
run
check_eq new-entity-suppressed "$(list "$H" --rule ssh-brute-force --status suppressed | wc -l)" 2
# resolve: stays resolved without new activity, reopens with new activity
bid=$(list "$H" --rule admin-port-exposed --status open | field admin-port-exposed id)
FLOWSIFT_HOME="$H" "$FL" findings resolve "$bid" --reason fixed-sg >/dev/null
check_eq resolved "$(list "$H" | status_of "$bid")" resolved
run
check_eq resolved-stays "$(list "$H" | status_of "$bid")" resolved
gen 555555555555 185.220.101.9 10.0.1.11 12 $((T0 + 30 * 86400)) 10 22 > "$FL_TMP/e.ndjson"
gen 555555555555 185.220.101.9 10.0.1.10 12 $((T0 + 30 * 86400)) 10 22 >> "$FL_TMP/e.ndjson"
"$MK" "$H" "$FL_TMP/e.ndjson" >/dev/null
FLOWSIFT_HOME="$H" "$FL" findings resolve "$aid" >/dev/null
FLOWSIFT_HOME="$H" "$FL" detect --rules "$R" --rule admin-port-exposed --from $((T0 + 30 * 86400)) --to $((T0 + 31 * 86400)) --now $((T0 + 31 * 86400)) >/dev/null 2>&1
check_eq reopened-on-activity "$(list "$H" | status_of "$bid")" open
check_eq reopened-but-suppressed "$(list "$H" | status_of "$aid")" suppressed
FLOWSIFT_HOME="$H" "$FL" findings resolve 999 >/dev/null 2>&1
check_eq resolve-unknown "$?" 2

# ---- per-rule cap ------------------------------------------------------------------
H="$FL_TMP/h4"; mkdir -p "$H"
for i in 1 2 3 4 5; do gen 111111111111 185.220.101.$i 10.0.1.10 1 $((T0 + i)) 1 22; done > "$FL_TMP/cap.ndjson"
"$MK" "$H" "$FL_TMP/cap.ndjson" >/dev/null
cat > "$FL_TMP/cap.yaml" <<'Y'
id: cap-test
title: one finding per source
severity: low
entity: [srcaddr]
window: 1h
max_per_run: 2
sql: SELECT srcaddr, COUNT(*) AS hit_count FROM flows WHERE start >= :window_start AND start < :window_end GROUP BY 1
Y
out=$(FLOWSIFT_HOME="$H" "$FL" detect --rules "$FL_TMP/cap.yaml" --from $T0 --to $((T0 + 3600)) 2>&1)
check_eq cap-findings "$(list "$H" | wc -l)" 2
check_eq cap-reported "$(echo "$out" | grep -c 'new=2 .*(capped)')" 1
