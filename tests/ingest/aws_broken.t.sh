# SPDX-License-Identifier: Apache-2.0
# aws_broken.t.sh - hostile and broken inputs (tests/data/ingest/aws_broken
# plus a few made here): every bad record is counted by reason and sampled
# with file:line, a failed input gets one clear line naming it while the
# others go on, exit status 2 when an input failed, records_read == parsed +
# rejected for every input, and memory stays bounded on huge lines.
. "$FL_ROOT/tests/lib.sh"
D=$FL_ROOT/tests/data/ingest/aws_broken
cd "$D" || exit 1
stat_of() { # FILE KEY: value of KEY= on the "input" line of a --stats output
  grep '^input ' "$1" | head -1 | tr ' ' '\n' | sed -n "s/^$2=//p"
}
invariant() { # NAME STATSFILE: read == parsed + rejected on every input line
  local bad
  bad=$(grep '^input .*records_read' "$2" | awk '{r=p=j=0; for(i=1;i<=NF;i++){split($i,kv,"="); if(kv[1]=="records_read")r=kv[2]; if(kv[1]=="records_parsed")p=kv[2]; if(kv[1]=="records_rejected")j=kv[2]} if (r!=p+j) print}')
  if [ -z "$bad" ] && grep -q '^input .*records_read' "$2"; then pass "$1"; else fail "$1" "$bad"; fi
}

# -- per-file reasons and counts: FILE read parsed rejected reason=count
while IFS='|' read -r f want reason; do
  "$FL" cat "$f" --stats >"$FL_TMP/out" 2>"$FL_TMP/st"
  check_eq "$f/exit" "$?" 0
  got="$(stat_of "$FL_TMP/st" records_read) $(stat_of "$FL_TMP/st" records_parsed) $(stat_of "$FL_TMP/st" records_rejected)"
  check_eq "$f/counts" "$got" "$want"
  check_eq "$f/rows-printed" "$(wc -l <"$FL_TMP/out")" "$(echo "$want" | cut -d' ' -f2)"
  [ -n "$reason" ] && check "$f/reason" grep -q "rejected\.$reason" "$FL_TMP/st"
  invariant "$f/invariant" "$FL_TMP/st"
done <<'LIST'
field_count.log|5 2 3|field_count=3
bad_ip.log|5 2 3|bad_ip=3
bad_numbers.log|6 1 5|number_range=4
bad_action.log|5 2 3|bad_action=2
crlf_switch.log|4 4 0|
empty.log|0 0 0|
good.log.gz|2 2 0|
LIST
"$FL" cat bad_numbers.log --stats >/dev/null 2>"$FL_TMP/st"
check bad_numbers/bad_number grep -q 'rejected.bad_number=1' "$FL_TMP/st"
check bad_numbers/int64-max-kept sh -c "'$FL' cat bad_numbers.log --columns bytes | grep -q '\"bytes\":9223372036854775807'"
check bad_action/bad_value grep -q 'rejected.bad_value=1' <("$FL" cat bad_action.log --stats 2>&1 >/dev/null)
check bad_action/sample grep -q '^  bad_action.log:3: bad_action: 2 123456789012 .* ALLOW OK' <("$FL" cat bad_action.log --stats 2>&1 >/dev/null)
# unknown header fields go to `extra` as a JSON object of strings ('-' -> null)
"$FL" cat crlf_switch.log --columns extra >"$FL_TMP/extra.out"
check crlf/extra-json node -e '
const l = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n");
const a = JSON.parse(JSON.parse(l[2]).extra), b = JSON.parse(JSON.parse(l[3]).extra);
if (a["my-new-field"] !== "\"quoted\\value\"" || b["my-new-field"] !== null || l.length !== 4) process.exit(1);' "$FL_TMP/extra.out"
check crlf/headers-blank grep -q 'headers=3 blank=2' <("$FL" cat crlf_switch.log --stats 2>&1 >/dev/null)

# -- failed inputs: one line naming the file, the others go on, exit 2
"$FL" cat field_count.log truncated.log.gz binary.bin "$FL_TMP/does-not-exist.log" bad_crc.log.gz \
  binary_after_text.log empty.log good.log.gz --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check_eq mixed/exit "$?" 2
check_eq mixed/rows "$(wc -l <"$FL_TMP/out")" 4
check mixed/truncated grep -q '^flowsift: truncated.log.gz: truncated gzip' "$FL_TMP/err"
check mixed/crc grep -q '^flowsift: bad_crc.log.gz: gzip CRC mismatch' "$FL_TMP/err"
check mixed/binary grep -q '^flowsift: binary.bin: binary data' "$FL_TMP/err"
check mixed/binary-after-text grep -q '^flowsift: binary_after_text.log: binary data' "$FL_TMP/err"
check mixed/missing grep -q "^flowsift: $FL_TMP/does-not-exist.log: cannot read: No such file" "$FL_TMP/err"
check_eq mixed/one-line-each "$(grep -c '^flowsift: ' "$FL_TMP/err")" 5
check mixed/total grep -q '^total - .*records_read=7 records_parsed=4 records_rejected=3' "$FL_TMP/err"
invariant mixed/invariant "$FL_TMP/err"
# an unreadable file (permissions) when not running as a user that bypasses them
cp field_count.log "$FL_TMP/noperm.log"; chmod 000 "$FL_TMP/noperm.log"
if [ "$(id -u)" = 0 ]; then
  pass unreadable/skipped-as-root
else
  "$FL" cat "$FL_TMP/noperm.log" >/dev/null 2>"$FL_TMP/err"; check_eq unreadable/exit "$?" 2
fi
# a folder is walked in sorted order; hidden and _temporary names skipped
mkdir -p "$FL_TMP/tree/b/c" "$FL_TMP/tree/.hidden" "$FL_TMP/tree/_tmp"
zcat good.log.gz >"$FL_TMP/tree/b/c/2.log"; cp good.log.gz "$FL_TMP/tree/a.log.gz"
cp bad_ip.log "$FL_TMP/tree/.x.log"; cp bad_ip.log "$FL_TMP/tree/.hidden/y.log"; cp bad_ip.log "$FL_TMP/tree/_tmp/z.log"
"$FL" cat "$FL_TMP/tree" --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check_eq walk/exit "$?" 0
check_eq walk/order "$(grep '^input ' "$FL_TMP/err" | awk '{print $2}' | sed "s#$FL_TMP/##" | tr '\n' ' ')" "tree/a.log.gz tree/b/c/2.log "
check_eq walk/rows "$(wc -l <"$FL_TMP/out")" 4

# -- strict: the first bad record is an error naming file:line
"$FL" cat field_count.log good.log.gz --strict >"$FL_TMP/out" 2>"$FL_TMP/err"
check_eq strict/exit "$?" 2
check strict/where grep -q '^flowsift: field_count.log:3: field_count: ' "$FL_TMP/err"
check_eq strict/stops-at-first-file "$(wc -l <"$FL_TMP/out")" 1
"$FL" cat field_count.log --strict --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check strict/counts grep -q '^input field_count.log .*records_read=2 records_parsed=1 records_rejected=1' "$FL_TMP/err"
# -- --rejects keeps each rejected line whole
"$FL" cat field_count.log bad_ip.log --rejects "$FL_TMP/rej.txt" >/dev/null 2>&1
check_eq rejects/count "$(wc -l <"$FL_TMP/rej.txt")" 6
check rejects/whole grep -qx '2 123456789012 eni-0a1b2c3d4e5f67890 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK EXTRA' "$FL_TMP/rej.txt"
# -- without --stats a file with rejects still gets one summary line
check summary-line grep -q '^flowsift: bad_ip.log: 3 of 5 records rejected (first: line 3: bad_ip)' <("$FL" cat bad_ip.log 2>&1 >/dev/null)

# -- gzip: multi-member, the zlib fallback gives the same records
cat good.log.gz good.log.gz >"$FL_TMP/multi.log.gz"
check_eq gzip/multi-member "$("$FL" cat "$FL_TMP/multi.log.gz" | wc -l)" 4
check_eq gzip/multi-headers "$("$FL" cat "$FL_TMP/multi.log.gz" --stats 2>&1 >/dev/null | stat_of /dev/stdin headers)" 2
"$FL" cat "$FL_TMP/multi.log.gz" >"$FL_TMP/isal.out"
FLOWSIFT_INFLATE=zlib "$FL" cat "$FL_TMP/multi.log.gz" >"$FL_TMP/zlib.out"
check_file_eq gzip/zlib-same "$FL_TMP/zlib.out" "$FL_TMP/isal.out"
FLOWSIFT_INFLATE=zlib "$FL" cat truncated.log.gz >/dev/null 2>"$FL_TMP/err"
check gzip/zlib-truncated grep -q 'truncated.log.gz: truncated gzip' "$FL_TMP/err"
# a big gzip cut in the middle: the records before the cut are printed, then the error
{ zcat good.log.gz | head -1; zcat good.log.gz | sed -n 2p | awk '{for(i=0;i<20000;i++)print}'; } | gzip -c >"$FL_TMP/big.log.gz"
sz=$(stat -c %s "$FL_TMP/big.log.gz"); head -c $((sz / 2)) "$FL_TMP/big.log.gz" >"$FL_TMP/cut.log.gz"
"$FL" cat "$FL_TMP/cut.log.gz" good.log.gz --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check_eq gzip/cut-exit "$?" 2
check gzip/cut-message grep -q 'cut.log.gz: truncated gzip' "$FL_TMP/err"
n=$(wc -l <"$FL_TMP/out")
if [ "$n" -gt 100 ] && [ "$n" -lt 20002 ]; then pass gzip/cut-partial-rows; else fail gzip/cut-partial-rows "$n rows"; fi
invariant gzip/cut-invariant "$FL_TMP/err"

# -- a 100 MB line: one line_too_long reject, the next line still parses
{ zcat good.log.gz | head -2; head -c 100000000 /dev/zero | tr '\0' 'a'; echo; zcat good.log.gz | sed -n 3p; } >"$FL_TMP/long.log"
"$FL" cat "$FL_TMP/long.log" --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check_eq longline/exit "$?" 0
check_eq longline/rows "$(wc -l <"$FL_TMP/out")" 2
check longline/reason grep -q 'rejected.line_too_long=1' "$FL_TMP/err"
check longline/sample grep -q 'long.log:3: line_too_long: aaaa' "$FL_TMP/err"
rss=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$FL_TMP/err")
if [ -n "$rss" ] && [ "$rss" -lt 65536 ]; then pass longline/rss; else fail longline/rss "peak ${rss} KiB"; fi
rm -f "$FL_TMP/long.log"

# -- 1 GB without a newline through stdin: bounded memory (< 64 MB RSS)
head -c 1000000000 /dev/zero | tr '\0' 'x' | "$FL" cat - --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check_eq stdin1g/exit "$?" 0
check stdin1g/reason grep -q 'rejected.line_too_long=1' "$FL_TMP/err"
check stdin1g/bytes grep -q 'bytes=1000000000 ' "$FL_TMP/err"
rss=$(sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$FL_TMP/err")
if [ -n "$rss" ] && [ "$rss" -lt 65536 ]; then pass stdin1g/rss; else fail stdin1g/rss "peak ${rss} KiB"; fi

# -- header-less input without --aws-format: 14 fields starting with 2 = default v2,
#    anything else is no_format
printf '%s\n' 'hello world' '2 123456789012 eni-1 10.0.0.1 10.0.0.2 1 2 6 1 1 1 2 ACCEPT OK' >"$FL_TMP/nohdr.log"
"$FL" cat "$FL_TMP/nohdr.log" --stats >"$FL_TMP/out" 2>"$FL_TMP/err"
check nohdr/no_format grep -q 'rejected.no_format=1' "$FL_TMP/err"
check_eq nohdr/rows "$(wc -l <"$FL_TMP/out")" 1
check_eq bad-aws-format "$("$FL" cat "$FL_TMP/nohdr.log" --aws-format '${version} ${bad field' >/dev/null 2>&1; echo $?)" 2
