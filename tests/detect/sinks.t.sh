# SPDX-License-Identifier: Apache-2.0
# Notification sinks against real local receivers on 127.0.0.1
# (tests/data/detect/receiver.mjs): the webhook retried after a 500 with
# backoff, its OCSF body, the Slack-compatible body, no re-notification on
# an unchanged re-run, suppressed findings not notified, and syslog RFC 5424
# over UDP and over TCP with octet-counting framing.
. "$FL_ROOT/tests/lib.sh"
MK="$FL_BUILD/tests/tools/mkdataset"
RCV="$FL_ROOT/tests/data/detect/receiver.mjs"
T0=1714521600
R="$FL_TMP/rules"; mkdir -p "$R"
cp "$FL_ROOT/rules/ssh_brute_force.yaml" "$R/"
node -e 'for (let i = 0; i < 30; i++) console.log(JSON.stringify({cloud: "aws", account: "1", region: "r",
  interface_id: "eni-1", srcaddr: "185.220.101.7", dstaddr: "10.0.1.10", srcport: 40000 + i, dstport: 22,
  protocol: 6, packets: 10, bytes: 3000, start: 1714525200 + i * 10, end: 1714525205 + i * 10,
  action: "ACCEPT", log_status: "OK", src_scope: "public", dst_scope: "private"}))' > "$FL_TMP/a.ndjson"
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
start_rcv() { # kind name [fail_first]: sets $port
  rm -f "$FL_TMP/$2.port" "$FL_TMP/$2.log"; touch "$FL_TMP/$2.log"
  node "$RCV" "$1" "$FL_TMP/$2.port" "$FL_TMP/$2.log" "${3:-0}" >/dev/null 2>&1 & PIDS+=($!)
  for _ in $(seq 200); do [ -s "$FL_TMP/$2.port" ] && break; sleep 0.05; done
  port=$(cat "$FL_TMP/$2.port")
}
fresh() { rm -rf "$FL_TMP/h"; mkdir -p "$FL_TMP/h"; "$MK" "$FL_TMP/h" "$FL_TMP/a.ndjson" >/dev/null; }
detect() { FLOWSIFT_HOME="$FL_TMP/h" timeout 60 "$FL" detect --rules "$R" --from $T0 --to $((T0 + 86400)) --now $((T0 + 86400)) "$@"; }
jsonl() { node -e 'const fs=require("fs");const ls=fs.readFileSync(process.argv[1],"utf8").trim().split("\n").filter(Boolean).map(JSON.parse);console.log(eval(process.argv[2]))' "$@"; }

# ---- webhook: first request answered 500, retried ---------------------------
fresh
start_rcv http hook 1
t0=$(date +%s%N)
out=$(detect --notify "webhook:http://127.0.0.1:$port/hook,backoff=300" 2>&1)
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check_eq webhook-notified "$(echo "$out" | grep -c 'notified=1')" 1
check_eq webhook-two-requests "$(jsonl "$FL_TMP/hook.log" 'ls.map(l=>l.status).join(",")')" "500,200"
[ "$ms" -ge 300 ] && pass webhook-backoff-waited || fail webhook-backoff-waited "${ms}ms"
check_eq webhook-body "$(jsonl "$FL_TMP/hook.log" 'const b=JSON.parse(ls[1].body);[ls[1].method,ls[1].url,ls[1].type,b.class_uid,b.finding_info.analytic.uid,b.count].join(" ")')" \
  "POST /hook application/json 2004 ssh-brute-force 30"
# unchanged re-run: nothing new to say
detect --notify "webhook:http://127.0.0.1:$port/hook,backoff=300" >/dev/null 2>&1
check_eq webhook-no-renotify "$(wc -l < "$FL_TMP/hook.log")" 2
# suppressed findings are recorded but not notified
fresh
FLOWSIFT_HOME="$FL_TMP/h" "$FL" findings suppress --rule ssh-brute-force --cidr 185.220.101.0/24 --reason test >/dev/null
start_rcv http hook2; port2=$port
out=$(detect --notify "webhook:http://127.0.0.1:$port2/hook" 2>&1)
check_eq suppressed-not-notified "$(wc -l < "$FL_TMP/hook2.log"):$(echo "$out" | grep -c 'suppressed=1 notified=0')" "0:1"
# a receiver that always fails: the failure is counted, detect goes on
fresh
start_rcv http hook3 100; port3=$port
out=$(detect --notify "webhook:http://127.0.0.1:$port3/x,retries=2,backoff=50" 2>&1)
check_eq webhook-gives-up "$(wc -l < "$FL_TMP/hook3.log"):$(echo "$out" | grep -c 'notified (1 failed)')" "3:1"

# ---- slack body ----------------------------------------------------------------
fresh
start_rcv http slack
detect --notify "slack:http://127.0.0.1:$port/services/T/B/x" >/dev/null 2>&1
check_eq slack-body "$(jsonl "$FL_TMP/slack.log" 'const b=JSON.parse(ls[0].body);Object.keys(b).join(",")+" "+/^\[high\] SSH brute force \(ssh-brute-force\) srcaddr=185.220.101.7,dstaddr=10.0.1.10/.test(b.text)')" "text true"

# ---- syslog UDP and TCP ------------------------------------------------------------
re='^<131>1 [0-9T:-]+Z [^ ]+ flowsift [0-9]+ ssh-brute-force \[flowsift@32473 id="1" rule="ssh-brute-force" severity="high" status="open" count="30" entity="srcaddr=185.220.101.7,dstaddr=10.0.1.10"\] SSH brute force: srcaddr=185.220.101.7,dstaddr=10.0.1.10$'
fresh
start_rcv udp sysu
detect --notify "syslog+udp://127.0.0.1:$port" >/dev/null 2>&1
sleep 0.3
msg=$(jsonl "$FL_TMP/sysu.log" 'ls.length+" "+ls[0].msg')
[[ "$msg" =~ ^1\ (.*)$ ]] && [[ "${BASH_REMATCH[1]}" =~ $re ]] && pass syslog-udp-rfc5424 || fail syslog-udp-rfc5424 "$msg"
fresh
start_rcv tcp syst
detect --notify "syslog+tcp://127.0.0.1:$port" >/dev/null 2>&1
sleep 0.3
msg=$(jsonl "$FL_TMP/syst.log" 'ls.length+" "+ls[0].framed+" "+ls[0].msg')
[[ "$msg" =~ ^1\ true\ (.*)$ ]] && [[ "${BASH_REMATCH[1]}" =~ $re ]] && pass syslog-tcp-octet-counted || fail syslog-tcp-octet-counted "$msg"
# bad sink specs are usage errors
FLOWSIFT_HOME="$FL_TMP/h" "$FL" detect --rules "$R" --notify "smtp://x" >/dev/null 2>&1
check_eq bad-sink-spec "$?" 2
