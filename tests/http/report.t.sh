#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# report.t.sh - `flowsift report compliance` on a generated day with planted
# unapproved egress.  The policy approves every country (and, as /32 CIDRs,
# every unknown-country destination) that the generated base traffic
# reaches, so the only unapproved egress is what this test plants: two
# sources to two unapproved countries (one of them twice, summed).  Planted
# decoys must stay out: a destination in an unapproved country but inside
# an approved CIDR, a REJECTed flow, an inbound flow from the unapproved
# country, and a flow on the next day.  The CSV must list exactly the
# planted rows and equal an independent SQL query; the HTML escapes a
# hostile asset tag and names the blocking rule; headless chromium renders
# it to PDF and PNG ($FL_OUT/compliance.pdf, compliance.png).
. "$FL_ROOT/tests/lib.sh"
H=$FL_TMP/home
D=2026-11-20
D0=1795132800 # 2026-11-20T00:00:00Z
"$FL" generate --records 5000 --seed 21 --day $D --out "$FL_TMP/base.log" >/dev/null 2>&1 || fail generate "generate failed"
FLOWSIFT_HOME=$H "$FL" ingest "$FL_TMP/base.log" >/dev/null 2>&1 || fail ingest "base ingest failed"
q() { FLOWSIFT_HOME=$H "$FL" query --format csv "$1" | tail -n +2; }
EG="action = 'ACCEPT' AND src_scope IN ('private', 'cgnat') AND dst_scope = 'public'"
BASE_CC=$(q "SELECT DISTINCT dst_country FROM flows WHERE $EG AND dst_country IS NOT NULL ORDER BY 1")
BASE_NULL=$(q "SELECT DISTINCT dstaddr FROM flows WHERE $EG AND dst_country IS NULL ORDER BY 1")

# planted destinations: addresses whose country (per the geo database in
# use) the base traffic never reaches
cc_of() { "$FL" enrich "$1" 2>/dev/null | awk '$1 == "country" {print $2}'; }
picked=()
for ip in 175.45.176.1 41.223.56.1 196.200.1.1 203.144.1.1 190.93.1.1 202.58.1.1 200.7.1.1 85.113.1.1; do
  c=$(cc_of "$ip")
  [ -n "$c" ] || continue
  grep -qx "$c" <<<"$BASE_CC" && continue
  dup=0; for p in "${picked[@]}"; do [ "${p#*=}" = "$c" ] && dup=1; done
  [ $dup = 1 ] && continue
  picked+=("$ip=$c")
  [ ${#picked[@]} = 3 ] && break
done
if [ ${#picked[@]} -lt 3 ]; then fail planted_countries "found only ${picked[*]} outside the base countries"; exit 0; fi
X1=${picked[0]%=*} C1=${picked[0]#*=}
X2=${picked[1]%=*} C2=${picked[1]#*=}
X3=${picked[2]%=*}
X3NET=$(echo "$X3" | awk -F. '{print $1"."$2"."$3".0/24"}')
pass planted_countries

A=123456789012
line() { echo "2 $A eni-0planted00000001 $1 $2 $3 $4 $5 $6 $7 $8 $9 ${10} OK"; }
{
  echo "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"
  line 10.50.1.5 "$X1" 40001 443 6 3 1000 $((D0 + 3600)) $((D0 + 3660)) ACCEPT    # P1 (x2)
  line 10.50.1.5 "$X1" 40002 443 6 4 2000 $((D0 + 7200)) $((D0 + 7260)) ACCEPT
  line 10.50.1.6 "$X2" 40003 8443 6 2 777 $((D0 + 10800)) $((D0 + 10830)) ACCEPT  # P2
  line 10.50.1.7 "$X3" 40004 443 6 2 555 $((D0 + 10800)) $((D0 + 10830)) ACCEPT   # approved CIDR
  line 10.50.1.8 "$X1" 40005 443 6 1 60 $((D0 + 10900)) $((D0 + 10930)) REJECT    # rejected
  line "$X1" 10.50.1.9 5555 22 6 9 9000 $((D0 + 11000)) $((D0 + 11030)) ACCEPT     # inbound
  line 10.50.1.10 "$X1" 40006 443 6 5 5000 $((D0 + 86400 + 1800)) $((D0 + 86400 + 1830)) ACCEPT # next day
} >"$FL_TMP/planted.log"

{
  echo "assets:"
  echo "  10.50.1.5/32: {name: '<b>x</b>&\"q\"'}"
  echo "policy:"
  printf '  approved_countries: [%s]\n' "$(echo $BASE_CC | tr ' ' ',')"
  echo "  approved_egress_cidrs:"
  echo "    - $X3NET"
  for a in $BASE_NULL; do echo "    - $a/32"; done
} >"$FL_TMP/flowsift.yaml"
mkdir -p "$H" && cp "$FL_TMP/flowsift.yaml" "$H/flowsift.yaml"
FLOWSIFT_HOME=$H "$FL" ingest "$FL_TMP/planted.log" >"$FL_TMP/ingest2.log" 2>&1 || fail ingest_planted "$(tail -3 "$FL_TMP/ingest2.log")"

FLOWSIFT_HOME=$H "$FL" report compliance --date $D --out "$FL_TMP/rep" >"$FL_TMP/rep.out" 2>"$FL_TMP/rep.err"
check_eq report_rc "$?" 0
CSV=$FL_TMP/rep/compliance-$D.csv
HTML=$FL_TMP/rep/compliance-$D.html
check report_files test -s "$CSV" -a -s "$HTML"
check_eq csv_header "$(head -1 "$CSV")" \
  "account,cloud,source,destination,country,protocol,port,flows,bytes,first_seen,last_seen,src_tag,suggested_rule"
# exactly the planted rows (account, source, destination, country, port, flows, bytes)
got=$(tail -n +2 "$CSV" | cut -d, -f1,3,4,5,7,8,9 | sort)
want=$(printf '%s\n' "$A,10.50.1.5,$X1,$C1,443,2,3000" "$A,10.50.1.6,$X2,$C2,8443,1,777" | sort)
check_eq csv_exactly_planted "$got" "$want"
# the same through an independent SQL query over the dataset
CCS=$(echo $BASE_CC | sed "s/\([A-Z][A-Z]\)/'\1'/g; s/ /, /g")
sqlrows=$(q "SELECT account, srcaddr, dstaddr, coalesce(dst_country, ''), dstport, count(*), sum(bytes) FROM flows
  WHERE start >= $D0 AND start < $D0 + 86400 AND $EG AND (dst_country IS NULL OR dst_country NOT IN ($CCS))
    AND NOT contains('$X3NET', dstaddr) AND NOT dstaddr IN ($(echo $BASE_NULL | sed "s/\([0-9.]*\)/'\1'/g; s/ /, /g" | sed "s/^$/''/"))
  GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3" | sort)
check_eq csv_vs_sql "$got" "$sqlrows"
check_eq summary_line "$(grep -o '[0-9]* unapproved egress rows, [0-9]* flows, [0-9]* bytes' "$FL_TMP/rep.out")" \
  "2 unapproved egress rows, 3 flows, 3777 bytes"
check_eq csv_rule "$(grep ",10.50.1.5," "$CSV" | cut -d, -f13-)" "NACL egress DENY tcp/443 to $X1/32 (security groups cannot deny)"
check csv_tag_quoted grep -qF '"<b>x</b>&""q"""' "$CSV"
# the HTML: escaped, scriptless, names the rows and the rule
check html_rule grep -qF "NACL egress DENY tcp/443 to $X1/32" "$HTML"
check html_tag_escaped grep -qF '&lt;b&gt;x&lt;/b&gt;&amp;&quot;q&quot;' "$HTML"
check html_no_raw_tag bash -c "! grep -qF '<b>x</b>' '$HTML'"
check html_no_script bash -c "! grep -qiE '<script|javascript:|on[a-z]+=\"' '$HTML'"
check html_print_css grep -qF '@media print' "$HTML"
check html_countries bash -c "grep -qF '<td>$C1</td>' '$HTML' && grep -qF '<td>$C2</td>' '$HTML'"
check html_decoys_absent bash -c "! grep -qE '10\\.50\\.1\\.(7|8|9|10)<' '$HTML'"

# rendered by headless chromium: PDF and PNG artifacts
OUT=${FL_OUT:-$FL_TMP}
if [ -x /usr/bin/chromium ]; then
  CH=(/usr/bin/chromium --headless --no-sandbox --disable-gpu --disable-background-networking
      --disable-component-update --no-first-run --user-data-dir="$FL_TMP/chrome")
  timeout 90 "${CH[@]}" --no-pdf-header-footer --print-to-pdf="$OUT/compliance.pdf" "file://$HTML" >"$FL_TMP/pdf.log" 2>&1
  check_eq pdf_magic "$(head -c 5 "$OUT/compliance.pdf" 2>/dev/null)" "%PDF-"
  timeout 90 "${CH[@]}" --window-size=1400,1200 --screenshot="$OUT/compliance.png" "file://$HTML" >"$FL_TMP/png.log" 2>&1
  check png_written test -s "$OUT/compliance.png"
else
  fail chromium "chromium missing (make deps)"
fi

# misuse and no policy
"$FL" report compliance >/dev/null 2>&1; check_eq no_date_rc $? 2
"$FL" report compliance --date 2026-13-01 >/dev/null 2>&1; check_eq bad_date_rc $? 2
"$FL" report nonsense --date $D >/dev/null 2>&1; check_eq unknown_report_rc $? 2
FLOWSIFT_HOME=$H "$FL" report compliance --date $D --out "$FL_TMP/rep" --fail-on-findings >/dev/null 2>&1
check_eq fail_on_findings_rc $? 1
rm "$H/flowsift.yaml"
FLOWSIFT_HOME=$H "$FL" report compliance --date $D --out "$FL_TMP/rep0" >"$FL_TMP/rep0.out" 2>"$FL_TMP/rep0.err"
check_eq no_policy_rc $? 0
check no_policy_warns grep -q 'approved_countries is not set' "$FL_TMP/rep0.err"
check_eq no_policy_rows "$(tail -n +2 "$FL_TMP/rep0/compliance-$D.csv" | wc -l)" 0
check no_policy_html grep -q 'every destination country is approved' "$FL_TMP/rep0/compliance-$D.html"
