#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# health.t.sh - `flowsift health` over a dataset made of a generated day
# (3000 records) plus hand-written AWS lines with a planted silent interface
# (eni-silent logs 00:00-02:50 only, the others until 05:50), SKIPDATA and
# NODATA rows and two bad input lines (a bad IP, a short line).  Every
# number of the report is checked against the same question asked with
# `flowsift query` (or the known plant): records per hour/cloud/account/
# flow type, NODATA/SKIPDATA, the silent interface list, the newest record
# per source and its delay against --now / FLOWSIFT_NOW, rejected records
# by reason from the ingest ledger; plus the window options and misuse.
. "$FL_ROOT/tests/lib.sh"
H=$FL_TMP/home
export FLOWSIFT_HOME=$H
T0=1795132800 # 2026-11-20 00:00 UTC
{
  echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
  for m in $(seq 0 10 350); do s=$((T0 + m * 60)); echo "2 111122223333 eni-aaa 10.0.0.5 8.8.8.8 40000 443 6 10 1000 $s $((s + 60)) ACCEPT OK"; done
  for m in $(seq 0 10 170); do s=$((T0 + m * 60)); echo "2 111122223333 eni-silent 10.0.0.9 1.1.1.1 40001 443 6 5 500 $s $((s + 60)) ACCEPT OK"; done
  for m in 30 90 200; do s=$((T0 + m * 60)); echo "2 111122223333 eni-aaa - - - - - - - $s $((s + 60)) - SKIPDATA"; done
  for m in 40 100; do s=$((T0 + m * 60)); echo "2 111122223333 eni-aaa - - - - - - - $s $((s + 60)) - NODATA"; done
  echo "2 111122223333 eni-aaa 10.0.0.999 8.8.8.8 40000 443 6 10 1000 $T0 $((T0 + 60)) ACCEPT OK"
  echo "2 111122223333 eni-aaa 10.0.0.5 8.8.8.8 40000 443"
} >"$FL_TMP/plant.log"
"$FL" generate --records 3000 --seed 11 --out "$FL_TMP/gen.log" >/dev/null 2>&1 || fail generate "generate failed"
"$FL" ingest "$FL_TMP/gen.log" "$FL_TMP/plant.log" >"$FL_TMP/ingest.out" 2>&1 || fail ingest "$(cat "$FL_TMP/ingest.out")"

# tab JSON NAME -> the table's rows as CSV (NULL = empty)
tab() { node -e '
  const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const t = j[process.argv[2]];
  if (!t) { console.error("no table " + process.argv[2]); process.exit(1); }
  for (const r of t.rows) console.log(r.map(v => v === null ? "" : String(v)).join(","));' "$1" "$2"; }
fact() { node -e 'const j = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(j[process.argv[2]]);' "$1" "$2"; }
sqlcsv() { "$FL" query --format csv "$1" | tail -n +2; }

NOW=1795200000
FROM=$T0
TO=$((T0 + 6 * 3600))
"$FL" health --from $FROM --to $TO --now $NOW --format json >"$FL_TMP/h.json" 2>"$FL_TMP/h.err"
check_eq health_rc "$?" 0
check health_json node -e 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))' "$FL_TMP/h.json"
check_eq fact_from "$(fact "$FL_TMP/h.json" from)" $FROM
check_eq fact_to "$(fact "$FL_TMP/h.json" to)" $TO
check_eq fact_now "$(fact "$FL_TMP/h.json" now)" $NOW
W="start >= $FROM AND start < $TO"

want=$(sqlcsv "SELECT (start / 3600) * 3600, cloud, account, coalesce(flow_type, ''), count(*), count_if(log_status = 'NODATA'), count_if(log_status = 'SKIPDATA') FROM flows WHERE $W GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4")
[ -n "$want" ] || fail records_oracle "no rows"
check_eq records_vs_query "$(tab "$FL_TMP/h.json" records)" "$want"
# the plant: 3 SKIPDATA and 2 NODATA rows in account 111122223333
check_eq skipdata_planted "$(tab "$FL_TMP/h.json" records | awk -F, '$3 == "111122223333" { s += $7; n += $6 } END { print s "," n }')" "3,2"
check_eq log_status_vs_query "$(tab "$FL_TMP/h.json" log_status)" \
  "$(sqlcsv "SELECT cloud, account, coalesce(log_status, ''), count(*) FROM flows WHERE $W GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")"
check_eq log_status_skip "$(tab "$FL_TMP/h.json" log_status | grep '^aws,111122223333,SKIPDATA,')" "aws,111122223333,SKIPDATA,3"

# silent: logged in [FROM, TO) but nothing in the last 2 h
SIL=$(tab "$FL_TMP/h.json" silent)
check "silent_has_plant" grep -q '^aws,111122223333,eni-silent,18,' <<<"$SIL"
check "silent_not_active" bash -c "! grep -q ',eni-aaa,' <<<'$SIL'"
check_eq silent_vs_query "$SIL" \
  "$(sqlcsv "SELECT cloud, account, coalesce(interface_id, resource_id) AS i, count(*), max(start), $TO - max(start) FROM flows WHERE $W AND coalesce(interface_id, resource_id) IS NOT NULL GROUP BY 1, 2, 3 HAVING max(start) < $((TO - 7200)) ORDER BY 1, 2, 3")"
check_eq silent_last_seen "$(grep ',eni-silent,' <<<"$SIL" | cut -d, -f5)" "$((T0 + 170 * 60))"
# a longer silent period: eni-silent is still silent; a short one over the
# generated interfaces' quiet spells is checked against query too
"$FL" health --from $FROM --to $TO --now $NOW --silent 4h --format json >"$FL_TMP/h4.json"
S4=$(tab "$FL_TMP/h4.json" silent | cut -d, -f3)
check "silent_4h_no_plant" bash -c "! grep -qx eni-silent <<<'$S4'"
"$FL" health --from $FROM --to $TO --now $NOW --silent 30m --format json >"$FL_TMP/h30.json"
S30=$(tab "$FL_TMP/h30.json" silent)
check_eq silent_30m_vs_query "$S30" \
  "$(sqlcsv "SELECT cloud, account, coalesce(interface_id, resource_id) AS i, count(*), max(start), $TO - max(start) FROM flows WHERE $W AND coalesce(interface_id, resource_id) IS NOT NULL GROUP BY 1, 2, 3 HAVING max(start) < $((TO - 1800)) ORDER BY 1, 2, 3")"
check "silent_30m_has_plant" grep -q ',eni-silent,' <<<"$S30"
check_eq silent_30m_fact "$(fact "$FL_TMP/h30.json" silent_after_s)" 1800

# newest data per source and its delay against --now
check_eq newest_vs_query "$(tab "$FL_TMP/h.json" newest)" \
  "$(sqlcsv "SELECT cloud, account, region, max(\"end\"), $NOW - max(\"end\"), count(*) FROM flows GROUP BY 1, 2, 3 ORDER BY 1, 2, 3")"
FLOWSIFT_NOW=$((NOW + 100)) "$FL" health --from $FROM --to $TO --format json >"$FL_TMP/hn.json"
check_eq flowsift_now_env "$(fact "$FL_TMP/hn.json" now)" $((NOW + 100))
d1=$(tab "$FL_TMP/h.json" newest | head -1 | cut -d, -f5); d2=$(tab "$FL_TMP/hn.json" newest | head -1 | cut -d, -f5)
check_eq delay_moves_with_now "$((d2 - d1))" 100

# rejected input records by reason (ingest ledger)
check_eq rejects "$(tab "$FL_TMP/h.json" rejects | sort)" "$(printf 'bad_ip,1,1\nfield_count,1,1')"
check_eq objects_vs_ingest "$(tab "$FL_TMP/h.json" objects)" \
  "done,2,$((3000 + 61)),$((3000 + 59)),2"
# re-ingest of the same inputs adds nothing, counts unchanged
"$FL" ingest "$FL_TMP/plant.log" >/dev/null 2>&1
"$FL" health --from $FROM --to $TO --now $NOW --format json >"$FL_TMP/h2.json"
check_eq rejects_idempotent "$(tab "$FL_TMP/h2.json" rejects | sort)" "$(printf 'bad_ip,1,1\nfield_count,1,1')"
# a changed object replaces its reasons (not added twice)
sed -i 's/10.0.0.999/10.0.0.998/' "$FL_TMP/plant.log"
echo "2 111122223333 eni-aaa 10.0.0.5 8.8.8.8 40000 443 6 x 1000 $T0 $((T0 + 60)) ACCEPT OK" >>"$FL_TMP/plant.log"
"$FL" ingest "$FL_TMP/plant.log" >/dev/null 2>&1
"$FL" health --from $FROM --to $TO --now $NOW --format json >"$FL_TMP/h3.json"
check_eq rejects_replaced "$(tab "$FL_TMP/h3.json" rejects | sort)" "$(printf 'bad_ip,1,1\nbad_number,1,1\nfield_count,1,1')"

# default window: the 24 h ending with the newest record's hour
"$FL" health --now $NOW --format json >"$FL_TMP/hd.json"
NEWEST=$(sqlcsv "SELECT max(start) FROM flows")
check_eq default_to "$(fact "$FL_TMP/hd.json" to)" "$(((NEWEST / 3600 + 1) * 3600))"
check_eq default_from "$(fact "$FL_TMP/hd.json" from)" "$(((NEWEST / 3600 + 1) * 3600 - 86400))"

# other formats
"$FL" health --from $FROM --to $TO --now $NOW >"$FL_TMP/h.txt"
check "table_has_sections" bash -c "grep -q '^== records' '$FL_TMP/h.txt' && grep -q '^== silent' '$FL_TMP/h.txt' && grep -q 'eni-silent' '$FL_TMP/h.txt'"
"$FL" health --from $FROM --to $TO --now $NOW --format ndjson >"$FL_TMP/h.nd"
check "ndjson_parses" node -e 'for (const l of require("fs").readFileSync(process.argv[1], "utf8").split("\n")) if (l) JSON.parse(l)' "$FL_TMP/h.nd"
check "csv_sections" grep -q '^# rejects' <("$FL" health --from $FROM --to $TO --now $NOW --format csv)

# misuse
"$FL" health --from x >/dev/null 2>&1; check_eq bad_from_rc "$?" 2
"$FL" health --from $TO --to $FROM >/dev/null 2>&1; check_eq from_after_to_rc "$?" 2
"$FL" health --silent 10h --from $FROM --to $TO >/dev/null 2>&1; check_eq silent_longer_than_window_rc "$?" 2
"$FL" health --bogus >/dev/null 2>&1; check_eq unknown_option_rc "$?" 2
"$FL" health --help >/dev/null 2>&1; check_eq help_rc "$?" 0
