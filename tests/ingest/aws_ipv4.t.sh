# SPDX-License-Identifier: Apache-2.0
# aws_ipv4.t.sh - the v2 fast path checks IPv4 addresses 16 bytes at once
# (ip4_token16 in fmt_aws_vpc.c, bit masks instead of an octet walk).  It
# must accept exactly the dotted quads the general path accepts: 1-3 digits
# per octet, no leading zero, <= 255, four octets.  Thousands of generated
# near-addresses (leading zeros, 255/256/260/300, 4-digit octets, empty
# octets, trailing and doubled dots, 15 and 16 bytes long, letters) go in as
# srcaddr and dstaddr of v2 lines; the rows kept must be the ones an
# independent awk check calls valid, and the same file with doubled spaces
# (general path, valid_ip's walk) must give the same records and rejects.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
export TZ=UTC LC_ALL=C

# candidates: one per line, deterministic
awk 'BEGIN {
  srand(7);
  split("0 1 9 10 01 00 001 010 99 100 199 200 209 249 250 251 255 256 259 260 299 300 355 999 1000 25 2 5", oct, " ");
  no = 0; for (k in oct) no++;
  for (i = 0; i < 6000; i++) {
    if (i % 3 == 2) { # random bytes of digits and dots, sometimes a letter
      n = 1 + int(rand() * 16); s = "";
      for (j = 0; j < n; j++) { r = rand(); s = s (r < 0.25 ? "." : (r < 0.27 ? "x" : int(rand() * 10))); }
    } else {
      nparts = (rand() < 0.9) ? 4 : 3 + 2 * int(rand() * 2);
      s = "";
      for (j = 0; j < nparts; j++) s = s (j ? "." : "") oct[1 + int(rand() * no)];
      if (rand() < 0.05) s = s ".";
      if (rand() < 0.05) s = "." s;
      if (rand() < 0.03) sub(/\./, "..", s);
    }
    print s;
  }
  for (i = 0; i < 2000; i++) # plain addresses of every length
    printf "%d.%d.%d.%d\n", int(rand() * 256), int(rand() * 256), int(rand() * 256), int(rand() ^ 3 * 256);
  print "255.255.255.255"; print "255.255.255.2555"; print "1.2.3.4"; print "0.0.0.0";
  print "1.2.3.04"; print "1.2.3.256"; print "123.123.123.123"; print "1.2.3"; print "1.2.3.4.5";
}' >cand.txt

# the independent check: four parts of 1-3 digits, no leading zero, <= 255
valid() {
  awk '{ n = split($0, p, "."); ok = (n == 4);
         for (i = 1; ok && i <= 4; i++)
           ok = p[i] ~ /^[0-9][0-9]?[0-9]?$/ && !(length(p[i]) > 1 && substr(p[i], 1, 1) == "0") && p[i] + 0 <= 255;
         print ok ? "1" : "0" }' "$1"
}
valid cand.txt >cand.ok
want=$(grep -c 1 cand.ok)
total=$(wc -l <cand.txt)

{ echo 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
  awk '{ printf "2 123456789012 eni-0a1b2c3d4e5f60718 %s 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK\n", $0;
         printf "2 123456789012 eni-0a1b2c3d4e5f60718 10.0.0.1 %s 443 49152 6 10 840 1700000000 1700000060 REJECT OK\n", $0 }' cand.txt
} >ip.log
sed 's/ /  /g' ip.log >ip.wide.log

norm() { sed -e 's/"source_offset":[0-9]*,\{0,1\}//' -e 's/"source_object":"[^"]*",\{0,1\}//'; }
"$FL" cat --format ndjson ip.log --stats 2>ip.st | norm >ip.out
"$FL" cat --format ndjson ip.wide.log --stats 2>ip.wide.st | norm >ip.wide.out

got=$(wc -l <ip.out)
if [ "$want" -gt 1000 ] && [ "$want" -lt "$total" ]; then pass "ipv4/mix" "$want of $total valid"; else fail "ipv4/mix" "$want of $total valid: not a mix"; fi
if [ "$got" -eq $((2 * want)) ]; then pass "ipv4/rows-kept" "$got"; else fail "ipv4/rows-kept" "$got rows, want $((2 * want))"; fi
check_file_eq "ipv4/fast-vs-general" ip.out ip.wide.out
# the valid candidates, in order, are the srcaddr values kept
awk 'NR == FNR { ok[FNR] = $1; next } ok[FNR] == 1' cand.ok cand.txt >want_src.txt
sed -n 's/.*"srcaddr":"\([^"]*\)".*"dstaddr":"10\.0\.0\.2".*/\1/p' ip.out >got_src.txt
check_file_eq "ipv4/srcaddr-values" want_src.txt got_src.txt
rej=$(sed -n 's/.*records_rejected=\([0-9]*\).*/\1/p' ip.st | head -1)
if [ "$rej" = $((2 * (total - want))) ]; then pass "ipv4/rejects" "$rej"; else fail "ipv4/rejects" "$rej, want $((2 * (total - want)))"; fi
grep -q 'bad_ip' ip.st && pass "ipv4/reason" || fail "ipv4/reason" "no bad_ip in --stats"
