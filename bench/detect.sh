#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# detect.sh BUILD - the detection pack's speed (issue 7, "Speed"): the whole
# default pack (`flowsift detect` with rules/) over ONE day of BENCH_RECORDS
# records against one full-scan query over the same day, measured in the same
# run on the same dataset:
#   reference 1: top talkers  SELECT srcaddr, dstaddr, sum(bytes) b FROM flows
#                WHERE date = DATE 'D' GROUP BY 1,2 ORDER BY b DESC LIMIT 25
#   reference 2: SELECT count(*), sum(bytes) FROM flows WHERE date = DATE 'D'
#   the pack:    flowsift detect --from D --to D+1 (fresh state each run)
# each BENCH_RUNS times (median wall and median CPU = user + sys), then the
# ratios pack / reference (target: pack <= 3x the top-talkers query) and the
# per-rule cost of the last pack run (`flowsift detect --timing`: wall, CPU,
# dataset rows read, queries).  The day is `flowsift generate` with every
# kind of planted incident (--incidents all), ingested with the default
# enrichment (the rules read src_scope, dst_scope, countries ...); it is
# cached under bench/out/detect/ keyed by size, seed and a fingerprint of
# the generator's output.
. "$(dirname "$0")/lib.sh"
bench_init detect "$@"
SEED=${BENCH_SEED:-42}
DAY=2026-11-20
W=$OUT/detect
mkdir -p "$W"

# ---- the day ------------------------------------------------------------------
FP=$("$FL" generate -q --records 2000 --seed "$SEED" --incidents all 2>/dev/null | md5sum | cut -c1-8)
FILE=$W/day_${N}_s${SEED}_${FP}.log
H=$W/home_${N}_s${SEED}_${FP}
if [ ! -f "$H/.complete" ]; then
  rm -rf "$W"/home_* "$W"/day_*.log
  echo "generating $FILE ($N records, one day, planted incidents)"
  "$FL" generate -q --records "$N" --seed "$SEED" --incidents all --out "$FILE" || exit 1
  echo "ingesting into $H (default enrichment)"
  "$FL" ingest --home "$H" --quiet "$FILE" || exit 1
  rm -f "$FILE"
  touch "$H/.complete"
fi
FROM=$(date -u -d "$DAY" +%s)
TO=$((FROM + 86400))
ROWS=$("$FL" query --home "$H" --format csv "SELECT count(*) FROM flows WHERE date = DATE '$DAY'" | tail -1)

Q_TOP="SELECT srcaddr, dstaddr, sum(bytes) b FROM flows WHERE date = DATE '$DAY' GROUP BY 1,2 ORDER BY b DESC LIMIT 25"
Q_SUM="SELECT count(*), sum(bytes) FROM flows WHERE date = DATE '$DAY'"

echo "== detect: the default pack vs one full-scan query over the same day ($ROWS records on $DAY, load $(cut -d' ' -f1-3 /proc/loadavg))"
bench_wallcpu detect "reference: top talkers query over the day" "$RUNS" "" "$FL" query --home "$H" "$Q_TOP" || exit 1
TOP_W=$BM_WALL TOP_C=$BM_CPU
bench_wallcpu detect "reference: count(*), sum(bytes) over the day" "$RUNS" "" "$FL" query --home "$H" "$Q_SUM" || exit 1
SUM_W=$BM_WALL SUM_C=$BM_CPU
bench_wallcpu detect "pack: flowsift detect (rules/, 16 rules) over the day" "$RUNS" "rm -f '$H'/state.db*" \
  "$FL" detect --home "$H" --rules "$PWD/rules" --from "$FROM" --to "$TO" --now "$TO" --timing || exit 1
PACK_W=$BM_WALL PACK_C=$BM_CPU
cp "$OUT/detect.last.out" "$W/pack_timing.txt"
echo "  per rule (last run; --timing):"
grep '^  timing ' "$W/pack_timing.txt" | sed 's/^  timing /    /'
tail -1 "$W/pack_timing.txt" | sed 's/^/    /'
rt=$(bench_ratio "$PACK_W" "$TOP_W"); rtc=$(bench_ratio "$PACK_C" "$TOP_C")
rs=$(bench_ratio "$PACK_W" "$SUM_W"); rsc=$(bench_ratio "$PACK_C" "$SUM_C")
bench_row detect "ratio: pack / top-talkers query" "$rt" - - - - "CPU-time ratio $rtc; target <= 3"
bench_row detect "ratio: pack / count-sum query" "$rs" - - - - "CPU-time ratio $rsc"
echo "  pack / top-talkers query: wall ${rt}x  cpu ${rtc}x  (target <= 3x)"
echo "  pack / count-sum query:   wall ${rs}x  cpu ${rsc}x"
rm -f "$H"/state.db*
