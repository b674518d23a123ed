# SPDX-License-Identifier: Apache-2.0
# azure_hostile.t.sh - hostile JSON through `flowsift cat`: a 100 MB record
# (too_big, bounded memory, the next record kept), nesting 100 000 deep
# (too_deep), invalid UTF-8, duplicate keys, numbers out of range, junk
# between records, a truncated blob; a 100 MB stream of normal records on
# stdin with bounded memory; a bad file among good ones; --strict and
# --rejects.  Every case: records_read == parsed + rejected.
. "$FL_ROOT/tests/lib.sh"
D=$FL_ROOT/tests/data/ingest/azure
REC=$(head -1 "$D/elastic_integrations_azure_network_watcher_nsg_test-nsg.log")   # 1 E tuple
VREC=$(head -1 "$D/elastic_integrations_azure_network_watcher_vnet_test-vnet.log") # B + E tuples
st() { grep '^input ' "$1" | tr ' ' '\n' | sed -n "s/^$2=//p"; }
rss() { sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$1"; }
# sanitizer builds (redzones, quarantine) need more memory for the same work
SCALE=1; grep -q __asan_init "$FL" && SCALE=4
invariant() { # name stats-file
  local r p j
  r=$(st "$2" records_read); p=$(st "$2" records_parsed); j=$(st "$2" records_rejected)
  check_eq "$1/read=parsed+rejected" "$r" "$((p + j))"
}
run() { # name file expected "parsed rejected" reason [args]
  local n=$1 f=$2 want=$3 why=$4; shift 4
  "$FL" cat "$f" --input-format azure-nsg --stats "$@" >"$FL_TMP/$n.out" 2>"$FL_TMP/$n.stats"
  check_eq "$n/counts" "$(st "$FL_TMP/$n.stats" records_parsed) $(st "$FL_TMP/$n.stats" records_rejected)" "$want"
  [ "$why" != - ] && check_eq "$n/reason" "$(st "$FL_TMP/$n.stats" "rejected.$why")" 1
  invariant "$n" "$FL_TMP/$n.stats"
}
# a 100 MB string in one record, then a good record
python3 -c "import sys; sys.stdout.write('{\"records\":[{\"time\":\"'+'a'*(100<<20)+'\",\"properties\":{\"flows\":[]}},'+sys.argv[1]+']}')" "$REC" >"$FL_TMP/big.json"
run big "$FL_TMP/big.json" "1 1" too_big
r=$(rss "$FL_TMP/big.stats"); check big/rss-bounded test "$r" -lt $((80000 * SCALE))
rm -f "$FL_TMP/big.json"
# nesting 100 000 deep, then a good record
python3 -c "import sys; sys.stdout.write('{\"records\":[{\"x\":'+'['*100000+']'*100000+'},'+sys.argv[1]+']}')" "$REC" >"$FL_TMP/deep.json"
run deep "$FL_TMP/deep.json" "1 1" too_deep
# the same, never closed: one too_deep, nothing else, no hang
python3 -c "import sys; sys.stdout.write('{\"records\":['+sys.argv[1]+',{\"x\":'+'['*3000000)" "$REC" >"$FL_TMP/deep2.json"
run deep-open "$FL_TMP/deep2.json" "1 1" too_deep
# invalid UTF-8 inside a string
printf '{"records":[{"time":"\xc3\x28","properties":{"flows":[]}},%s]}' "$REC" >"$FL_TMP/utf8.json"
run utf8 "$FL_TMP/utf8.json" "1 1" bad_encoding
# duplicate key: the record is rejected (documented), the next one kept
printf '{"records":[{"resourceId":"a","resourceId":"b","properties":{"flows":[]}},%s]}' "$REC" >"$FL_TMP/dup.json"
run dup "$FL_TMP/dup.json" "1 1" bad_json
# numbers out of range: a version and a tuple counter
printf '{"records":[{"properties":{"Version":1e999,"flows":[]}},{"properties":{"Version":123456789012345678901234,"flows":[]}},%s]}' "$REC" >"$FL_TMP/num.json"
run num "$FL_TMP/num.json" "1 2" number_range
printf '%s\n' "${REC/,1,66,1,66/,1,99999999999999999999,1,66}" >"$FL_TMP/num2.json"
run num-tuple "$FL_TMP/num2.json" "0 1" number_range
# junk between records, and a record with mismatched brackets
printf '{"records":[%s, GARBAGE ]] %s,{"properties":{"flows":[}},%s]}' "$REC" "$VREC" "$REC" >"$FL_TMP/junk.json"
run junk "$FL_TMP/junk.json" "4 2" -
check_eq junk/bad_json "$(st "$FL_TMP/junk.stats" rejected.bad_json)" 2
# truncated blob (read mid-append): the complete records, no reject
printf '{"records":[%s,%s' "$REC" "${VREC:0:200}" >"$FL_TMP/trunc.json"
run trunc "$FL_TMP/trunc.json" "1 0" -
# --rejects keeps the whole bad record; samples name file:line
run rej "$FL_TMP/dup.json" "1 1" bad_json --rejects "$FL_TMP/rej.txt"
check rej/whole-record grep -q '"resourceId":"a","resourceId":"b"' "$FL_TMP/rej.txt"
check rej/sample grep -q 'dup.json:1: bad_json' "$FL_TMP/rej.stats"
# --strict: the first bad record fails the input (exit 2) naming file:line
"$FL" cat "$FL_TMP/dup.json" --input-format azure-nsg --strict >/dev/null 2>"$FL_TMP/strict.err"
check_eq strict/exit "$?" 2
check strict/message grep -q 'dup.json:1: bad_json' "$FL_TMP/strict.err"
# a bad file among good ones: clear error, the others still read, exit 2
head -c 3000 /dev/urandom >"$FL_TMP/binary.json"
"$FL" cat "$D/azure_docs_nsg-flow-logs-overview.v2-sample.json" "$FL_TMP/binary.json" "$D/azure_docs_vnet-flow-logs-overview.sample.json" --stats >"$FL_TMP/multi.out" 2>"$FL_TMP/multi.err"
check_eq multi/exit "$?" 2
check_eq multi/rows "$(wc -l <"$FL_TMP/multi.out")" 30
check multi/error grep -q 'binary.json' "$FL_TMP/multi.err"
# 100 MB of normal records on stdin: streamed with bounded memory
node -e '
  const rec = process.argv[1]; const n = Math.ceil(100 * 1048576 / (rec.length + 1));
  let out = "{\"records\":[", chunk = [];
  process.stdout.write(out);
  for (let i = 0; i < n; i++) { chunk.push(rec); if (chunk.length === 1000 || i === n - 1) { process.stdout.write((i >= 1000 ? "," : "") + chunk.join(",")); chunk = []; } }
  process.stdout.write("]}");' "$REC" | "$FL" cat - --input-format azure-nsg --stats >/dev/null 2>"$FL_TMP/stream.stats"
n=$(st "$FL_TMP/stream.stats" records_parsed)
check stream/parsed test "$n" -gt 190000
check_eq stream/rejected "$(st "$FL_TMP/stream.stats" records_rejected)" 0
r=$(rss "$FL_TMP/stream.stats"); check stream/rss-bounded test "$r" -lt $((64000 * SCALE))
# a truncated gzip blob: the records before the cut are returned and
# counted, then a clear error naming the file (exit 2)
for i in $(seq 600); do cat "$D/azure_docs_nsg-flow-logs-overview.v2-sample.json"; done | gzip -c >"$FL_TMP/full.gz"
n=$(wc -c <"$FL_TMP/full.gz"); head -c $((n / 2)) "$FL_TMP/full.gz" >"$FL_TMP/cut.json.gz"
"$FL" cat "$FL_TMP/cut.json.gz" --stats >"$FL_TMP/cut.out" 2>"$FL_TMP/cut.stats"
check_eq gzip-cut/exit "$?" 2
check gzip-cut/message grep -q 'cut.json.gz: truncated gzip' "$FL_TMP/cut.stats"
p=$(st "$FL_TMP/cut.stats" records_parsed)
check gzip-cut/some-rows test "$p" -gt 1000
check_eq gzip-cut/rows-counted "$(wc -l <"$FL_TMP/cut.out")" "$p"
