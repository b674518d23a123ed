# SPDX-License-Identifier: Apache-2.0
# gz_thread.t.sh - the inflate thread (src/ingest/input.c) changes nothing
# but speed: a .gz larger than the thread threshold and than several ring
# slots, a multi-member .gz cut mid-line at member boundaries, a truncated
# .gz and a corrupt .gz give exactly the rows, --stats counts, reject
# samples (line numbers) and error lines of the synchronous path
# (FLOWSIFT_INFLATE_THREAD=0), of the zlib fallback and of the plain file.
# The input is made here by `flowsift generate` (deterministic by seed) with
# a few broken lines spread over the file.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
export TZ=UTC LC_ALL=C

# 70k records = ~7.8 MB of text: more than the 4 ring slots of 1 MiB, and
# a .gz well above the 256 KiB threshold.
"$FL" generate --records 70000 --seed 7 --quiet >gen.log || fail generate "exit $?"
awk 'NR % 25013 == 0 { print "2 123 eni-x 10.0.0.300 10.0.0.2 1 2 6 1 1 1 1 ACCEPT OK" }
     NR % 31007 == 0 { print "# a comment line" }
     { print }' gen.log >big.log
gzip -6 -c big.log >big.log.gz
sz=$(stat -c %s big.log.gz)
if [ "$sz" -gt 262144 ]; then pass big-above-threshold; else fail big-above-threshold "$sz bytes"; fi

# ndjson of FILE with the file name taken out of source_object
rows() { sed 's/"source_object":"[^"]*"/"source_object":"X"/'; }
# the --stats lines without the name and the raw byte count
stats() {
  sed -e 's/^input [^ ]* /input X /' -e 's/^  [^ :]*:\([0-9]*\):/  X:\1:/' -e 's/ bytes_in=[0-9]*//' \
    -e 's/ peak_rss_kb=[0-9]*//' "$1"
}

"$FL" cat --format ndjson big.log --stats 2>plain.st | rows >plain.out
"$FL" cat --format ndjson big.log.gz --stats 2>thr.st | rows >thr.out
FLOWSIFT_INFLATE_THREAD=0 "$FL" cat --format ndjson big.log.gz --stats 2>sync.st | rows >sync.out
FLOWSIFT_INFLATE=zlib "$FL" cat --format ndjson big.log.gz --stats 2>zlib.st | rows >zlib.out
n=$(wc -l <plain.out)
if [ "$n" -gt 69000 ]; then pass big/rows "$n"; else fail big/rows "$n rows"; fi
check_file_eq big/thread-vs-plain thr.out plain.out
check_file_eq big/thread-vs-sync thr.out sync.out
check_file_eq big/zlib-thread-vs-plain zlib.out plain.out
stats plain.st >plain.sst; stats thr.st >thr.sst; stats sync.st >sync.sst
check_file_eq big/stats-thread-vs-plain thr.sst plain.sst
check_file_eq big/stats-thread-vs-sync thr.sst sync.sst
check big/rejects-sampled grep -q 'big.log.gz:25013: bad_ip' thr.st
# the thread did run: its ring (4 x 1 MiB, all used) shows in the peak RSS
rss() { sed -n 's/.*peak_rss_kb=\([0-9]*\).*/\1/p' "$1"; }
d=$(( $(rss thr.st) - $(rss sync.st) ))
if [ "$d" -gt 3000 ]; then pass big/thread-ran "$d"; else fail big/thread-ran "peak RSS +$d kB"; fi

# multi-member: the text cut at arbitrary bytes (mid-line), each piece its
# own member; lines that span members come out whole
head -c 2000001 big.log | gzip -1 -c >multi.log.gz
tail -c +2000002 big.log | head -c 3000000 | gzip -9 -c >>multi.log.gz
tail -c +5000002 big.log | gzip -c >>multi.log.gz
"$FL" cat --format ndjson multi.log.gz --stats 2>multi.st | rows >multi.out
check_file_eq multi/thread-vs-plain multi.out plain.out
stats multi.st >multi.sst
check_file_eq multi/stats multi.sst plain.sst
FLOWSIFT_INFLATE_THREAD=0 "$FL" cat --format ndjson multi.log.gz | rows >multi_sync.out
check_file_eq multi/sync-vs-plain multi_sync.out plain.out

# truncated: the rows before the cut, then one error line naming the file,
# exit 2, and the next input still read
head -c $((sz * 3 / 5)) big.log.gz >cut.log.gz
gen_small() { "$FL" generate --records 50 --seed 3 --quiet; }
gen_small >small.log
"$FL" cat --format ndjson cut.log.gz small.log --stats 2>cut.st >cut.raw
check_eq cut/exit "$?" 2
FLOWSIFT_INFLATE_THREAD=0 "$FL" cat --format ndjson cut.log.gz small.log --stats 2>cut_sync.st >cut_sync.raw
check_eq cut/sync-exit "$?" 2
check_file_eq cut/thread-vs-sync cut.raw cut_sync.raw
stats cut.st >cut.sst; stats cut_sync.st >cut_sync.sst
check_file_eq cut/stats-thread-vs-sync cut.sst cut_sync.sst
check cut/message grep -q 'cut.log.gz: truncated gzip' cut.st
check cut/next-input-read grep -q '^input small.log .*records_parsed=50' cut.st
grep -v '"source_object":"small.log"' cut.raw | rows >cut.out
k=$(wc -l <cut.out)
head -n "$k" plain.out >plain_prefix.out
if [ "$k" -gt 1000 ] && [ "$k" -lt "$n" ]; then pass cut/partial "$k"; else fail cut/partial "$k rows"; fi
check_file_eq cut/prefix-of-plain cut.out plain_prefix.out

# corrupt: a flipped byte in the middle of the deflate data; both paths
# print the same rows and the same error line
cp big.log.gz bad.log.gz
printf '\xff\xff\xff\xff' | dd of=bad.log.gz bs=1 seek=$((sz / 2)) conv=notrunc status=none
"$FL" cat --format ndjson bad.log.gz --stats 2>bad.st >bad.raw
check_eq corrupt/exit "$?" 2
FLOWSIFT_INFLATE_THREAD=0 "$FL" cat --format ndjson bad.log.gz --stats 2>bad_sync.st >bad_sync.raw
check_file_eq corrupt/rows-thread-vs-sync bad.raw bad_sync.raw
stats bad.st >bad.sst; stats bad_sync.st >bad_sync.sst
check_file_eq corrupt/stderr-thread-vs-sync bad.sst bad_sync.sst
check corrupt/message grep -q '^flowsift: bad.log.gz: ' bad.st
# rows before the damage are the plain file's rows (a prefix)
rows <bad.raw >bad.out
k=$(wc -l <bad.out)
head -n "$k" plain.out >plain_prefix2.out
check_file_eq corrupt/prefix-of-plain bad.out plain_prefix2.out

# stdin stays synchronous and still reads gzip
"$FL" cat --format ndjson - <big.log.gz | rows >stdin.out
check_file_eq stdin/gzip stdin.out plain.out
