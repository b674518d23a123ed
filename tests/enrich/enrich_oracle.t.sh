# SPDX-License-Identifier: Apache-2.0
# enrich_oracle.t.sh - the enrichment end to end against an independent
# computation.  A generated day (v4 and v6, AWS default format: no flow
# direction) is ingested with a known asset map (nested prefixes), VPCs,
# internal CIDRs and two intel lists built from addresses of the input;
# DuckDB then counts flow_type, src_tag, dst_tier, threat, flow_direction
# and direction_source over the Parquet dataset, and a separate Node program
# computes the same counts from the raw text with its own CIDR matching and
# the decision order of docs/internals/enrich.md.  The two must be equal.
. "$FL_ROOT/tests/lib.sh"
cd "$FL_TMP" || exit 1
"$FL" generate -q --records 30000 --seed 5 --out in.log || { fail generate "flowsift generate failed"; exit 0; }

# Intel lists from the input's own public destinations: some /24s (v4) and
# /48s (v6) in list "alpha", a few single addresses in "beta", one address in
# both (alpha must win: config order).
awk 'NR > 1 && $5 !~ /^10\./ && $14 == "OK" { print $5 }' in.log | sort | uniq -c | sort -k1,1nr -k2 | awk '{ print $2 }' >pub.txt
awk 'NR <= 40 && $1 !~ /:/ { split($1, a, "."); print a[1] "." a[2] "." a[3] ".0/24" }
     NR <= 40 && $1 ~ /:/ { split($1, a, ":"); print a[1] ":" a[2] ":" a[3] "::/48" }' pub.txt | sort -u >alpha.txt
{ echo "# beta: single addresses; ; and # comments"; awk 'NR > 40 && NR <= 60 { print $1 " ; made-up" }' pub.txt; sed -n 1p pub.txt; echo "garbage line"; } >beta.txt
cat >flowsift.yaml <<'EOF'
geo: {enabled: false}
internal_cidrs: [10.0.0.0/8, 2600:1f18::/32]
vpcs:
  vpc-a: [10.0.0.0/16, 2600:1f18:100::/40]
  vpc-a2: [10.1.0.0/16]
  vpc-b: [10.8.0.0/14]
  vpc-c: [10.16.0.0/13]
assets:
  10.0.0.0/8: {name: corp, tier: any, env: corp}
  10.1.0.0/16: {name: prod, env: prod}
  10.1.1.0/24: {name: frontend, tier: web, env: prod}
  10.1.1.128/25: {name: canary, tier: web, env: canary}
  10.8.0.0/16: {name: data, tier: db, env: prod}
  10.16.0.0/12: {name: batch, tier: batch, env: dev}
  2600:1f18:101::/48: {name: v6app, tier: app, env: prod}
intel:
  - {name: alpha, file: alpha.txt}
  - {name: beta, file: beta.txt}
EOF
if ! "$FL" ingest --quiet --home "$FL_TMP/home" --config flowsift.yaml in.log >ingest.out 2>&1; then
  fail ingest "$(head -c 400 ingest.out)"; exit 0
fi
check_eq intel_warning_once "$(grep -c "intel list 'beta': 1 malformed" ingest.out)" 1

PQ="read_parquet('$FL_TMP/home/data/**/*.parquet', hive_partitioning = true)"
duck() { node "$FL_ROOT/tests/tools/duck.mjs" --no-header "SELECT coalesce(CAST($1 AS VARCHAR), 'NULL') AS k, count(*) AS n FROM $PQ GROUP BY 1 ORDER BY 1" | sed 's/^"\(.*\)"\(,[0-9]*\)$/\1\2/'; }

# The independent computation (Node, BigInt CIDRs, its own scope table).
cat >oracle.mjs <<'EOF'
import fs from 'node:fs';
const ip = (s) => {
  if (!s.includes(':')) { const p = s.split('.').map(Number); return (0xffffn << 32n) | BigInt(((p[0] << 24) >>> 0) + (p[1] << 16) + (p[2] << 8) + p[3]); }
  let [h, t] = s.split('::'); const hs = h ? h.split(':') : [], ts = t !== undefined && t ? t.split(':') : [];
  const parts = t === undefined ? hs : [...hs, ...Array(8 - hs.length - ts.length).fill('0'), ...ts];
  return parts.reduce((a, x) => (a << 16n) | BigInt(parseInt(x, 16)), 0n);
};
const cidr = (s) => { const [a, b] = s.split('/'); const v6 = a.includes(':'); const bits = BigInt(b === undefined ? (v6 ? 128 : 32) : Number(b)) + (v6 ? 0n : 96n); return { net: ip(a) >> (128n - bits), bits }; };
const inC = (x, c) => (x >> (128n - c.bits)) === c.net;
const cfg = {
  internal: ['10.0.0.0/8', '2600:1f18::/32'].map(cidr),
  vpcs: [['vpc-a', ['10.0.0.0/16', '2600:1f18:100::/40']], ['vpc-a2', ['10.1.0.0/16']], ['vpc-b', ['10.8.0.0/14']], ['vpc-c', ['10.16.0.0/13']]].map(([n, cs]) => [n, cs.map(cidr)]),
  assets: [['10.0.0.0/8', 'corp', 'any'], ['10.1.0.0/16', 'prod', null], ['10.1.1.0/24', 'frontend', 'web'], ['10.1.1.128/25', 'canary', 'web'], ['10.8.0.0/16', 'data', 'db'], ['10.16.0.0/12', 'batch', 'batch'], ['2600:1f18:101::/48', 'v6app', 'app']].map(([c, n, t]) => ({ c: cidr(c), n, t })),
};
const lists = ['alpha', 'beta'].map((n) => [n, fs.readFileSync(n + '.txt', 'utf8').split('\n').map((l) => l.replace(/[#;].*/, '').trim()).filter((l) => l && /^[0-9a-f:.\/]+$/i.test(l)).map(cidr)]);
// scope: only "public or not" matters for the flow type here
const v4special = ['0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12', '192.0.0.0/24', '192.0.2.0/24', '192.88.99.0/24', '192.168.0.0/16', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4'].map(cidr);
const v6special = ['::/8', '2001::/23', '2001:db8::/32', '2002::/16', 'fc00::/7', 'fe80::/10', 'ff00::/8'].map(cidr);
const isV4 = (x) => x >> 32n === 0xffffn;
const isPublic = (x) => isV4(x) ? !v4special.some((c) => inC(x, c)) : !v6special.some((c) => inC(x, c)) && (x >> 125n) === 1n;
const vpcOf = (x) => { for (const [n, cs] of cfg.vpcs) if (cs.some((c) => inC(x, c))) return n; return null; };
const internal = (x) => cfg.internal.some((c) => inC(x, c)) || vpcOf(x) !== null;
const asset = (x) => { let best = null; for (const a of cfg.assets) if (inC(x, a.c) && (!best || a.c.bits > best.c.bits)) best = a; return best; };
const threat = (x) => { for (const [n, cs] of lists) if (cs.some((c) => inC(x, c))) return n; return null; };
const counts = {};
const add = (k, v) => { counts[k] ??= {}; const kk = v === null ? 'NULL' : v; counts[k][kk] = (counts[k][kk] || 0) + 1; };
const lines = fs.readFileSync('in.log', 'utf8').split('\n');
for (const l of lines.slice(1)) {
  if (!l) continue;
  const f = l.split(' ');
  const hs = f[3] !== '-', hd = f[4] !== '-';
  const s = hs ? ip(f[3]) : null, d = hd ? ip(f[4]) : null;
  let ft = null, th = null, dir = null, dsrc = null;
  if (hs && hd) {
    const ts = threat(s), td = threat(d);
    th = ts && td ? (['alpha', 'beta'].indexOf(ts) <= ['alpha', 'beta'].indexOf(td) ? ts : td) : ts || td;
    const si = internal(s), di = internal(d);
    if (th) ft = 'MaliciousFlow';
    else if (si && di) { const a = vpcOf(s), b = vpcOf(d); ft = a && b ? (a === b ? 'IntraVpc' : 'InterVpc') : 'UnknownPrivate'; }
    else if (si || di) ft = isPublic(si ? d : s) ? 'ExternalPublic' : 'UnknownPrivate';
    else ft = 'Unknown';
    if (si !== di) { dir = si ? 'egress' : 'ingress'; dsrc = 'inferred'; }
  } else {
    if (hs) th = threat(s); else if (hd) th = threat(d);
  }
  add('flow_type', ft); add('threat', th); add('flow_direction', dir); add('direction_source', dsrc);
  add('src_tag', hs && asset(s) ? asset(s).n : null);
  add('dst_tier', hd && asset(d) ? asset(d).t : null);
}
for (const k of ['flow_type', 'src_tag', 'dst_tier', 'threat', 'flow_direction', 'direction_source'])
  fs.writeFileSync('want_' + k + '.csv', Object.keys(counts[k]).sort().map((v) => v + ',' + counts[k][v]).join('\n') + '\n');
EOF
node oracle.mjs || { fail oracle "node oracle.mjs failed"; exit 0; }
for k in flow_type src_tag dst_tier threat flow_direction direction_source; do
  duck "$k" | LC_ALL=C sort >"got_$k.csv"
  LC_ALL=C sort "want_$k.csv" -o "want_$k.csv"
  check_file_eq "counts_$k" "got_$k.csv" "want_$k.csv"
done
# the counts are not trivial: every flow type the data can produce shows up
check nontrivial_flow_types grep -q MaliciousFlow got_flow_type.csv
check nontrivial_inter grep -q InterVpc got_flow_type.csv
check nontrivial_tags grep -q canary got_src_tag.csv
check nontrivial_beta grep -q '^beta,' got_threat.csv
