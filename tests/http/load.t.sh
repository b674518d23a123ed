#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# load.t.sh - a short smoke of the dashboard API load test (the full one is
# bench/serve.sh: 200 connections for 30 s on the 10 M-record dataset):
# wrk with 50 connections for 3 s over every panel endpoint (several
# ranges, rollup and raw SQL answers) of a small generated dataset, on
# 127.0.0.1 only.  Checks: requests were served, no socket error, no
# non-2xx reply, and the server still answers correctly afterwards.
. "$FL_ROOT/tests/lib.sh"
. "$FL_ROOT/tests/http/server.sh"
if ! command -v wrk >/dev/null; then
  fail wrk_installed "wrk is missing (run tools/deps.sh)"
  exit 0
fi
H=$FL_TMP/home
"$FL" generate --records 20000 --seed 9 --out "$FL_TMP/in.log" >/dev/null 2>&1
FLOWSIFT_HOME=$H "$FL" ingest "$FL_TMP/in.log" >/dev/null 2>&1 || fail ingest "ingest failed"
start_server "$FL_TMP/s.out" --home "$H" || { fail start "$(cat "$FL_TMP/s.out")"; exit 0; }
cat >"$FL_TMP/panels.lua" <<'EOF'
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
T0=1795132800
urls=()
for ep in traffic top-talkers denied-by-rule egress-by-country flow-types; do
  urls+=("/api/$ep" "/api/$ep?from=$T0&to=$((T0 + 7200))" "/api/$ep?from=$T0&to=$((T0 + 86400))&limit=5" "/api/$ep?from=$((T0 + 1800))")
done
urls+=("/api/health?from=$T0&to=$((T0 + 86400))")
timeout 60 wrk -t2 -c50 -d3s --timeout 10s --latency -s "$FL_TMP/panels.lua" "$B" -- "${urls[@]}" >"$FL_TMP/wrk.out" 2>&1
check_eq wrk_rc "$?" 0
TOTAL=$(awk '/requests in/ { print $1 }' "$FL_TMP/wrk.out")
if [ -n "$TOTAL" ] && [ "$TOTAL" -ge 50 ]; then pass "requests_served"; else fail requests_served "$(tr '\n' ' ' <"$FL_TMP/wrk.out")"; fi
check "no_socket_errors" bash -c "! grep -q 'Socket errors' '$FL_TMP/wrk.out'"
check "no_non_2xx" bash -c "! grep -q 'Non-2xx' '$FL_TMP/wrk.out'"
# 50 connections from one address are all accepted on loopback
check "latency_reported" grep -q '99%' "$FL_TMP/wrk.out"
# still answering, and right
check_eq after_load "$(curl -s -m 20 "$B/api/flow-types")" "$(curl -s -m 20 "$B/api/flow-types?source=raw")"
echo "load smoke: $(grep -E 'Requests/sec|requests in' "$FL_TMP/wrk.out" | tr -s ' ' | tr '\n' ' ')"
