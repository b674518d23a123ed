#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# enrich.sh BUILD - the enrichment benchmark (issue 5): what full enrichment
# costs at ingest.  On the same BENCH_RECORDS-record file (default 10 M,
# the file bench/run.sh generates, or one made here when run alone):
#   - `flowsift ingest` with full enrichment: the default geo databases
#     (country MMDB + ASN ranges from node_modules), a 200 000-prefix intel
#     list and a 5 000-entry asset map (nested /16 + /24 + /28 entries);
#   - `flowsift ingest --no-enrich`;
# each BENCH_RUNS times (default 3), interleaved, into fresh datasets.
# Prints the medians of wall time and of CPU time (user + sys; the machine
# is shared, so CPU time is the steadier figure) and the overhead in %
# (target: <= 25 %).  Then build/bench/enrich_bench gives the cost of the
# enrichment alone against parsing alone (CPU time, medians).
. "$(dirname "$0")/lib.sh"
bench_init enrich "$@"
EB=$PWD/$BUILD/bench/enrich_bench
FILE=${BENCH_FILE:-$OUT/enrich_input_${N}.log}
bench_input "$FILE" "$N" || exit 1
W=$OUT/enrich
rm -rf "$W"; mkdir -p "$W"

# ---- the enrichment inputs -----------------------------------------------------
# 200 000 distinct public prefixes (/16 to /32), deterministic.
awk 'BEGIN {
  srand(7); n = 0
  print "# bench intel list: 200000 prefixes"
  while (n < 200000) {
    a = 1 + int(rand() * 222)
    if (a == 10 || a == 100 || a == 127 || a == 169 || a == 172 || a == 192) continue
    bits = 16 + int(rand() * 17)
    ip = a * 16777216 + int(rand() * 16777216)
    m = 2 ^ (32 - bits); ip = ip - ip % m
    key = ip "/" bits
    if (key in seen) continue
    seen[key] = 1; n++
    printf "%d.%d.%d.%d/%d\n", int(ip / 16777216), int(ip / 65536) % 256, int(ip / 256) % 256, ip % 256, bits
  }
}' >"$W/intel.txt"
# 5 000 asset entries over 10.0.0.0/8: 20 /16s, 4 000 /24s, 980 /28s inside them.
awk 'BEGIN {
  print "assets:"
  tiers[0] = "web"; tiers[1] = "app"; tiers[2] = "db"; tiers[3] = "cache"
  for (x = 0; x < 20; x++) printf "  10.%d.0.0/16: {name: net-%d, env: %s}\n", x, x, (x % 2 ? "prod" : "dev")
  n = 0
  for (x = 0; x < 20 && n < 4000; x++) for (y = 0; y < 200 && n < 4000; y++) {
    printf "  10.%d.%d.0/24: {name: svc-%d-%d, tier: %s, env: %s}\n", x, y, x, y, tiers[(x + y) % 4], (x % 2 ? "prod" : "dev"); n++
  }
  m = 0
  for (x = 0; x < 20 && m < 980; x++) for (y = 0; y < 49 && m < 980; y++) {
    printf "  10.%d.%d.16/28: {name: hot-%d-%d, tier: web, env: prod}\n", x, y, x, y; m++
  }
}' >"$W/assets.yaml"
{
  cat "$W/assets.yaml"
  echo "intel:"
  echo "  - {name: bench200k, file: intel.txt}"
  echo "vpcs:"
  echo "  vpc-a: [10.0.0.0/12]"
  echo "  vpc-b: [10.16.0.0/12]"
} >"$W/flowsift.yaml"
echo "config: $(grep -c '/' "$W/assets.yaml") asset entries, $(grep -vc '^#' "$W/intel.txt") intel prefixes, default geo databases"
"$FL" enrich --config "$W/flowsift.yaml" 8.8.8.8 --format csv | tail -1

# ---- ingest with and without enrichment ------------------------------------------------
: >"$W/times"
for ((i = 0; i < RUNS; i++)); do
  for mode in enrich plain; do
    rm -rf "$W/home"
    args=(--config "$W/flowsift.yaml")
    [ $mode = plain ] && args+=(--no-enrich)
    : >"$W/t"
    FLOWSIFT_HOME="$W/home" bench_timed "$W/t" "$FL" ingest --quiet "${args[@]}" "$FILE" || exit 1
    read -r wall cpu rss <"$W/t"
    echo "$mode $wall $cpu $rss" >>"$W/times"
    printf '  run %d %-7s wall %6.2f s  cpu %6.2f s  peak RSS %d MB\n' "$((i + 1))" "$mode" "$wall" "$cpu" "$((rss / 1024))"
  done
done
rm -rf "$W/home"
we=$(awk '$1 == "enrich" { print $2 }' "$W/times" | bench_median); wp=$(awk '$1 == "plain" { print $2 }' "$W/times" | bench_median)
ce=$(awk '$1 == "enrich" { print $3 }' "$W/times" | bench_median); cp=$(awk '$1 == "plain" { print $3 }' "$W/times" | bench_median)
ow=$(awk -v a="$we" -v b="$wp" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')
oc=$(awk -v a="$ce" -v b="$cp" 'BEGIN { printf "%.1f", (a - b) * 100 / b }')
echo "ingest $N records, median of $RUNS:"
echo "  with full enrichment:    wall $we s, cpu $ce s"
echo "  without (--no-enrich):   wall $wp s, cpu $cp s"
echo "  enrichment overhead:     wall +$ow %, cpu +$oc % (target <= 25 %)"
rate() { awk -v n="$N" -v t="$1" 'BEGIN { printf "%.2f M rec/s", n / t / 1e6 }'; }
bench_row enrich "ingest with full enrichment (geo, 200k intel, 5k assets)" "$we" - - "$(rate "$we")" - "cpu $ce s; median of $RUNS"
bench_row enrich "ingest --no-enrich (same file)" "$wp" - - "$(rate "$wp")" - "cpu $cp s; median of $RUNS"
bench_row enrich "enrichment overhead (wall / cpu)" "+$ow %" - - - - "cpu +$oc %; target <= 25 %"

# ---- the enrichment alone vs parsing alone --------------------------------------------
if [ -x "$EB" ]; then
  "$EB" "$FILE" --config "$W/flowsift.yaml" --runs "$RUNS" | tee "$W/enrich_bench.txt" | sed 's/^/  enrich_bench: /'
  kv() { awk -v k="$1" '$1 == k { print $2 }' "$W/enrich_bench.txt"; }
  bench_row enrich "enrichment alone (fl_enrich_batch), CPU" "$(kv enrich_s)" - - "$(kv enrich_ns_per_record) ns/rec" - "parse alone $(kv parse_s) s CPU; load $(kv load_s) s"
fi
exit 0
