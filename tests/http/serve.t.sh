#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# serve.t.sh - `flowsift serve` end to end: builds a small dataset
# (generate + ingest, 3000 records) and a hostile one (mkdataset, a rule
# name holding <script> and quotes), starts servers on 127.0.0.1 with a free
# port, and checks with curl: each API's numbers equal the same SQL through
# `flowsift query`; traversal and unknown paths get 404/400; oversized
# bodies get 413; non-loopback without a token is refused at start; with a
# token, missing/wrong bearer gets 401; hostile strings come back
# JSON-escaped; /api/query refuses non-SELECT; CSP + nosniff headers.
. "$FL_ROOT/tests/lib.sh"
. "$FL_ROOT/tests/http/server.sh"

H=$FL_TMP/home
"$FL" generate --records 3000 --seed 7 --incidents admin,scan --out "$FL_TMP/in.log" >/dev/null 2>&1
FLOWSIFT_HOME=$H "$FL" ingest "$FL_TMP/in.log" >/dev/null 2>&1 || fail ingest "ingest failed"
FLOWSIFT_HOME=$H "$FL" detect --rules "$FL_ROOT/rules" --from 2026-11-20 --to 2026-11-21 >/dev/null 2>&1

start_server "$FL_TMP/s1.out" --assets "$FL_ROOT/assets" --home "$H" || fail start "$(cat "$FL_TMP/s1.out")"
B=http://127.0.0.1:$PORT

# code URL [curl args] -> prints the HTTP status, body in $FL_TMP/body, headers in $FL_TMP/hdr
code() { local u=$1; shift; curl -s -m 20 -o "$FL_TMP/body" -D "$FL_TMP/hdr" -w '%{http_code}' "$@" "$u"; }
tocsv() { node -e '
  const j = JSON.parse(require("fs").readFileSync(0, "utf8"));
  for (const r of j.rows) console.log(r.map(v => v === null ? "" : String(v)).join(","));'; }
sqlcsv() { FLOWSIFT_HOME=$H "$FL" query --format csv "$1" | tail -n +2; }

W="start >= 1795132800 AND start < 1795140000"
cmp_api() { # name path sql
  local c; c=$(code "$B$2")
  if [ "$c" != 200 ]; then fail "$1" "status $c $(head -c 300 "$FL_TMP/body")"; return; fi
  local got want; got=$(tocsv <"$FL_TMP/body"); want=$(sqlcsv "$3")
  if [ -z "$want" ]; then fail "$1" "oracle query returned no rows"; return; fi
  check_eq "$1" "$got" "$want"
}
Q="from=1795132800&to=1795140000"
cmp_api traffic "/api/traffic?$Q" \
  "SELECT (start / 3600) * 3600 AS hour, action, sum(bytes), count(*) FROM flows WHERE $W GROUP BY 1, 2 ORDER BY 1, 2"
cmp_api top_talkers "/api/top-talkers?$Q&limit=5" \
  "SELECT srcaddr, sum(bytes) AS b, count(*) FROM flows WHERE $W GROUP BY srcaddr ORDER BY b DESC, srcaddr LIMIT 5"
cmp_api denied_by_rule "/api/denied-by-rule?$Q" \
  "SELECT coalesce(rule_name, rule, '') AS r, count(*) AS f, sum(bytes) FROM flows WHERE $W AND action = 'REJECT' GROUP BY 1 ORDER BY f DESC, r LIMIT 20"
cmp_api egress_by_country "/api/egress-by-country?$Q" \
  "SELECT coalesce(dst_country, '') AS c, sum(bytes) AS b, count(*) FROM flows WHERE $W AND dst_scope = 'public' GROUP BY 1 ORDER BY b DESC, c LIMIT 20"
cmp_api flow_types "/api/flow-types?$Q" \
  "SELECT coalesce(flow_type, '') AS t, count(*) AS f, sum(bytes) FROM flows WHERE $W GROUP BY 1 ORDER BY f DESC, t"
ACCT=$(sqlcsv "SELECT account FROM flows GROUP BY 1 ORDER BY count(*) DESC LIMIT 1")
cmp_api traffic_account "/api/traffic?from=2026-11-20&to=2026-11-22&cloud=aws&account=$ACCT" \
  "SELECT (start / 3600) * 3600 AS hour, action, sum(bytes), count(*) FROM flows WHERE start >= 1795132800 AND start < 1795132800 + 172800 AND cloud = 'aws' AND account = '$ACCT' GROUP BY 1, 2 ORDER BY 1, 2"
cmp_api query_get "/api/query?q=SELECT%20action%2C%20count(*)%20FROM%20flows%20GROUP%20BY%201%20ORDER%20BY%201" \
  "SELECT action, count(*) FROM flows GROUP BY 1 ORDER BY 1"

# parameters are validated, never pasted raw into SQL
check_eq bad_account "$(code "$B/api/traffic?account=x%27%20OR%20%271%27%3D%271")" 400
check_eq bad_from "$(code "$B/api/traffic?from=yesterday")" 400
check_eq bad_limit "$(code "$B/api/top-talkers?limit=100000")" 400

# read-only console
check_eq query_post "$(code "$B/api/query" --data-binary 'SELECT count(*) FROM flows')" 200
check_eq query_post_rows "$(tocsv <"$FL_TMP/body")" "$(sqlcsv 'SELECT count(*) FROM flows')"
for s in "DROP TABLE flows" "INSERT INTO flows VALUES (1)" "COPY flows TO 'x'" "ATTACH 'x'" "-- c
DELETE FROM flows"; do
  check_eq "query_refuses_${s%% *}" "$(code "$B/api/query" --data-binary "$s")" 400
done
# the console cannot read files: the dialect has no file functions
for s in "SELECT * FROM read_csv('/etc/passwd')" "SELECT * FROM '/etc/passwd'" "SELECT pg_read_file('/etc/passwd')" \
         "WITH x AS (SELECT 1) SELECT * FROM read_text('/etc/passwd')"; do
  c=$(code "$B/api/query" --data-binary "$s")
  if [ "$c" = 400 ] && ! grep -q 'root:' "$FL_TMP/body"; then pass "no_file_read ${s:0:30}"; else fail "no_file_read ${s:0:30}" "status $c $(head -c 200 "$FL_TMP/body")"; fi
done
check_eq query_parse_error "$(code "$B/api/query" --data-binary 'SELECT FROM WHERE')" 400
check_eq query_cross_origin "$(code "$B/api/query" -H 'Origin: http://evil.example' --data-binary 'SELECT 1')" 403
check_eq query_same_origin "$(code "$B/api/query" -H "Origin: http://127.0.0.1:$PORT" --data-binary 'SELECT 1')" 200

# body cap: 64 KiB
head -c 70000 /dev/zero | tr '\0' ' ' >"$FL_TMP/big"
check_eq body_too_big "$(code "$B/api/query" --data-binary @"$FL_TMP/big")" 413
check_eq body_too_big_chunked "$(code "$B/api/query" -H 'Transfer-Encoding: chunked' --data-binary @"$FL_TMP/big")" 413

# findings: list equals `flowsift findings list`; suppress / resolve change the state
check_eq findings "$(code "$B/api/findings")" 200
NF=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).findings.length)' "$FL_TMP/body")
check_eq findings_count "$NF" "$(FLOWSIFT_HOME=$H "$FL" findings list --format ndjson | grep -c .)"
if [ "$NF" -gt 0 ]; then pass findings_nonempty; else fail findings_nonempty "detect left no findings"; fi
FID=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")).findings[0].id)' "$FL_TMP/body")
check_eq suppress_get "$(code "$B/api/findings/$FID/suppress")" 405
check_eq suppress_cross_origin "$(code "$B/api/findings/$FID/suppress" -X POST -H 'Origin: http://evil.example')" 403
check_eq suppress_cross_referer "$(code "$B/api/findings/$FID/suppress" -X POST -H 'Referer: http://127.0.0.1:1/x')" 403
check "suppress_cross_origin_unchanged" bash -c "FLOWSIFT_HOME='$H' '$FL' findings show $FID --format ndjson | grep -q '\"status\":\"open\"'"
check_eq suppress "$(code "$B/api/findings/$FID/suppress" -X POST -H "Origin: http://127.0.0.1:$PORT")" 200
check "suppress_stored" bash -c "FLOWSIFT_HOME='$H' '$FL' findings show $FID --format ndjson | grep -q '\"status\":\"suppressed\"'"
check_eq resolve "$(code "$B/api/findings/$FID/resolve" -X POST)" 200
check "resolve_stored" bash -c "FLOWSIFT_HOME='$H' '$FL' findings show $FID --format ndjson | grep -q '\"status\":\"resolved\"'"
check_eq findings_status "$(code "$B/api/findings?status=resolved")" 200
check "findings_status_rows" grep -q "\"id\":$FID," "$FL_TMP/body"
check_eq resolve_missing "$(code "$B/api/findings/999999/resolve" -X POST)" 404
check_eq findings_bad_status "$(code "$B/api/findings?status=x%27")" 400

# static: a fixed list, CSP, nosniff; traversal refused
check_eq index "$(code "$B/")" 200
check "csp" grep -qi "^Content-Security-Policy: default-src 'self'" "$FL_TMP/hdr"
check "nosniff" grep -qi '^X-Content-Type-Options: nosniff' "$FL_TMP/hdr"
check "no_inline_script" bash -c "! grep -qE '<script>|<script [^s]|on[a-z]+=' '$FL_ROOT/assets/index.html'"
check "no_innerhtml" bash -c "! grep -q innerHTML '$FL_ROOT/assets/app.js'"
check_eq app_js "$(code "$B/app.js")" 200
check "app_js_type" grep -qi '^Content-Type: text/javascript' "$FL_TMP/hdr"
for u in "/../etc/passwd" "/%2e%2e/%2e%2e/etc/passwd" "/assets/../../etc/passwd" "//etc/passwd" \
         "/app.js/../../../etc/passwd" "/%2fetc%2fpasswd" "/app.css/x" "/README.md" "/serve.token" \
         "/index.html%00.js" "/app.js%00"; do
  c=$(code "$B$u" --path-as-is)
  if [ "$c" = 404 ] || [ "$c" = 400 ]; then pass "traversal $u"; else fail "traversal $u" "status $c"; fi
  grep -q 'root:' "$FL_TMP/body" && fail "traversal_leak $u" "passwd content served"
done
check_eq unknown_api "$(code "$B/api/nope")" 404

# non-loopback bind without a token is refused at start
timeout 10 "$FL" serve --listen 0.0.0.0:0 --home "$H" >"$FL_TMP/nl.out" 2>&1
check_eq nonloopback_rc "$?" 2
check "nonloopback_msg" grep -q 'without a token' "$FL_TMP/nl.out"

# hostile dataset + a token
MK=$FL_BUILD/tests/tools/mkdataset
printf '%s\n' \
 '{"cloud":"azure","account":"sub1","region":"westeurope","hour":0,"srcaddr":"10.0.0.1","dstaddr":"10.0.0.2","dstport":22,"protocol":6,"bytes":10,"packets":1,"start":1714521600,"end":1714521630,"action":"REJECT","rule_name":"<script>alert(\"x\")</script>\\\u0001"}' \
 >"$FL_TMP/hostile.ndjson"
"$MK" "$FL_TMP/hostile" "$FL_TMP/hostile.ndjson" >"$FL_TMP/mk.log" 2>&1 || fail mkdataset "$(cat "$FL_TMP/mk.log")"
TOK=abcdefghijklmnop0123456789
start_server "$FL_TMP/s2.out" --assets "$FL_ROOT/assets" --home "$FL_TMP/hostile" --token "$TOK" || fail start_token "$(cat "$FL_TMP/s2.out")"
B2=http://127.0.0.1:$PORT
check_eq token_missing "$(code "$B2/api/denied-by-rule")" 401
check_eq token_wrong "$(code "$B2/api/denied-by-rule" -H "Authorization: Bearer ${TOK}x")" 401
check_eq token_ok "$(code "$B2/api/denied-by-rule" -H "Authorization: Bearer $TOK")" 200
check_eq hostile_escaped "$(head -c 300 "$FL_TMP/body")" \
  '{"columns":["rule","flows","bytes"],"rows":[["<script>alert(\"x\")</script>\\\u0001",1,10]]}'
check hostile_json_parses node -e 'const j=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8")); if (j.rows[0][0] !== "<script>alert(\"x\")</script>\\\u0001") process.exit(1)' "$FL_TMP/body"
check_eq token_static_ok "$(code "$B2/")" 200

# --token generate: random, printed once, stored 0600 in the home, enforced
start_server "$FL_TMP/s3.out" --assets "$FL_ROOT/assets" --home "$FL_TMP/gen" --token generate || fail start_gen "$(cat "$FL_TMP/s3.out")"
GT=$(sed -n 's/^token: \([0-9a-f]*\) .*/\1/p' "$FL_TMP/s3.out")
check_eq gen_token_len "${#GT}" 64
check_eq gen_token_stored "$(cat "$FL_TMP/gen/serve.token" 2>/dev/null)" "$GT"
check_eq gen_token_mode "$(stat -c %a "$FL_TMP/gen/serve.token" 2>/dev/null)" 600
check_eq gen_token_missing "$(code "http://127.0.0.1:$PORT/api/query?q=SELECT%201")" 401
check_eq gen_token_ok "$(code "http://127.0.0.1:$PORT/api/query?q=SELECT%201" -H "Authorization: Bearer $GT")" 200
