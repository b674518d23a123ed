#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# aws.t.sh - `flowsift generate` for AWS: determinism (same seed = same
# bytes, other seed = other bytes), exact record counts, the distribution
# properties the generator promises (computed independently with awk over
# the text), the S3 and Hive S3 key layouts, gzip (single and multi-member),
# custom / v5 / Transit Gateway formats, and CLI misuse.
source "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1

G() { "$FL" generate -q "$@"; }

# ---- determinism ----------------------------------------------------------
G --records 20000 --seed 7 --out a.log
G --records 20000 --seed 7 --out b.log
G --records 20000 --seed 8 --out c.log
check_eq determinism_same_seed "$(md5sum < a.log)" "$(md5sum < b.log)"
if cmp -s a.log c.log; then fail determinism_other_seed "seed 7 and 8 gave the same bytes"; else pass determinism_other_seed; fi
G --records 20000 --seed 7 > d.log
check_eq stdout_equals_file "$(md5sum < d.log)" "$(md5sum < a.log)"
check_eq exact_count "$(($(wc -l < a.log) - 1))" 20000
check_eq header_v2 "$(head -1 a.log)" "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status"

# ---- distribution properties (independent awk computation) -----------------
G --records 200000 --seed 3 --accounts 4 --out big.log
awk -v out=stats.txt 'NR == 1 { next }
  { n++ }
  NF != 14 { badnf++ }
  $14 != "OK" { nd++
     if ($4 != "-" || $5 != "-" || $6 != "-" || $7 != "-" || $8 != "-" || $9 != "-" || $10 != "-" || $13 != "-") baddash++
     next }
  { ok++
    if ($13 == "REJECT") { rj++; if ($4 !~ /^10\./) rjpub++ }
    if ($4 ~ /^10\./) priv++
    if ($4 ~ /:/) v6++
    proto[$8]++
    if ($11 > $12) badtime++
    if ($9 !~ /^[0-9]+$/ || $10 !~ /^[0-9]+$/) badnum++
    src[$4]++; pair[$4 " " $5]++
    fwd[$4 " " $5 " " $6 " " $7]++
    if (($5 " " $4 " " $7 " " $6) in fwd) rev++
    if ($9 > maxp) maxp = $9
    if ($9 == 1) one++
    bytes += $10; acct[$2]++ }
  END {
    ns = 0; for (s in src) { ns++; cnt[ns] = src[s] }
    np = 0; for (p in pair) np++
    # share of the busiest 1% of source addresses
    m = asort_desc(cnt, ns); top = 0; k = int(ns / 100); if (k < 1) k = 1
    for (i = 1; i <= k; i++) top += cnt[i]
    na = 0; for (a in acct) na++
    printf "n=%d badnf=%d nodata=%.5f baddash=%d reject=%.5f rejpub=%.4f priv=%.4f v6=%.4f tcp=%.4f udp=%.4f icmp=%.4f badtime=%d badnum=%d rev=%.4f pairs=%d top1pct=%.4f maxp=%d one=%.4f accounts=%d\n",
      n, badnf, nd / n, baddash, rj / ok, rjpub / rj, priv / ok, v6 / ok, proto[6] / ok, proto[17] / ok, (proto[1] + proto[58]) / ok,
      badtime, badnum, rev / ok, np, top / ok, maxp, one / ok, na > out
  }
  function asort_desc(a, n,   i, j, t) { # insertion sort would be slow: use a counting pass
    # selection of the k largest by a simple partial sort (k = n/100 is small)
    kk = int(n / 100); if (kk < 1) kk = 1
    for (i = 1; i <= kk; i++) { best = i
      for (j = i + 1; j <= n; j++) if (a[j] > a[best]) best = j
      t = a[i]; a[i] = a[best]; a[best] = t }
    return n }' big.log
cat stats.txt
st() { sed -E "s/.*\\b$1=([^ ]+).*/\\1/" stats.txt; }
inrange() { awk -v v="$2" -v lo="$3" -v hi="$4" 'BEGIN { exit !(v + 0 >= lo && v + 0 <= hi) }' && pass "$1" || fail "$1" "$2 not in [$3, $4]"; }
check_eq dist_field_count "$(st badnf)" 0
inrange dist_nodata_share "$(st nodata)" 0.003 0.008
check_eq dist_nodata_dashes "$(st baddash)" 0
inrange dist_reject_share "$(st reject)" 0.03 0.05
inrange dist_rejects_mostly_inbound_public "$(st rejpub)" 0.75 1
inrange dist_private_src_share "$(st priv)" 0.65 0.80
inrange dist_ipv6_share "$(st v6)" 0.005 0.05
inrange dist_tcp_share "$(st tcp)" 0.81 0.87
inrange dist_udp_share "$(st udp)" 0.11 0.17
inrange dist_icmp_share "$(st icmp)" 0.01 0.03
check_eq dist_start_le_end "$(st badtime)" 0
check_eq dist_counters_numeric "$(st badnum)" 0
inrange dist_reply_records "$(st rev)" 0.2 0.45
inrange dist_distinct_pairs "$(st pairs)" 80000 200000
inrange dist_heavy_tail_talkers "$(st top1pct)" 0.25 0.9
inrange dist_heavy_tail_packets "$(st maxp)" 10000 250000
inrange dist_many_small_flows "$(st one)" 0.3 0.8
check_eq dist_accounts "$(st accounts)" 4
# SKIPDATA clusters on a few overloaded interfaces (one in 16), NODATA is
# everywhere; accepted inbound probes of scanned ports are handshakes (<= 3
# packets): the background holds no unlabelled admin-port session
awk 'NR > 1 && $14 == "NODATA" { nd[$3] = 1 } NR > 1 && $14 == "SKIPDATA" { sk[$3] = 1; nsk++ }
     END { a = 0; b = 0; for (i in nd) a++; for (i in sk) b++; print (nsk > 10 && b * 5 < a) ? "yes" : "no " nsk " " b " of " a }' big.log > t.txt
check_eq dist_skipdata_clustered "$(cat t.txt)" yes
awk 'NR > 1 && $14 == "OK" && $13 == "ACCEPT" && $4 !~ /^10\./ && $4 !~ /:/ && $5 ~ /^10\./ && ($7 == 22 || $7 == 3389 || $7 == 23 || $7 == 445 || $7 == 1433 || $7 == 3306 || $7 == 5900) { n++; if ($9 > 3) big++ }
     END { print (n > 50 && big == 0) ? "yes" : "no " n " " big }' big.log > t.txt
check_eq dist_inbound_probes_short "$(cat t.txt)" yes
# start times over the day (2026-11-20 = 1795132800), aggregation <= 600 s
awk 'NR > 1 { if ($12 < 1795132800 - 1 || $12 >= 1795132800 + 86400 + 3) bad++; if ($12 - $11 > 600) bad++ }
     END { print bad + 0 }' big.log > t.txt
check_eq dist_times_in_day "$(cat t.txt)" 0
# both intervals (60 s and 600 s flow logs) are used
awk 'NR > 1 && $14 == "OK" { d = $12 - $11; if (d > 60) long++; else short++ } END { print (long > 1000 && short > 1000) ? "yes" : "no" }' big.log > t.txt
check_eq dist_two_intervals "$(cat t.txt)" yes

# ---- S3 layouts ----------------------------------------------------------------
G --records 30000 --seed 5 --accounts 2 --layout s3 --gzip --gzip-level 1 --out s3
(cd s3 && find . -type f | sed 's#^\./##' | sort) > s3.list
re='^AWSLogs/([0-9]{12})/vpcflowlogs/([a-z0-9-]+)/([0-9]{4})/([0-9]{2})/([0-9]{2})/([0-9]{12})_vpcflowlogs_([a-z0-9-]+)_fl-[0-9a-f]{17}_([0-9]{8})T([0-9]{2})([0-9]{2})Z_[0-9a-f]{8}\.log\.gz$'
bad=0
while IFS= read -r k; do
  if [[ $k =~ $re ]]; then
    m=("${BASH_REMATCH[@]}")
    [ "${m[1]}" = "${m[6]}" ] && [ "${m[2]}" = "${m[7]}" ] && [ "${m[3]}${m[4]}${m[5]}" = "${m[8]}" ] && [ $((10#${m[10]} % 5)) -eq 0 ] || { bad=$((bad + 1)); echo "inconsistent: $k"; }
  else bad=$((bad + 1)); echo "bad key: $k"; fi
done < s3.list
check_eq s3_key_pattern "$bad" 0
check_eq s3_two_accounts "$(cut -d/ -f2 s3.list | sort -u | wc -l)" 2
check_eq s3_objects_per_5min "$(wc -l < s3.list)" "$(cut -d_ -f4,5 s3.list | sort -u | wc -l)"
# every object: header first, records' end time in the object's 5-minute window
bad=0
while IFS= read -r k; do
  ts=$(echo "$k" | sed -E 's/.*_([0-9]{8})T([0-9]{2})([0-9]{2})Z_.*/\1 \2:\3/')
  t0=$(date -u -d "${ts:0:4}-${ts:4:2}-${ts:6:2} ${ts:9}" +%s)
  zcat "s3/$k" | awk -v t0="$t0" -v acct="$(echo "$k" | cut -d/ -f2)" 'NR == 1 { if ($1 != "version") bad++; next }
     { if ($12 < t0 || $12 >= t0 + 300 || $2 != acct) bad++ } END { exit bad > 0 }' || { bad=$((bad + 1)); echo "window/account mismatch: $k"; }
done < <(head -40 s3.list)
check_eq s3_object_window_and_account "$bad" 0
# the S3 layout holds exactly the stream's records
G --records 30000 --seed 5 --accounts 2 --out s3stream.log
(cd s3 && find . -type f -name '*.gz' | sort | xargs zcat) | grep -v '^version' | sort > s3.recs
tail -n +2 s3stream.log | sort > stream.recs
check_eq s3_same_records_as_stream "$(md5sum < s3.recs)" "$(md5sum < stream.recs)"
# determinism of the whole tree
G --records 30000 --seed 5 --accounts 2 --layout s3 --gzip --gzip-level 1 --out s3b
check_eq s3_tree_deterministic "$(cd s3 && find . -type f | sort | xargs md5sum | md5sum)" "$(cd s3b && find . -type f | sort | xargs md5sum | md5sum)"
check_eq s3_no_temp_files "$(find s3 -name '.*' | wc -l)" 0

G --records 3000 --seed 5 --accounts 2 --layout s3-hive --hourly --out hive
re='^AWSLogs/aws-account-id=([0-9]{12})/aws-service=vpcflowlogs/aws-region=([a-z0-9-]+)/year=([0-9]{4})/month=([0-9]{2})/day=([0-9]{2})/hour=([0-9]{2})/([0-9]{12})_vpcflowlogs_([a-z0-9-]+)_fl-[0-9a-f]{17}_([0-9]{8})T([0-9]{2})[0-9]{2}Z_[0-9a-f]{8}\.log$'
bad=0
while IFS= read -r k; do
  if [[ $k =~ $re ]]; then
    m=("${BASH_REMATCH[@]}")
    [ "${m[1]}" = "${m[7]}" ] && [ "${m[2]}" = "${m[8]}" ] && [ "${m[3]}${m[4]}${m[5]}" = "${m[9]}" ] && [ "${m[6]}" = "${m[10]}" ] || { bad=$((bad + 1)); echo "inconsistent: $k"; }
  else bad=$((bad + 1)); echo "bad key: $k"; fi
done < <(cd hive && find . -type f | sed 's#^\./##')
check_eq s3_hive_hourly_key_pattern "$bad" 0
check_eq s3_hive_count "$(cd hive && find . -type f | xargs cat | grep -vc '^version')" 3000

# ---- gzip ---------------------------------------------------------------------------
G --records 20000 --seed 7 --gzip --out a.log.gz
check gzip_valid gzip -t a.log.gz
check_eq gzip_same_text "$(zcat a.log.gz | md5sum)" "$(md5sum < a.log)"
G --records 20000 --seed 7 --gzip-member-bytes 100000 --out m.log.gz
check_eq gzip_multi_member_text "$(zcat m.log.gz | md5sum)" "$(md5sum < a.log)"
members=$(node -e '
  const zlib = require("zlib"); const b = require("fs").readFileSync(process.argv[1]);
  // count members by walking: inflateRaw each member body and skip its trailer
  let off = 0, n = 0;
  while (off < b.length) {
    if (b[off] !== 0x1f || b[off + 1] !== 0x8b) { console.log("bad-magic"); process.exit(0); }
    const body = b.subarray(off + 10);
    const inf = zlib.inflateRawSync(body, { info: true });
    off += 10 + inf.engine.bytesWritten + 8; n++;
  }
  console.log(n);' m.log.gz 2>&1)
inrange gzip_multi_member_count "$members" 10 40

# ---- formats ---------------------------------------------------------------------
G --records 5000 --seed 2 --aws-format '${srcaddr} ${dstaddr} ${bytes} ${action} ${version} ${interface-id} ${flow-direction}' --out cust.log
check_eq custom_header "$(head -1 cust.log)" "srcaddr dstaddr bytes action version interface-id flow-direction"
check_eq custom_fields "$(awk 'NR > 1 && NF != 7' cust.log | wc -l)" 0
check_eq custom_version_is_highest "$(awk 'NR > 1 { print $5 }' cust.log | sort -u | tr '\n' ' ')" "5 "
check_eq custom_direction_values "$(awk 'NR > 1 { print $7 }' cust.log | sort -u | tr '\n' ' ')" "- egress ingress "
G --records 5000 --seed 2 --format aws-v5 --out v5.log
check_eq v5_fields "$(awk 'NR > 1 && NF != 29' v5.log | wc -l)" 0
check_eq v5_version "$(awk 'NR > 1 { print $1 }' v5.log | sort -u)" 5
# egress: srcaddr is the interface's own (private) address; traffic-path only on egress
check_eq v5_egress_src_private "$(awk 'NR > 1 && $28 == "egress" && $4 !~ /^10\./ && $4 !~ /^2600:/' v5.log | wc -l)" 0
check_eq v5_ingress_no_path "$(awk 'NR > 1 && $28 == "ingress" && $29 != "-"' v5.log | wc -l)" 0
check_eq v5_type "$(awk 'NR > 1 && $14 == "OK" { print $19 }' v5.log | sort -u | tr '\n' ' ')" "IPv4 IPv6 "
G --records 3000 --seed 2 --format aws-tgw --out tgw.log
check_eq tgw_fields "$(awk 'NR > 1 && NF != 36' tgw.log | wc -l)" 0
check_eq tgw_version "$(awk 'NR > 1 { print $1 }' tgw.log | sort -u)" 6
check_eq tgw_resource_type "$(awk 'NR > 1 { print $2 }' tgw.log | sort -u | tr '\n' ' ')" "TransitGateway TransitGatewayAttachment "
check_eq tgw_header_start "$(head -1 tgw.log | cut -d' ' -f1-5)" "version resource-type account-id tgw-id tgw-attachment-id"
G --records 100 --no-header --out nh.log
check_eq no_header "$(grep -c '^version' nh.log)" 0

# ---- misuse ---------------------------------------------------------------------
"$FL" generate --bogus >/dev/null 2>e.txt; check_eq misuse_unknown_option "$?" 2
"$FL" generate --layout s3 >/dev/null 2>e.txt; check_eq misuse_layout_needs_out "$?" 2
"$FL" generate --aws-format '${nope}' >/dev/null 2>e.txt; rc=$?
check_eq misuse_unknown_field "$rc:$(grep -c "unknown field 'nope'" e.txt)" "2:1"
"$FL" generate --day 2026-13-01 >/dev/null 2>e.txt; check_eq misuse_bad_day "$?" 2
"$FL" generate --format azure-nsg --gzip --layout azure --out x >/dev/null 2>e.txt; check_eq misuse_gzip_azure "$?" 2
"$FL" generate --out /proc/nope/x.log --records 10 2>e.txt; rc=$?
check_eq unwritable_output "$rc:$(grep -c 'cannot' e.txt)" "2:1"

# ---- planted incidents ----------------------------------------------------------------
G --records 20000 --seed 11 --accounts 2 --out bg.log
G --records 20000 --seed 11 --accounts 2 --incidents all --truth inc.json --out inc.log
check_eq incidents_background_unchanged "$(tail -n +2 bg.log | sort | comm -23 - <(tail -n +2 inc.log | sort) | wc -l)" 0
node -e '
const t = JSON.parse(require("fs").readFileSync("inc.json"));
const lines = require("fs").readFileSync("inc.log", "utf8").trim().split("\n").slice(1).map((l) => l.split(" "));
const out = [], p = (n, ok, why) => out.push(ok ? `PASS '"$T"'/incidents_${n}` : `FAIL '"$T"'/incidents_${n}: ${why}`);
const planted = t.incidents.reduce((s, i) => s + i.records, 0);
p("total_records", t.records === 20000 + planted && lines.length === t.records, `${t.records} vs ${lines.length} vs 20000+${planted}`);
p("all_kinds", t.incidents.map((i) => i.kind).join() === "scan,sweep,bruteforce,admin,exfil,beacon,flood", t.incidents.map((i) => i.kind).join());
const by = (k) => t.incidents.find((i) => i.kind === k);
const sel = (f) => lines.filter(f);
let i = by("scan"), r = sel((l) => l[3] === i.srcaddr && l[4] === i.dstaddr);
p("scan", r.length === i.records && new Set(r.map((l) => l[6])).size === 400 && r.every((l) => l[12] === "REJECT"), `${r.length} records`);
i = by("sweep"); r = sel((l) => l[3] === i.srcaddr && l[6] === "22");
p("sweep", r.length === 150 && new Set(r.map((l) => l[4])).size === 150 && r.every((l) => l[12] === "REJECT"), `${r.length}`);
i = by("bruteforce"); r = sel((l) => l[3] === i.srcaddr && l[4] === i.dstaddr && l[6] === "22");
p("bruteforce", r.length === 180 && r.every((l) => l[12] === "ACCEPT") && +r[r.length - 1][11] - +r[0][11] > 1200, `${r.length}`);
i = by("admin"); r = sel((l) => l[3] === i.srcaddr && l[6] === "3389" && l[12] === "ACCEPT");
p("admin", r.length === 3, `${r.length}`);
i = by("exfil"); r = sel((l) => l[3] === i.srcaddr && l[4] === i.dstaddr);
const back = sel((l) => l[3] === i.dstaddr && l[4] === i.srcaddr);
const up = r.reduce((s, l) => s + +l[9], 0), down = back.reduce((s, l) => s + +l[9], 0);
p("exfil", up > 4e9 && up / down > 100, `up ${up} down ${down}`);
i = by("beacon"); r = sel((l) => l[3] === i.srcaddr && l[4] === i.dstaddr).map((l) => +l[11]).sort((a, b) => a - b);
const gaps = r.slice(1).map((x, k) => x - r[k]);
p("beacon", r.length === 1440 && gaps.every((g) => g >= 57 && g <= 63), `${r.length} records, gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
i = by("flood"); r = sel((l) => l[3] === i.srcaddr && l[4] === i.dstaddr && l[7] === "17");
p("flood", r.length === 10 && r.reduce((s, l) => s + +l[8], 0) > 1e7, `${r.length}`);
console.log(out.join("\n"));'
"$FL" generate --incidents nope --out x.log >/dev/null 2>e.txt; check_eq misuse_unknown_incident "$?:$(grep -c "unknown incident 'nope'" e.txt)" "2:1"
"$FL" generate --format gcp --incidents scan --out x.log >/dev/null 2>&1; check_eq misuse_incidents_gcp "$?" 2
