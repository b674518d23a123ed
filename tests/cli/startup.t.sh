#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# startup.t.sh - what every command pays at start.  libcurl, libmicrohttpd
# and snappy are loaded when used (a webhook, `serve`, a snappy page), not
# linked: their TLS / Kerberos / LDAP and libstdc++ dependencies cost each
# start ~25 ms and ~5 ms (Makefile, src/common/dl.c).  Checks the binary does
# not link them (nor what they pull in) and that the commands using them
# still load them (the webhook and serve paths themselves are tested in
# detect/sinks and http/*, snappy pages in store/parquet_oracle).
. "$FL_ROOT/tests/lib.sh"
libs=$(ldd "$FL" 2>&1)
not_linked="libcurl libmicrohttpd libgnutls libssl libkrb5 libldap libsnappy"
# the sanitizer runtime (libubsan) links libstdc++ itself: only a normal build can show it gone
grep -q 'libasan\|libubsan' <<<"$libs" || not_linked+=" libstdc++"
for l in $not_linked; do
  if grep -q "$l" <<<"$libs"; then fail "not-linked-$l" "$(grep "$l" <<<"$libs")"; else pass "not-linked-$l"; fi
done
# the binary still runs every command that does not need them
check version "$FL" --version
# a snappy dataset: the writer and the reader load snappy when a page needs it
mkdir -p "$FL_TMP/sn"
printf 'storage:\n  codec: snappy\ngeo: {enabled: false}\n' >"$FL_TMP/sn/flowsift.yaml"
"$FL" generate -q --records 500 --seed 3 --out "$FL_TMP/sn.log" >/dev/null 2>&1
check snappy-ingest "$FL" ingest --home "$FL_TMP/sn" --quiet "$FL_TMP/sn.log"
check_eq snappy-read "$("$FL" query --home "$FL_TMP/sn" --format csv 'SELECT count(*) FROM flows' | tail -1)" 500
f=$(find "$FL_TMP/sn/data" -name '*.parquet' | head -1)
check_eq snappy-pages "$(node "$FL_ROOT/tests/tools/duck.mjs" "SELECT DISTINCT compression FROM parquet_metadata('$f')" | tail -n +2)" SNAPPY
# serve loads libmicrohttpd at start and listens (loopback, port 0 = any
# free port)
mkdir -p "$FL_TMP/home"
FLOWSIFT_HOME=$FL_TMP/home timeout 20 "$FL" serve --listen 127.0.0.1:0 --assets "$FL_ROOT/assets" >"$FL_TMP/serve.out" 2>&1 &
pid=$!
ok=no
for _ in $(seq 1 50); do
  grep -q '^listening on http://127.0.0.1:[0-9]*/$' "$FL_TMP/serve.out" 2>/dev/null && { ok=yes; break; }
  kill -0 $pid 2>/dev/null || break
  sleep 0.1
done
kill $pid 2>/dev/null; wait $pid 2>/dev/null
check_eq serve-loads-microhttpd "$ok" yes
