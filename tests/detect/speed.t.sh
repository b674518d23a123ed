# SPDX-License-Identifier: Apache-2.0
# The pack's cost accounting and its cheaper query shapes:
#  - `flowsift detect --timing` prints one line per rule with wall and CPU
#    seconds, the dataset rows its queries read and the number of queries
#    (rows read = the day's rows per full scan; scan detectors run a
#    pre-filter sub-query, beacon a second query);
#  - the scan detectors' pre-filtered queries give the findings of the plain
#    aggregation: each is compared with a SQL rule holding the plain query
#    (the shape the detector had before the pre-filter);
#  - first_seen's batched state updates give the same first-seen set and
#    findings as a second, incremental run over the same day in two halves.
# Data: one generated day with every kind of planted incident.
. "$FL_ROOT/tests/lib.sh"
export FLOWSIFT_HOME="$FL_TMP/home"
rm -rf "$FLOWSIFT_HOME" "$FL_TMP/day.log"
"$FL" generate -q --records 60000 --seed 7 --incidents all --out "$FL_TMP/day.log" > "$FL_TMP/gen.out" 2>&1
check_eq generate "$?" 0
"$FL" ingest --quiet "$FL_TMP/day.log" > "$FL_TMP/ingest.out" 2>&1
check_eq ingest "$?" 0
FROM=$(date -u -d 2026-11-20 +%s); TO=$((FROM + 86400))
DAYROWS=$("$FL" query --format csv "SELECT count(*) FROM flows WHERE start >= $FROM AND start < $TO" | tail -1)

# ---- --timing ------------------------------------------------------------------
"$FL" detect --rules "$FL_ROOT/rules" --from $FROM --to $TO --now $TO --timing > "$FL_TMP/t.out" 2>&1
check_eq timing-exit "$?" 0
nrules=$(ls "$FL_ROOT"/rules/*.yaml | wc -l)
check_eq timing-line-per-rule "$(grep -c '^  timing ' "$FL_TMP/t.out")" "$nrules"
tl() { grep "^  timing $1 " "$FL_TMP/t.out"; }
rows_of() { tl "$1" | sed 's/.*rows read \([0-9]*\).*/\1/'; }
queries_of() { tl "$1" | sed 's/.*queries \([0-9]*\).*/\1/'; }
check_eq timing-format "$(tl ssh-brute-force | grep -cE 'wall +[0-9]+\.[0-9]{3} s  cpu +[0-9]+\.[0-9]{3} s  rows read [0-9]+  queries [0-9]+$')" 1
check_eq rows-read-one-scan "$(rows_of ssh-brute-force)" "$DAYROWS"
check_eq queries-sql-rule "$(queries_of ssh-brute-force)" 1
check_eq rows-read-scan-prefilter "$(rows_of scan-vertical)" "$((2 * DAYROWS))"
check_eq queries-beacon "$(queries_of beaconing)" 2
"$FL" detect --rules "$FL_ROOT/rules" --from $FROM --to $TO --now $TO > "$FL_TMP/nt.out" 2>&1
check_eq no-timing-without-flag "$(grep -c 'timing' "$FL_TMP/nt.out")" 0

# ---- scan pre-filter == plain aggregation ------------------------------------------
# plain_rule MODE FAN ENTITY3 MIN: the scan detector's query without the pre-filter
plain_rule() {
  cat <<EOF
id: plain-$1
title: plain $1 scan
severity: medium
entity: [srcaddr, $3]
window: 10m
sql: |
  SELECT :bucket AS bucket, srcaddr, $3, COUNT(DISTINCT $2) AS fanout,
         COUNT(DISTINCT CASE WHEN action = 'REJECT' THEN $2 END) AS failed,
         COUNT(*) AS hit_count, MIN(start) AS first_seen, MAX("end") AS last_seen,
         MIN(dstport) AS min_port, MAX(dstport) AS max_port
  FROM flows WHERE start >= :window_start AND start < :window_end
    AND log_status = 'OK' AND srcaddr IS NOT NULL AND NOT :known_scanner(srcaddr)
    AND ($5)
  GROUP BY 1, 2, 3
  HAVING COUNT(DISTINCT $2) + 1 * COUNT(DISTINCT CASE WHEN action = 'REJECT' THEN $2 END) >= $4
EOF
}
filt() { grep '^  filter:' "$FL_ROOT/rules/$1" | sed 's/^  filter: "\(.*\)"$/\1/'; }
minof() { grep "^  $2:" "$FL_ROOT/rules/$1" | awk '{print $2}'; }
P="$FL_TMP/plain"; mkdir -p "$P"
plain_rule vertical dstport dstaddr "$(minof scan_vertical.yaml min_ports)" "$(filt scan_vertical.yaml)" > "$P/v.yaml"
plain_rule horizontal dstaddr dstport "$(minof scan_horizontal.yaml min_hosts)" "$(filt scan_horizontal.yaml)" > "$P/h.yaml"
check plain-rules-valid "$FL" rules check "$P"
"$FL" detect --rules "$P" --from $FROM --to $TO --now $TO > "$FL_TMP/p.out" 2>&1
check_eq plain-exit "$?" 0
# entity, count, span and evidence of every finding of rule $1 (severity aside:
# the detector raises it at 10x)
norm() {
  "$FL" findings list --rule "$1" --format ndjson | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      const out = [];
      for (const l of s.split("\n")) { if (!l) continue; const o = JSON.parse(l);
        out.push([o.entity, o.count, o.first_seen, o.last_seen, JSON.stringify(o.evidence)].join(" ")); }
      console.log(out.sort().join("\n")); });'
}
norm scan-vertical > "$FL_TMP/sv.det"; norm plain-vertical > "$FL_TMP/sv.plain"
norm scan-horizontal > "$FL_TMP/sh.det"; norm plain-horizontal > "$FL_TMP/sh.plain"
check_eq vertical-has-findings "$([ -s "$FL_TMP/sv.det" ] && echo yes)" yes
check_eq horizontal-has-findings "$([ -s "$FL_TMP/sh.det" ] && echo yes)" yes
check_file_eq vertical-same-as-plain "$FL_TMP/sv.det" "$FL_TMP/sv.plain"
check_file_eq horizontal-same-as-plain "$FL_TMP/sh.det" "$FL_TMP/sh.plain"

# ---- first_seen: one batch == the same day in two runs ------------------------------
FSDUMP="$FL_BUILD/tests/tools/fsdump"   # the set is stored as chunks (src/state/fseen.c)
fs_state() { "$FSDUMP" "$1" new-external-destination | sort | md5sum; }
H2="$FL_TMP/home2"; mkdir -p "$H2"; ln -s "$FLOWSIFT_HOME/data" "$H2/data"
FLOWSIFT_HOME="$H2" "$FL" detect --rules "$FL_ROOT/rules" --rule new-external-destination --from $FROM --to $((FROM + 43200)) --now $TO > /dev/null 2>&1
FLOWSIFT_HOME="$H2" "$FL" detect --rules "$FL_ROOT/rules" --rule new-external-destination --from $((FROM + 43200)) --to $TO --now $TO > /dev/null 2>&1
n=$("$FSDUMP" "$FLOWSIFT_HOME" new-external-destination | wc -l)
check_eq first-seen-set-filled "$([ "${n:-0}" -gt 100 ] && echo yes)" yes
check_eq first-seen-two-runs-same-set "$(fs_state "$H2")" "$(fs_state "$FLOWSIFT_HOME")"
