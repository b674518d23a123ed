#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve.sh BUILD - the dashboard API benchmark (issue 8).  On the
# BENCH_RECORDS-record dataset (flowsift ingest of bench/run.sh's input,
# with enrichment, so the hourly rollups are written at ingest; cached in
# bench/out/serve/):
#   1. the cost of the rollups at ingest: share of the ingest's CPU samples
#      in rollup.c (perf, on a 1 M-record slice) and the sidecar bytes;
#   2. p50/p95 latency of each panel endpoint over SERVE_CALLS (24) calls
#      with varied hour-aligned ranges and filters (target p95 < 500 ms), and
#      the server's CPU time per call; the same panels answered by SQL over
#      the raw files (?source=raw, SERVE_RAW_CALLS calls) as the peer;
#   3. a load test: wrk, 200 connections for 30 s over the panel API
#      (SERVE_LOAD_CONN, SERVE_LOAD_SECS), requests/s, errors (target 0) and
#      latency percentiles.
# Loopback only; every client call has a timeout.
. "$(dirname "$0")/lib.sh"
bench_init serve "$@"
CALLS=${SERVE_CALLS:-24}
RAW_CALLS=${SERVE_RAW_CALLS:-5}
CONN=${SERVE_LOAD_CONN:-200}
SECS=${SERVE_LOAD_SECS:-30}
W=$OUT/serve
mkdir -p "$W"
command -v wrk >/dev/null || { echo "serve.sh: wrk is missing (tools/deps.sh installs it)" >&2; exit 2; }
FILE=${BENCH_FILE:-$W/input_${N}.log}
bench_input "$FILE" "$N" || exit 1
H=$W/home_$(basename "$FILE" .log)
if [ ! -f "$H/.bench-done" ]; then
  rm -rf "$H"
  echo "ingesting $FILE into $H"
  /usr/bin/time -f '%e %U %S %M' -o "$W/ingest.time" env FLOWSIFT_HOME="$H" "$FL" ingest "$FILE" >"$W/ingest.out" 2>&1 || { tail -3 "$W/ingest.out"; exit 1; }
  touch "$H/.bench-done"
fi
read -r iw iu is ir <"$W/ingest.time" 2>/dev/null || true
DATA_B=$(du -sb "$H/data" | cut -f1)
ROLL_B=$(du -sb "$H/rollup" 2>/dev/null | cut -f1)
printf '  ingest (with rollups): wall %s s, cpu %s s, peak RSS %s MB; data %s bytes, rollups %s bytes (%.1f %%)\n' \
  "${iw:-?}" "$(awk -v a="${iu:-0}" -v b="${is:-0}" 'BEGIN{print a+b}')" "$(( ${ir:-0} / 1024 ))" "$DATA_B" "${ROLL_B:-0}" \
  "$(awk -v a="${ROLL_B:-0}" -v b="$DATA_B" 'BEGIN{ if (b > 0) print 100 * a / b; else print 0 }')"
bench_row serve "rollup sidecars / data bytes" "-" - - - - "$ROLL_B / $DATA_B bytes"

# 1. rollup cost at ingest: perf samples in rollup.c on a 1 M-record slice
if command -v perf >/dev/null; then
  head -n 1000001 "$FILE" >"$W/slice1m.log"
  rm -rf "$W/perfhome"
  perf record -q -F 499 -o "$W/ingest.perf" env FLOWSIFT_HOME="$W/perfhome" "$FL" ingest "$W/slice1m.log" >/dev/null 2>&1
  SHARE=$(perf report -q -i "$W/ingest.perf" --sort symbol --stdio 2>/dev/null |
    awk '/fl__rollup|[^a-z_]intern$|col_sid|cube_slot|host_slot|rehash|write_sidecar|w_put|w_flush/ { gsub("%", "", $1); s += $1 } END { printf "%.1f", s }')
  echo "  rollup share of ingest CPU samples (1 M records): $SHARE %"
  bench_row serve "rollups at ingest: share of CPU samples (perf, 1M records)" "-" - - "$SHARE %" - "target: cheap (low-cardinality hash aggregate)"
  rm -rf "$W/perfhome" "$W/slice1m.log"
fi

# 2. panel latency
SRV=$W/serve.out
timeout $((SECS + 900)) "$FL" serve --listen 127.0.0.1:0 --home "$H" >"$SRV" 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null; wait 2>/dev/null' EXIT
PORT=
for _ in $(seq 1 200); do
  PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$SRV"); [ -n "$PORT" ] && break; sleep 0.05
done
[ -n "$PORT" ] || { echo "serve.sh: server did not start: $(cat "$SRV")" >&2; exit 1; }
B=http://127.0.0.1:$PORT
# the dataset's hours: the ranges are drawn from them
read -r T0 T1 < <(FLOWSIFT_HOME="$H" "$FL" query --format csv "SELECT min(start) / 3600 * 3600, (max(start) / 3600 + 1) * 3600 FROM flows" | tail -1 | tr ',' ' ')
ACCTS=($(FLOWSIFT_HOME="$H" "$FL" query --format csv "SELECT account FROM flows GROUP BY 1 ORDER BY count(*) DESC LIMIT 3" | tail -n +2))
sleep 2 # the server loads the sidecars in the background at start
ranges=()
span=$(( (T1 - T0) / 3600 ))
for i in $(seq 0 $((CALLS - 1))); do
  len=$(( (i % 6 == 0) ? span : (1 + (i * 7) % 24) ))
  [ "$len" -gt "$span" ] && len=$span
  off=$(( (i * 5) % (span - len + 1) ))
  q="from=$((T0 + off * 3600))&to=$((T0 + (off + len) * 3600))"
  [ $((i % 3)) = 1 ] && q="$q&account=${ACCTS[$((i % ${#ACCTS[@]}))]}"
  [ $((i % 4)) = 2 ] && q="$q&limit=$((10 + i))"
  [ "$i" = 0 ] && q=""
  ranges+=("$q")
done
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
pct() { sort -g | awk -v p="$1" '{ a[NR] = $1 } END { k = int(p * NR + 0.999999); if (k < 1) k = 1; print a[k] }'; }
TCK=$(getconf CLK_TCK)
for ep in traffic top-talkers denied-by-rule egress-by-country flow-types; do
  c0=$(cpu_of "$(pgrep -P $SPID flowsift || echo $SPID)")
  : >"$W/lat_$ep"
  src=
  for q in "${ranges[@]}"; do
    curl -s -m 30 -o /dev/null -D "$W/hdr" -w '%{time_total}\n' "$B/api/$ep?$q" >>"$W/lat_$ep"
    src="$src $(tr -d '\r' <"$W/hdr" | sed -n 's/^X-Flowsift-Source: //Ip')"
  done
  c1=$(cpu_of "$(pgrep -P $SPID flowsift || echo $SPID)")
  p50=$(pct 0.50 <"$W/lat_$ep"); p95=$(pct 0.95 <"$W/lat_$ep")
  nroll=$(tr ' ' '\n' <<<"$src" | grep -c rollup)
  cpu_ms=$(awk -v a="$c0" -v b="$c1" -v t="$TCK" -v n="$CALLS" 'BEGIN { printf "%.1f", (b - a) * 1000 / t / n }')
  printf '  %-20s p50 %6.1f ms  p95 %6.1f ms  server cpu %s ms/call  (%d calls, %d from rollups)\n' "$ep" \
    "$(awk -v x="$p50" 'BEGIN{print x*1000}')" "$(awk -v x="$p95" 'BEGIN{print x*1000}')" "$cpu_ms" "$CALLS" "$nroll"
  bench_row serve "GET /api/$ep p95 ($CALLS calls, varied ranges)" "$p95" "$(sort -g "$W/lat_$ep" | head -1)" "$(sort -g "$W/lat_$ep" | tail -1)" "p50 $p50 s" - "cpu $cpu_ms ms/call; $nroll/$CALLS from rollups; target p95 < 0.5 s"
  : >"$W/raw_$ep"
  for q in "${ranges[@]:0:$RAW_CALLS}"; do
    curl -s -m 120 -o /dev/null -w '%{time_total}\n' "$B/api/$ep?$q${q:+&}source=raw" >>"$W/raw_$ep"
  done
  r50=$(pct 0.50 <"$W/raw_$ep")
  printf '  %-20s raw SQL peer: p50 %6.1f ms over %d calls (rollups %.0fx faster at p50)\n' "$ep" \
    "$(awk -v x="$r50" 'BEGIN{print x*1000}')" "$RAW_CALLS" "$(awk -v a="$r50" -v b="$p50" 'BEGIN{ if (b > 0) print a / b; else print 0 }')"
  bench_row serve "GET /api/$ep?source=raw (SQL peer) p50" "$r50" "$(sort -g "$W/raw_$ep" | head -1)" "$(sort -g "$W/raw_$ep" | tail -1)" - - "$RAW_CALLS calls; ratio raw/rollup p50 $(awk -v a="$r50" -v b="$p50" 'BEGIN{ if (b > 0) printf "%.0f", a / b }')"
done

# 3. load test
cat >"$W/panels.lua" <<'EOF'
-- cycles through the panel URLs given after "--"
local paths = {}
local n = 0
init = function(args)
  for i, p in ipairs(args) do paths[i] = p end
end
request = function()
  n = n + 1
  return wrk.format("GET", paths[(n % #paths) + 1])
end
EOF
urls=()
for ep in traffic top-talkers denied-by-rule egress-by-country flow-types; do
  for q in "${ranges[@]:0:6}"; do urls+=("/api/$ep?$q"); done
done
c0=$(cpu_of "$(pgrep -P $SPID flowsift || echo $SPID)")
timeout $((SECS + 60)) wrk -t2 -c"$CONN" -d"${SECS}s" --timeout 10s --latency -s "$W/panels.lua" "$B" -- "${urls[@]}" >"$W/wrk.out" 2>&1
c1=$(cpu_of "$(pgrep -P $SPID flowsift || echo $SPID)")
cat "$W/wrk.out" | sed 's/^/  wrk: /'
RPS=$(awk '/^Requests\/sec/ { print $2 }' "$W/wrk.out")
TOTAL=$(awk '/requests in/ { print $1 }' "$W/wrk.out")
NON2=$(awk '/Non-2xx/ { print $NF }' "$W/wrk.out"); NON2=${NON2:-0}
SOCK=$(awk '/Socket errors/ { s = 0; for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) s += $i; print s }' "$W/wrk.out"); SOCK=${SOCK:-0}
lat() { awk -v k="$1" '$1 == k { print $2 }' "$W/wrk.out"; }
bench_row serve "load: wrk $CONN connections ${SECS}s over the panel API" "-" - - "${RPS:-?} req/s" - \
  "requests ${TOTAL:-?}; errors $((NON2 + SOCK)) (non-2xx $NON2, socket $SOCK; target 0); latency p50 $(lat 50%) p90 $(lat 90%) p99 $(lat 99%); server cpu $(awk -v a="$c0" -v b="$c1" -v t="$TCK" 'BEGIN { printf "%.1f", (b - a) / t }') s"
echo "  load: ${RPS:-?} req/s, ${TOTAL:-?} requests, errors $((NON2 + SOCK)), p50 $(lat 50%) p90 $(lat 90%) p99 $(lat 99%)"
