#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# query_timeout.t.sh - the bounded runtime of a query (struct fl_query_opts
# timeout_ms; `flowsift query --timeout`, `flowsift serve --query-timeout`).
# On a generated 1 M-record dataset, heavy queries (DISTINCT + sort,
# high-cardinality GROUP BY on the packed-key and the generic aggregation,
# one and two scan threads, a CTE, a full sort) run with a 200 ms limit must
# fail with "query exceeded its time limit of 200 ms (query --timeout)",
# exit status 2, and stop promptly: compared with the same query without a
# limit (which must take longer than 3x the limit, the premise), not with a
# fixed machine speed.  A limit that runs out late (60 % of the unlimited
# time: in the DISTINCT / sort phase) stops within 2.5 s of it too.  A
# generous limit gives the unlimited answer.  The console endpoint answers
# a timed-out query with HTTP 503 and a JSON error naming
# serve --query-timeout, and the server answers the next calls.  In the
# sanitizer build the same runs check for leaks and races on early exit.
. "$FL_ROOT/tests/lib.sh"
. "$FL_ROOT/tests/http/server.sh"

H=$FL_TMP/home
export FLOWSIFT_HOME=$H
"$FL" generate -q --records 1000000 --seed 7 --out "$FL_TMP/g.log" >/dev/null 2>&1 &&
  "$FL" ingest --quiet "$FL_TMP/g.log" >/dev/null 2>&1 || fail ingest "generate/ingest failed"
rm -f "$FL_TMP/g.log"

ms() { echo $(( $(date +%s%N) / 1000000 )); }
# timed NAME ARGS... -> $EL (ms), $RC, stdout in $FL_TMP/NAME.out, stderr in $FL_TMP/NAME.err
timed() {
  local n=$1; shift
  local t0; t0=$(ms)
  "$@" >"$FL_TMP/$n.out" 2>"$FL_TMP/$n.err"
  RC=$?
  EL=$(( $(ms) - t0 ))
}

QD="SELECT DISTINCT srcaddr, srcport, dstport, bytes FROM flows ORDER BY bytes, srcaddr, srcport, dstport LIMIT 3"
MSG="query exceeded its time limit of 200 ms (query --timeout)"

# the premise: without a limit the query takes well over the limit
timed full "$FL" query --format csv "$QD"
T0=$EL
check_eq full_ok "$RC" 0
if [ "$T0" -gt 600 ]; then pass "premise_full_${T0}ms_gt_3x_limit"; else fail premise "unlimited query took only ${T0} ms"; fi

# expired_case NAME SQL [query options...]: 200 ms limit -> the message,
# status 2, no rows, promptly
expired_case() {
  local n=$1 sql=$2; shift 2
  timed "$n" "$FL" query --timeout 200ms "$@" "$sql"
  if [ "$RC" = 2 ] && grep -qF "$MSG" "$FL_TMP/$n.err" && [ ! -s "$FL_TMP/$n.out" ]; then
    pass "${n}_message"
  else
    fail "${n}_message" "rc=$RC $(head -c 300 "$FL_TMP/$n.err")"
  fi
  # promptly: under 5 s and under the unlimited run of the heavy query
  if [ "$EL" -lt 5000 ] && [ "$EL" -lt "$T0" ]; then pass "${n}_prompt"; else fail "${n}_prompt" "${EL} ms (unlimited ${T0} ms)"; fi
}
expired_case distinct_2thr "$QD"
expired_case distinct_1thr "$QD" --threads 1
QG="SELECT srcaddr, dstaddr, srcport, count(*) AS n, sum(bytes) AS b FROM flows GROUP BY 1, 2, 3 ORDER BY n DESC, 1, 2, 3 LIMIT 5"
expired_case groupby_packed "$QG"
FLOWSIFT_QUERY_GENERIC_AGG=1 expired_case groupby_generic "$QG"
expired_case groupby_packed_1thr "$QG" --threads 1
expired_case groupby_distinct_agg "SELECT srcaddr, count(DISTINCT srcport) AS d, approx_percentile(bytes, 0.5) FROM flows GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 3"
expired_case cte "WITH t AS (SELECT srcaddr, srcport, bytes FROM flows) SELECT srcaddr, count(*) AS n FROM t GROUP BY 1 ORDER BY n DESC, 1 LIMIT 3"
expired_case sort "SELECT srcaddr, srcport, bytes FROM flows ORDER BY srcaddr, srcport, bytes"

# a limit that runs out late (in the DISTINCT / sort phase) stops within 2.5 s
LATE=$(( T0 * 6 / 10 ))
timed late "$FL" query --timeout "${LATE}ms" "$QD"
if [ "$RC" = 2 ] && grep -qF "query exceeded its time limit of ${LATE} ms" "$FL_TMP/late.err" &&
   [ "$EL" -lt $(( LATE + 2500 )) ]; then
  pass late_expired_prompt
else
  fail late_expired_prompt "rc=$RC ${EL} ms for a ${LATE} ms limit $(head -c 300 "$FL_TMP/late.err")"
fi

# a generous limit: the same answer as no limit
timed generous "$FL" query --format csv --timeout 10m "$QD"
check_eq generous_rc "$RC" 0
check_file_eq generous_same_answer "$FL_TMP/generous.out" "$FL_TMP/full.out"
timed badval "$FL" query --timeout 5x "SELECT 1"
if [ "$RC" = 2 ] && grep -q -- "--timeout: bad duration '5x'" "$FL_TMP/badval.err"; then pass bad_duration; else fail bad_duration "rc=$RC $(cat "$FL_TMP/badval.err")"; fi

# ---- the console endpoint -----------------------------------------------------
code() { local u=$1; shift; curl -s -m 30 -o "$FL_TMP/body" -D "$FL_TMP/hdr" -w '%{http_code}' "$@" "$u"; }
start_server "$FL_TMP/s1.out" --assets "$FL_ROOT/assets" --query-timeout 200ms || fail start "$(cat "$FL_TMP/s1.out")"
B=http://127.0.0.1:$PORT
t0=$(ms)
c=$(code "$B/api/query" -X POST --data-binary "$QD")
el=$(( $(ms) - t0 ))
check_eq console_timeout_503 "$c" 503
err=$(node -e 'const j = JSON.parse(require("fs").readFileSync(0, "utf8")); console.log(j.error)' <"$FL_TMP/body" 2>&1)
check_eq console_timeout_json "$err" "query exceeded its time limit of 200 ms (serve --query-timeout)"
if [ "$el" -lt 5000 ]; then pass console_timeout_prompt; else fail console_timeout_prompt "${el} ms"; fi
# the server goes on answering
c=$(code "$B/api/query?q=SELECT%20count(*)%20AS%20n%20FROM%20flows%20WHERE%20dstport%20%3D%20-1")
check_eq console_after_200 "$c" 200
check_eq console_after_body "$(tr -d '\n' <"$FL_TMP/body")" '{"columns":["n"],"rows":[[0]]}'
c=$(code "$B/api/findings")
check_eq api_after_200 "$c" 200
timed badserve "$FL" serve --listen 127.0.0.1:0 --query-timeout soon
if [ "$RC" = 2 ] && grep -q -- "--query-timeout: bad duration" "$FL_TMP/badserve.err"; then pass serve_bad_duration; else fail serve_bad_duration "rc=$RC $(cat "$FL_TMP/badserve.err")"; fi
