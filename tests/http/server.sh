# SPDX-License-Identifier: Apache-2.0
# server.sh - sourced by the http tests after tests/lib.sh: starting
# `flowsift serve` on a free loopback port and stopping everything the test
# started (servers, browsers: add their pids to PIDS) when it exits.
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; }
trap cleanup EXIT

# start_server OUTFILE ARGS...: `flowsift serve --listen 127.0.0.1:0 ARGS`
# (at most SERVE_TIMEOUT seconds, default 300), its output in OUTFILE; waits
# up to 10 s for its "listening on" line and sets PORT and B (the base URL).
# Returns 1 if it never listened.
start_server() {
  local out=$1; shift
  timeout "${SERVE_TIMEOUT:-300}" "$FL" serve --listen 127.0.0.1:0 "$@" >"$out" 2>&1 &
  PIDS+=($!)
  PORT=
  for _ in $(seq 1 200); do
    PORT=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$out")
    [ -n "$PORT" ] && { B=http://127.0.0.1:$PORT; return 0; }
    sleep 0.05
  done
  return 1
}
