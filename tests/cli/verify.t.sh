#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# verify.t.sh - `flowsift verify-change` over a generated day plus planted
# AWS lines where a change happens at a known time TC (03:00): 10.1.1.40 ->
# 10.2.0.7:22 is ACCEPT before TC and REJECT after (the change works),
# 10.1.1.41 stays ACCEPT (unchanged), 10.1.1.42 goes REJECT -> ACCEPT
# (opened), 10.1.1.43 stops talking at TC (no traffic after).  Checks each
# verdict line and exit status, the before/after counts against `flowsift
# query`, CIDR and protocol-name terms, --before, --window, JSON output, and
# that hostile or malformed match expressions are refused (exit 2) with
# nothing spliced into SQL.
. "$FL_ROOT/tests/lib.sh"
export FLOWSIFT_HOME=$FL_TMP/home
T0=1795132800 # 2026-11-20 00:00 UTC
TC=$((T0 + 3 * 3600))
{
  echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
  for m in $(seq 0 10 350); do
    s=$((T0 + m * 60)); a=ACCEPT; b=REJECT; [ $s -ge $TC ] && a=REJECT && b=ACCEPT
    echo "2 111122223333 eni-bbb 10.1.1.40 10.2.0.7 5000$((m % 10)) 22 6 10 1000 $s $((s + 60)) $a OK"
    echo "2 111122223333 eni-bbb 10.1.1.41 10.2.0.7 40000 22 6 10 1000 $s $((s + 60)) ACCEPT OK"
    echo "2 111122223333 eni-bbb 10.1.1.42 10.2.0.7 40000 22 6 10 1000 $s $((s + 60)) $b OK"
    [ $s -lt $TC ] && echo "2 111122223333 eni-bbb 10.1.1.43 10.2.0.7 40000 22 6 10 1000 $s $((s + 60)) ACCEPT OK"
    # the same source on another port is not part of the change
    echo "2 111122223333 eni-bbb 10.1.1.40 10.2.0.7 40000 443 6 10 1000 $s $((s + 60)) ACCEPT OK"
  done
} >"$FL_TMP/plant.log"
"$FL" generate --records 3000 --seed 5 --out "$FL_TMP/gen.log" >/dev/null 2>&1 || fail generate "generate failed"
"$FL" ingest "$FL_TMP/gen.log" "$FL_TMP/plant.log" >"$FL_TMP/ingest.out" 2>&1 || fail ingest "$(cat "$FL_TMP/ingest.out")"

fact() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(j[process.argv[2]]);' "$1" "$2"; }
rows() { node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  for (const r of j.actions.rows) console.log(r.map(v => v === null ? "" : String(v)).join(","));' "$1"; }
sqlcsv() { "$FL" query --format csv "$1" | tail -n +2; }
V() { "$FL" verify-change "$@"; }

# the change works: exit 0, verdict line first
V --match 'srcaddr=10.1.1.40 dstport=22' --after $TC >"$FL_TMP/w.txt" 2>&1
check_eq works_rc "$?" 0
check_eq works_line "$(head -1 "$FL_TMP/w.txt")" "verdict: was ACCEPT, now REJECT: the change works"
V --match 'srcaddr=10.1.1.40 dstport=22' --after $TC --format json >"$FL_TMP/w.json"
check_eq works_verdict "$(fact "$FL_TMP/w.json" verdict)" works
check_eq works_counts "$(fact "$FL_TMP/w.json" before_accept),$(fact "$FL_TMP/w.json" after_reject)" "18,18"
check_eq works_vs_query "$(rows "$FL_TMP/w.json")" "$(sqlcsv "SELECT CASE WHEN start < $TC THEN 'before' ELSE 'after' END AS p, action, count(*), sum(bytes), min(start), max(start) FROM flows WHERE start >= $((TC - 86400)) AND start < $((TC + 86400)) AND srcaddr = '10.1.1.40' AND dstport = 22 GROUP BY 1, 2 ORDER BY 1 DESC, 2")"

# unchanged, opened, no traffic after, partial (CIDR over .40 and .41)
V --match 'srcaddr=10.1.1.41 dstport=22' --after $TC --format json >"$FL_TMP/u.json"
check_eq unchanged_rc "$?" 1
check_eq unchanged_text "$(fact "$FL_TMP/u.json" verdict_text)" "unchanged: still ACCEPT"
V --match 'srcaddr=10.1.1.42 dstport=22' --after $TC --format json >"$FL_TMP/o.json"
check_eq opened_rc "$?" 1
check_eq opened_verdict "$(fact "$FL_TMP/o.json" verdict)" opened
V --match 'srcaddr=10.1.1.43 dstport=22' --after $TC --format json >"$FL_TMP/n.json"
check_eq no_after_rc "$?" 1
check_eq no_after_verdict "$(fact "$FL_TMP/n.json" verdict)" no_traffic_after
V --match 'srcaddr=10.1.1.40/31 dstport=22 protocol=tcp' --after $TC --format json >"$FL_TMP/p.json"
check_eq partial_verdict "$(fact "$FL_TMP/p.json" verdict)" partial
check_eq partial_counts "$(fact "$FL_TMP/p.json" after_accept),$(fact "$FL_TMP/p.json" after_reject)" \
  "$(sqlcsv "SELECT count_if(action = 'ACCEPT'), count_if(action = 'REJECT') FROM flows WHERE start >= $TC AND start < $((TC + 86400)) AND contains('10.1.1.40/31', srcaddr) AND dstport = 22 AND protocol = 6")"
check_eq partial_filter "$(fact "$FL_TMP/p.json" sql_filter)" "contains('10.1.1.40/31', \"srcaddr\") AND \"dstport\" = 22 AND \"protocol\" = 6"
V --match 'srcaddr=10.9.9.9' --after $TC --format json >"$FL_TMP/z.json"
check_eq no_traffic_verdict "$(fact "$FL_TMP/z.json" verdict)" no_traffic

# --before and --window bound the periods
V --match 'srcaddr=10.1.1.40 dstport=22' --before $((TC - 3600)) --after $TC --window 1h --format json >"$FL_TMP/b.json"
check_eq before_window "$(fact "$FL_TMP/b.json" before_accept),$(fact "$FL_TMP/b.json" after_reject),$(fact "$FL_TMP/b.json" before_from),$(fact "$FL_TMP/b.json" after_to)" \
  "6,6,$((TC - 3600)),$((TC + 3600))"
V --match 'srcaddr=10.1.1.40 dstport=22' --after '2026-11-20 03:00:00' --window 30m --format json >"$FL_TMP/t.json"
check_eq after_text_time "$(fact "$FL_TMP/t.json" after),$(fact "$FL_TMP/t.json" before_accept)" "$TC,3"
# the other port of the same source is untouched by the change
V --match 'srcaddr=10.1.1.40 dstport=443' --after $TC --format json >"$FL_TMP/op.json"; check_eq other_port_rc "$?" 1
check_eq other_port_verdict "$(fact "$FL_TMP/op.json" verdict),$(fact "$FL_TMP/op.json" before_accept),$(fact "$FL_TMP/op.json" after_accept),$(fact "$FL_TMP/op.json" after_reject)" "unchanged,18,18,0"

# --explain prints the condition built from parsed values
check_eq explain "$(V --match 'dstaddr=10.2.0.7 dstport=22 action=REJECT' --explain)" "\"dstaddr\" = '10.2.0.7' AND \"dstport\" = 22 AND \"action\" = 'REJECT'"
check_eq explain_v6 "$(V --match 'srcaddr=2a01:db8::1' --explain)" "contains('2a01:db8::1/128', \"srcaddr\")"

# hostile / malformed expressions: usage error, nothing run
for m in "srcaddr=10.1.1.40' OR '1'='1" "dstport=22;DROP" "dstport=22)" "nosuchfield=1" "action=x'y" "srcaddr=10.1.1.400" \
         "srcaddr>10.1.1.40" "srcaddr!=10.1.1.40" "=22" "srcaddr=" "" "interface_id=eni\"x"; do
  V --match "$m" --after $TC >"$FL_TMP/bad.out" 2>&1
  rc=$?
  if [ "$rc" = 2 ] && grep -q 'verify-change' "$FL_TMP/bad.out" && ! grep -q '^verdict' "$FL_TMP/bad.out"; then pass "refused [$m]"; else fail "refused [$m]" "rc $rc $(head -c 200 "$FL_TMP/bad.out")"; fi
done
V --after $TC >/dev/null 2>&1; check_eq no_match_rc "$?" 2
V --match 'srcaddr=10.1.1.40' >/dev/null 2>&1; check_eq no_after_arg_rc "$?" 2
V --match 'srcaddr=10.1.1.40' --after $TC --before $((TC + 1)) >/dev/null 2>&1; check_eq before_after_order_rc "$?" 2
V --match 'srcaddr=10.1.1.40' --after $TC --window 0h >/dev/null 2>&1; check_eq bad_window_rc "$?" 2
V --help >/dev/null 2>&1; check_eq help_rc "$?" 0
