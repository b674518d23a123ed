#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# browser.t.sh - the dashboard in headless Debian chromium, driven by npm
# playwright-core (tests/http/browser.mjs does the clicking and checking).
#  1. main: a generated day (6000 records + every planted incident), ingested
#     and run through the rule pack so there are findings; `flowsift serve`
#     with the assets installed beside the binary ($FL_BUILD/assets).  The
#     page must load with no console errors, no CSP violations and no
#     off-site request; every panel's numbers (DOM and chart data) equal the
#     API and the same SQL through `flowsift query`; the map shades exactly
#     the data's countries; evidence opens; the suppress button changes the
#     finding in the state database; the console's table and CSV download
#     equal `flowsift query`; the account/day filter reaches every panel.
#  2. hostile: a crafted dataset whose rule name, and a finding whose title
#     and entity, are '<img src=x onerror=...>': shown as text, nothing runs.
# Screenshots: $FL_OUT/dashboard.png and $FL_OUT/dashboard-hostile.png.
# Bounded: every server and node run has a timeout and is killed in a trap.
. "$FL_ROOT/tests/lib.sh"
. "$FL_ROOT/tests/http/server.sh"

if [ ! -x /usr/bin/chromium ] || [ ! -d "$FL_ROOT/node_modules/playwright-core" ]; then
  fail setup "chromium or playwright-core missing (make deps)"; exit 0
fi
if [ ! -f "$FL_BUILD/assets/vendor/echarts.min.js" ]; then
  fail setup "$FL_BUILD/assets/vendor not built (make all after make deps)"; exit 0
fi
OUT=${FL_OUT:-$FL_TMP}

browse() { # MODE URL SHOT
  (cd "$FL_ROOT" && timeout 200 node tests/http/browser.mjs "$@") &
  local p=$!; PIDS+=($p); wait $p
}

# ---- 1. generated dataset with findings
H=$FL_TMP/home
"$FL" generate --records 6000 --seed 11 --incidents all --out "$FL_TMP/in.log" >/dev/null 2>&1 || fail generate "generate failed"
FLOWSIFT_HOME=$H "$FL" ingest "$FL_TMP/in.log" >/dev/null 2>&1 || fail ingest "ingest failed"
FLOWSIFT_HOME=$H "$FL" detect --rules "$FL_ROOT/rules" --from 2026-11-20 --to 2026-11-21 --now 2026-11-21 -q >/dev/null 2>&1
# started from another folder, with no --assets: the binary finds its assets
(cd "$FL_TMP" && start_server "$FL_TMP/s1.out" --home "$H") || fail start "$(cat "$FL_TMP/s1.out")"
PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$FL_TMP/s1.out")
PIDS+=($(pgrep -f "serve --listen 127.0.0.1:0 --home $H" | head -1))
FL_TMP=$FL_TMP FLOWSIFT_HOME=$H browse main "http://127.0.0.1:$PORT" "$OUT/dashboard.png"
FID=$(cat "$FL_TMP/suppressed.id" 2>/dev/null)
if [ -n "$FID" ]; then
  check "suppress_in_state_db" bash -c "FLOWSIFT_HOME='$H' '$FL' findings show $FID --format ndjson | grep -q '\"status\":\"suppressed\"'"
else
  fail suppress_in_state_db "the browser run did not suppress a finding"
fi

# GET /api/findings/<id> (http_ui.c): shape, unknown ids, non-numeric ids
B=http://127.0.0.1:$PORT
code() { curl -s -m 20 -o "$FL_TMP/body" -w '%{http_code}' "$@"; }
if [ -n "$FID" ]; then
  check_eq finding_get "$(code "$B/api/findings/$FID")" 200
  check finding_get_shape node -e '
    const f = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    if (f.id !== Number(process.argv[2]) || f.status !== "suppressed" || typeof f.evidence !== "string") process.exit(1);
    if (!Array.isArray(JSON.parse(f.evidence))) process.exit(1);' "$FL_TMP/body" "$FID"
fi
check_eq finding_get_unknown "$(code "$B/api/findings/999999")" 404
check_eq finding_get_zero "$(code "$B/api/findings/0")" 404
check_eq finding_get_alpha "$(code "$B/api/findings/12x")" 404
check_eq finding_get_post "$(code -X POST "$B/api/findings/1")" 404

# ---- 2. hostile strings
HS='<img src=x onerror=\"window.__pwned=1\">'
MK=$FL_BUILD/tests/tools/mkdataset
{
  printf '{"cloud":"aws","account":"111122223333","region":"us-east-1","srcaddr":"203.0.113.9","dstaddr":"10.0.0.2","dstport":22,"protocol":6,"bytes":10,"packets":1,"start":1795132800,"end":1795132830,"action":"REJECT","rule_name":"%s"}\n' "$HS"
  printf '{"cloud":"aws","account":"111122223333","region":"us-east-1","srcaddr":"10.0.0.2","dstaddr":"8.8.8.8","dstport":443,"protocol":6,"bytes":5000,"packets":9,"start":1795132900,"end":1795132930,"action":"ACCEPT","dst_scope":"public","dst_country":"US","flow_type":"ExternalPublic"}\n'
} >"$FL_TMP/hostile.ndjson"
"$MK" "$FL_TMP/hostile" "$FL_TMP/hostile.ndjson" >"$FL_TMP/mk.log" 2>&1 || fail mkdataset "$(cat "$FL_TMP/mk.log")"
mkdir -p "$FL_TMP/rules"
cat >"$FL_TMP/rules/hostile.yaml" <<'YAML'
id: hostile-title
title: '<img src=x onerror="window.__pwned=1">'
description: a rule whose title and entity are markup, for the browser test
severity: high
entity: [rule_name]
window: 1h
sql: |
  SELECT :bucket AS bucket, rule_name, COUNT(*) AS hit_count,
         MIN(start) AS first_seen, MAX("end") AS last_seen
  FROM flows
  WHERE start >= :window_start AND start < :window_end AND rule_name LIKE '%onerror%'
  GROUP BY 1, 2
YAML
FLOWSIFT_HOME=$FL_TMP/hostile "$FL" detect --rules "$FL_TMP/rules" --from 2026-11-20 --to 2026-11-21 --now 2026-11-21 -q \
  >"$FL_TMP/hdetect.log" 2>&1 || fail hostile_detect "$(cat "$FL_TMP/hdetect.log")"
start_server "$FL_TMP/s2.out" --home "$FL_TMP/hostile" || fail start_hostile "$(cat "$FL_TMP/s2.out")"
FL_TMP=$FL_TMP FLOWSIFT_HOME=$FL_TMP/hostile browse hostile "http://127.0.0.1:$PORT" "$OUT/dashboard-hostile.png"
