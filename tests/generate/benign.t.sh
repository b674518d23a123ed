#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# benign.t.sh - `flowsift generate --benign`: the benign look-alikes that
# fool naive detection rules (nightly backups, Monday batch peaks, package
# mirrors with a patch day, the internal vulnerability scanner, bastion
# access over the VPN, health pollers and agents, NTP/DNS regularity).
# Checks, independently over the generated text: the background is
# unchanged, the record count adds up with the truth file, each shape has
# the shape it promises (times, days of week, volumes, fan-out, regularity),
# the truth names the policy that approves it, determinism, GCP (no denied
# flows) and Azure (totals recomputed by cloud_check.mjs), and misuse.
source "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
G() { "$FL" generate -q "$@"; }

# 7 days from Friday 2026-11-20: Monday is 2026-11-23, Tuesday 2026-11-24
G --records 20000 --days 7 --seed 11 --accounts 2 --out bg.log
G --records 20000 --days 7 --seed 11 --accounts 2 --benign all --truth ben.json --out ben.log
check_eq background_unchanged "$(tail -n +2 bg.log | sort | comm -23 - <(tail -n +2 ben.log | sort) | wc -l)" 0
G --records 20000 --days 7 --seed 11 --accounts 2 --benign all --out ben2.log
check_eq deterministic "$(md5sum < ben.log)" "$(md5sum < ben2.log)"
G --records 20000 --days 7 --seed 11 --accounts 2 --benign scanner,backup --truth two.json --out two.log
node - ben.json ben.log two.json "$T" <<'JS'
const fs = require('fs');
const [truthFile, logFile, twoFile, T] = process.argv.slice(2);
const t = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
const L = fs.readFileSync(logFile, 'utf8').trim().split('\n').slice(1).map((l) => l.split(' '));
const out = [], p = (n, ok, why) => out.push(ok ? `PASS ${T}/${n}` : `FAIL ${T}/${n}: ${why}`);
const sum = t.benign.reduce((s, b) => s + b.records, 0);
p('total_records', t.records === 20000 + sum && L.length === t.records, `${t.records} vs ${L.length} vs 20000+${sum}`);
const kinds = [...new Set(t.benign.map((b) => b.kind))].join();
p('all_shapes', kinds === 'backup,batch,mirror,scanner,bastion,health,ntp-dns' && t.benign.length === 14 && t.benign.every((b) => b.records > 0), kinds);
const two = JSON.parse(fs.readFileSync(twoFile, 'utf8'));
p('subset', two.benign.map((b) => b.kind).join() === 'backup,scanner,backup,scanner', two.benign.map((b) => b.kind).join());
const day0 = Date.parse('2026-11-20T00:00:00Z') / 1000;
const dayOf = (l) => Math.floor((+l[11] - day0) / 86400); // 0 = Friday
const hourOf = (l) => Math.floor(((+l[11] - day0) % 86400) / 3600);
const inCidr = (ip, c) => { const [n, b] = c.split('/'); const v = (s) => s.split('.').reduce((a, x) => a * 256 + +x, 0); const m = 2 ** (32 - +b); return Math.floor(v(ip) / m) === Math.floor(v(n) / m); };
for (const b of t.benign) {
  const A = new Set(b.actors), P = new Set(b.peers);
  const mine = L.filter((l) => l[1] === b.account && (A.has(l[3]) || A.has(l[4])));
  const acct = b.account.slice(-4);
  switch (b.kind) {
  case 'backup': {
    const up = mine.filter((l) => A.has(l[3]) && P.has(l[4]));
    const days = new Set(up.map(dayOf));
    p(`backup_${acct}`, up.length > 0 && days.size === 7 && up.every((l) => hourOf(l) === 2 && +l[9] >= 1e9 && l[6] === '443' && inCidr(l[4], b.approved_egress)),
      `${up.length} uploads on ${days.size} days`);
    break;
  }
  case 'batch': {
    const up = mine.filter((l) => A.has(l[3]) && P.has(l[4]));
    const vol = Array(7).fill(0);
    for (const l of up) vol[dayOf(l)] += +l[9];
    const others = vol.filter((_, d) => d !== 3), mean = others.reduce((a, x) => a + x, 0) / others.length;
    p(`batch_monday_peak_${acct}`, vol[3] / mean >= 3 && vol[3] / mean <= 5 && up.every((l) => hourOf(l) >= 9 && hourOf(l) < 11 && inCidr(l[4], b.approved_egress)),
      `monday/other ${(vol[3] / mean).toFixed(2)}`);
    break;
  }
  case 'mirror': {
    const req = L.filter((l) => l[1] === b.account && A.has(l[3]) && P.has(l[4]) && (l[6] === '443' || l[6] === '80'));
    const dst = (d) => { const m = new Map(); for (const l of req.filter((x) => dayOf(x) === d)) m.set(l[3], (m.get(l[3]) || new Set()).add(l[4])); return Math.max(0, ...[...m.values()].map((s) => s.size)); };
    const hosts = new Set(req.map((l) => l[3])).size;
    p(`mirror_patch_day_${acct}`, hosts === 40 && dst(4) >= 8 && dst(0) <= 3, `hosts ${hosts}, max mirrors per host tuesday ${dst(4)} friday ${dst(0)}`);
    break;
  }
  case 'scanner': {
    const probes = mine.filter((l) => A.has(l[3]) && l[5] === String(41000 + (b === t.benign.find((x) => x.kind === 'scanner') ? 0 : 1)));
    const night = probes.filter((l) => dayOf(l) === 2);
    const perDst = new Map();
    for (const l of night) perDst.set(l[4], (perDst.get(l[4]) || new Set()).add(l[6]));
    const vertical = [...perDst.values()].filter((s) => s.size >= 600).length;
    const sweep22 = new Set(night.filter((l) => l[6] === '22').map((l) => l[4])).size;
    const rej = night.filter((l) => l[12] === 'REJECT').length / night.length;
    p(`scanner_${acct}`, vertical === 2 && sweep22 >= 120 && rej > 0.2 && rej < 0.4 && night.every((l) => hourOf(l) === 1 && +l[8] <= 2) && b.known_scanner === b.actors[0] + '/32',
      `vertical ${vertical} sweep ${sweep22} reject ${rej.toFixed(2)} ${b.known_scanner}`);
    break;
  }
  case 'bastion': {
    const adm = mine.filter((l) => l[3].startsWith('100.64.') && l[6] === '22');
    const weekend = adm.filter((l) => dayOf(l) === 1 || dayOf(l) === 2).length;
    const ans = mine.filter((l) => A.has(l[3]) && P.has(l[4]) && l[6] === '22');
    const per = new Map();
    for (const l of ans) { const k = l[4] + ' ' + Math.floor(+l[10] / 600); per.set(k, (per.get(k) || 0) + 1); }
    p(`bastion_${acct}`, adm.length >= 20 && weekend === 0 && Math.max(...per.values()) >= 20 && ans.every((l) => +l[9] >= 40000),
      `admin ${adm.length} weekend ${weekend} ansible max ${Math.max(...per.values())}`);
    break;
  }
  case 'health': {
    const ag = mine.filter((l) => l[3] === b.actors[1] && P.has(l[4])).map((l) => +l[11]).sort((x, y) => x - y);
    const gaps = ag.slice(1).map((x, k) => x - ag[k]);
    p(`health_agent_regular_${acct}`, ag.length === 7 * 144 && gaps.every((g) => g >= 597 && g <= 603), `${ag.length} reports, gaps ${Math.min(...gaps)}..${Math.max(...gaps)}`);
    break;
  }
  default: {
    const ntp = mine.filter((l) => l[3] === b.actors[0] && l[6] === '123' && l[7] === '17');
    const byServer = new Map();
    for (const l of ntp) byServer.set(l[4], [...(byServer.get(l[4]) || []), +l[11]]);
    const regular = [...byServer.values()].every((ts) => { ts.sort((x, y) => x - y); return ts.slice(1).every((x, k) => x - ts[k] === 1024); });
    const dns = mine.filter((l) => l[4] === '8.8.8.8' && l[6] === '53').length;
    p(`ntp_dns_${acct}`, byServer.size === 2 && regular && ntp.length > 1000 && dns === 7 * 288, `servers ${byServer.size} regular ${regular} ntp ${ntp.length} dns ${dns}`);
  }
  }
}
console.log(out.join('\n'));
JS

# GCP: the same shapes, denied flows not logged, everything parses
G --format gcp --records 5000 --days 1 --seed 5 --accounts 2 --benign all --truth g.json --out g.json.log
"$FL" cat --stats g.json.log 2>&1 >/dev/null | grep '^total' > g.stats
check_eq gcp_all_parsed "$(sed -E 's/.*records_parsed=([0-9]+).*records_rejected=([0-9]+).*/\1 \2/' g.stats)" "$(node -e 'console.log(JSON.parse(require("fs").readFileSync("g.json")).records)') 0"
check_eq gcp_benign_present "$(grep -c '"dest_ip":"8.8.8.8"' g.json.log | awk '$1 >= 288 {print "yes"}')" yes
# Azure: totals recomputed independently over the blobs
G --format azure-vnet --layout azure --records 8000 --accounts 2 --seed 6 --benign all --truth az.json --out az
node "$FL_ROOT/tests/generate/cloud_check.mjs" vnet az az.json "$T/azure_benign"
check_eq azure_benign_present "$(node -e 'const t=JSON.parse(require("fs").readFileSync("az.json"));console.log(t.benign.length === 14 && t.benign.every((b) => b.records > 0) ? "yes" : "no")')" yes
check_eq azure_scanner_tuples "$(find az -name PT1H.json | xargs cat | grep -o ',41000,[0-9]*,6,O,' | wc -l | awk '$1 >= 900 {print "yes"}')" yes

# misuse
"$FL" generate --benign nope --out x.log >/dev/null 2>e.txt; check_eq misuse_unknown_shape "$?:$(grep -c "unknown benign shape 'nope'" e.txt)" "2:1"
"$FL" generate --format aws-tgw --benign all --out x.log >/dev/null 2>&1; check_eq misuse_benign_tgw "$?" 2
G --records 1000 --benign none --out none.log
G --records 1000 --out plain.log
check_eq benign_none_is_default "$(md5sum < none.log)" "$(md5sum < plain.log)"
