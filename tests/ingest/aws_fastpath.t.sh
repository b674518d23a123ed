# SPDX-License-Identifier: Apache-2.0
# aws_fastpath.t.sh - the AWS text parser's fast paths (line_v2 for the
# default v2 layout, line_fast for any other layout, fmt_aws_vpc.c) give
# exactly what the general field-by-field path gives.  Differential: the
# same file with every space doubled never takes a fast path (a run of
# spaces sends a line to the general path), so both must print the same
# records, rejects and counts (only source_offset moves, and is dropped).
# Inputs: generated v2, v5, custom-order and TGW logs, plus hand-made edge
# lines (long and leading-zero numbers, int32 overflow, IPv6, '-', bad
# words, trailing fields) in the v2 and a custom layout.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
export TZ=UTC LC_ALL=C

edge_v2='2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 49152 6 10 840 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 0443 49152 6 10 840 1700000000 1700000060 REJECT OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 2147483648 6 10 840 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 2147483647 6 10 840 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 12345678901234567 9223372036854775807 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1234567890123456 99999999999999999999 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 2001:db8::1 2001:db8::2 443 80 6 1 1 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.256 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.01 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 - - - - - - - 1700000000 1700000060 - NODATA
2 unknown eni-1 - - - - - - - 1700000000 1700000060 - SKIPDATA
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPTED OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT FINE
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT OK EXTRA
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 -6 1 1 1700000000 1700000060 ACCEPT OK
2 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT OK 
2 1 e 1.1.1.1 2.2.2.2 1 1 1 1 1 1 1 REJECT OK
3 123456789012 eni-1 10.0.0.1 10.0.0.2 443 80 6 1 1 1700000000 1700000060 ACCEPT OK'
edge_custom='srcport dstaddr action bytes version srcaddr log-status start
443 10.0.0.2 ACCEPT 840 5 10.0.0.1 OK 1700000000
443 10.0.0.2 ACCEPT 840 5 10.0.0.1 OK 17000000000000001
443 10.0.0.2 ACCEPT 840 5 10.0.0.1 OK 2
443 10.0.0.2 REJECT - 5 10.0.0.1 NODATA -
99999999999 10.0.0.2 ACCEPT 840 5 10.0.0.1 OK 1700000000
443 10.0.0.2 ACCEPT 840 5 10.0.0.1 OK
443 2001:db8::2 ACCEPT 840 5 ::1 OK 1700000000 1
443 2001:db8::2 ACCEPT 840 5 ::1 OK 1700000000'

"$FL" generate --records 3000 --seed 11 --quiet >v2.log
"$FL" generate --records 3000 --seed 12 --format aws-v5 --quiet >v5.log
"$FL" generate --records 3000 --seed 13 --format aws-custom --quiet \
  --aws-format '${dstport} ${srcaddr} ${action} ${bytes} ${version} ${interface-id} ${dstaddr} ${start} ${protocol} ${end} ${log-status} ${srcport} ${packets} ${account-id}' >custom.log
"$FL" generate --records 3000 --seed 14 --format aws-tgw --quiet >tgw.log
{ echo 'version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes start end action log-status'
  echo "$edge_v2"; } >edge_v2.log
echo "$edge_custom" >edge_custom.log

# records without source_offset / source_object, and the --stats lines
# without names, byte counts and memory
norm() { sed -e 's/"source_offset":[0-9]*,\{0,1\}//' -e 's/"source_object":"[^"]*",\{0,1\}//'; }
nstats() {
  sed -e 's/^input [^ ]* /input X /' -e 's/^  [^ :]*:\([0-9]*\): \([a-z_]*\):.*/  X:\1: \2/' \
    -e 's/ bytes_in=[0-9]*//' -e 's/ bytes=[0-9]*//' -e 's/ peak_rss_kb=[0-9]*//' "$1"
}
for f in v2 v5 custom tgw edge_v2 edge_custom; do
  sed 's/ /  /g' "$f.log" >"$f.wide.log"
  "$FL" cat --format ndjson "$f.log" --stats 2>"$f.st" | norm >"$f.out"
  "$FL" cat --format ndjson "$f.wide.log" --stats 2>"$f.wide.st" | norm >"$f.wide.out"
  n=$(wc -l <"$f.out")
  if [ "$n" -gt 3 ]; then pass "$f/rows" "$n"; else fail "$f/rows" "$n rows"; fi
  check_file_eq "$f/fast-vs-general" "$f.out" "$f.wide.out"
  nstats "$f.st" >"$f.sst"; nstats "$f.wide.st" >"$f.wide.sst"
  check_file_eq "$f/stats" "$f.sst" "$f.wide.sst"
done
# the edge files do reject lines (the differential covers rejects too)
check edge_v2/has-rejects grep -q 'records_rejected=[1-9]' edge_v2.st
check edge_custom/has-rejects grep -q 'records_rejected=[1-9]' edge_custom.st
