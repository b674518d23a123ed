#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// cloud_check.mjs - independent checks of `flowsift generate` Azure and GCP
// output (used by tests/generate/cloud.t.sh): walks a folder, parses every
// blob / line with JSON.parse, checks the layout, the record shapes and the
// tuple grammar, recomputes the totals and compares them with the
// generator's --truth file.  Prints "PASS name" / "FAIL name: why".
//   node cloud_check.mjs nsg|vnet|gcp DIR TRUTH.json PREFIX
import fs from 'node:fs';
import path from 'node:path';

const [kind, dir, truthFile, prefix] = process.argv.slice(2);
const truth = JSON.parse(fs.readFileSync(truthFile, 'utf8'));
const out = [];
const pass = (n) => out.push(`PASS ${prefix}/${n}`);
const fail = (n, why) => out.push(`FAIL ${prefix}/${n}: ${why}`);
const eq = (n, a, b) => (JSON.stringify(a) === JSON.stringify(b) ? pass(n) : fail(n, `got ${JSON.stringify(a)} want ${JSON.stringify(b)}`));

function walk(d) {
  const r = [];
  for (const e of fs.readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) r.push(...walk(p)); else r.push(p);
  }
  return r;
}
const files = walk(dir).map((f) => path.relative(dir, f));
let bad = [];
const note = (why) => { if (bad.length < 5) bad.push(why); };
const sums = { records: 0, b: 0, ce: 0, d: 0, packets: 0, bytes: 0, packets_rev: 0, bytes_rev: 0 };
const perAcct = new Map();
const pairs = new Map();
const addPair = (s, d, by) => { const k = s + ' ' + d; pairs.set(k, (pairs.get(k) || 0n) + BigInt(by)); };

if (kind === 'nsg' || kind === 'vnet') {
  const re = kind === 'nsg'
    ? /^insights-logs-networksecuritygroupflowevent\/resourceId=\/SUBSCRIPTIONS\/([0-9A-F-]{36})\/RESOURCEGROUPS\/([A-Z0-9-]+)\/PROVIDERS\/MICROSOFT\.NETWORK\/NETWORKSECURITYGROUPS\/([A-Z0-9-]+)\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})\/m=00\/macAddress=([0-9A-F]{12})\/PT1H\.json$/
    : /^insights-logs-flowlogflowevent\/flowLogResourceID=\/SUBSCRIPTIONS\/([0-9A-F-]{36})\/RESOURCEGROUPS\/NETWORKWATCHERRG\/PROVIDERS\/MICROSOFT\.NETWORK\/NETWORKWATCHERS\/NETWORKWATCHER_([A-Z0-9]+)\/FLOWLOGS\/([A-Z0-9-]+)\/y=(\d{4})\/m=(\d{2})\/d=(\d{2})\/h=(\d{2})\/m=00\/macAddress=([0-9A-F]{12})\/PT1H\.json$/;
  let badPath = 0, badJson = 0;
  const subs = new Set();
  for (const f of files) {
    const m = f.match(re);
    if (!m) { badPath++; note('path ' + f); continue; }
    const [, sub, g2, g3, y, mo, d, h, mac] = m;
    subs.add(sub);
    const h0 = Date.UTC(+y, +mo - 1, +d, +h) / 1000;
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    let doc;
    try { doc = JSON.parse(text); } catch (e) { badJson++; note('json ' + f); continue; }
    if (!text.startsWith('{"records":[') || !text.endsWith(']}')) note('blob frame ' + f);
    const acct = sub.toLowerCase();
    for (const r of doc.records) {
      const t = Date.parse(r.time) / 1000;
      if (!(t >= h0 && t < h0 + 3600)) note('record time outside hour ' + r.time);
      if (r.macAddress !== mac) note('mac ' + r.macAddress);
      let groups;
      if (kind === 'nsg') {
        if (r.category !== 'NetworkSecurityGroupFlowEvent' || r.properties.Version !== 2) note('nsg header');
        if (r.resourceId !== `/SUBSCRIPTIONS/${sub}/RESOURCEGROUPS/${g2}/PROVIDERS/MICROSOFT.NETWORK/NETWORKSECURITYGROUPS/${g3}`) note('resourceId ' + r.resourceId);
        groups = r.properties.flows.map((fl) => { if (fl.flows.length !== 1 || fl.flows[0].mac !== mac) note('inner mac'); return [fl.rule, fl.flows[0].flowTuples]; });
      } else {
        if (r.category !== 'FlowLogFlowEvent' || r.flowLogVersion !== 4) note('vnet header');
        if (!r.flowLogResourceID.startsWith(`/SUBSCRIPTIONS/${sub}/`) || !r.flowLogResourceID.endsWith(`/NETWORKWATCHER_${g2}/FLOWLOGS/${g3}`)) note('flowLogResourceID');
        if (!/^\/subscriptions\/[0-9a-f-]{36}\/resourceGroups\/.+\/virtualNetworks\/.+$/.test(r.targetResourceID)) note('targetResourceID');
        groups = [];
        for (const acl of r.flowRecords.flows) {
          if (!/^[0-9a-f-]{36}$/.test(acl.aclID)) note('aclID');
          for (const g of acl.flowGroups) {
            if (!/_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/.test(g.rule)) note('rule suffix ' + g.rule);
            groups.push([g.rule, g.flowTuples]);
          }
        }
      }
      for (const [rule, tuples] of groups) {
        for (const tu of tuples) {
          const p = tu.split(',');
          sums.records++;
          const a = perAcct.get(acct) || { records: 0, packets: 0, bytes: 0 };
          a.records++;
          perAcct.set(acct, a);
          if (p.length !== 13) { note('tuple fields ' + tu); continue; }
          const ts = kind === 'nsg' ? +p[0] : +p[0] / 1000;
          if ((kind === 'nsg' ? p[0].length !== 10 : p[0].length !== 13) || !(ts >= h0 && ts < h0 + 3600)) note('tuple time ' + tu);
          if (p[6] !== 'I' && p[6] !== 'O') note('direction ' + tu);
          let state, counters;
          if (kind === 'nsg') {
            if (p[5] !== 'T' && p[5] !== 'U') note('proto ' + tu);
            if (p[7] !== 'A' && p[7] !== 'D') note('decision ' + tu);
            state = p[8]; counters = p.slice(9);
            if (p[7] === 'D') { if (state !== 'B' || counters.join(',') !== ',,,') note('deny ' + tu); sums.d++; continue; }
            if (!/Deny/.test(rule) === false) note('allow in deny rule ' + tu);
            if (state === 'B') { if (counters.join(',') !== ',,,') note('B counters ' + tu); sums.b++; continue; }
          } else {
            if (!/^(6|17|1|58)$/.test(p[5])) note('proto ' + tu);
            state = p[7]; counters = p.slice(9);
            if (!/^(X|NX|NX_LOCAL_DST|NX_HW_NOT_SUPPORTED)$/.test(p[8])) note('encryption ' + tu);
            if (state === 'D') { if (counters.join(',') !== '0,0,0,0') note('D counters ' + tu); sums.d++; continue; }
            if (state === 'B') { if (counters.join(',') !== '0,0,0,0') note('B counters ' + tu); sums.b++; continue; }
          }
          if (state !== 'C' && state !== 'E') { note('state ' + tu); continue; }
          if (!counters.every((x) => /^\d+$/.test(x))) { note('counters ' + tu); continue; }
          sums.ce++;
          sums.packets += +counters[0]; sums.bytes += +counters[1];
          sums.packets_rev += +counters[2]; sums.bytes_rev += +counters[3];
          a.packets += +counters[0]; a.bytes += +counters[1];
          addPair(p[1], p[2], counters[1]);
        }
      }
    }
  }
  eq('layout_paths', badPath, 0);
  eq('blobs_parse_as_json', badJson, 0);
  eq('several_subscriptions', subs.size >= 2, true);
  eq('tuple_shapes', bad, []);
  eq('truth_tuples', sums.records, truth.records);
  eq('truth_b_ce_d', [sums.b, sums.ce, sums.d], [truth.flows_b, truth.updates_ce, truth.denies_d]);
  eq('truth_sums_fwd', [sums.packets, sums.bytes], [truth.packets, truth.bytes]);
  eq('truth_sums_rev', [sums.packets_rev, sums.bytes_rev], [truth.packets_rev, truth.bytes_rev]);
} else {
  const re = /^([a-z0-9-]+)\/compute\.googleapis\.com\/vpc_flows\/(\d{4})\/(\d{2})\/(\d{2})\/(\d{2}):00:00_(\d{2}):59:59_S0\.json$/;
  let badPath = 0, badJson = 0;
  for (const f of files) {
    const m = f.match(re);
    if (!m || m[5] !== m[6]) { badPath++; note('path ' + f); continue; }
    const project = m[1];
    for (const line of fs.readFileSync(path.join(dir, f), 'utf8').split('\n')) {
      if (!line) continue;
      let e;
      try { e = JSON.parse(line); } catch { badJson++; continue; }
      const j = e.jsonPayload;
      sums.records++;
      if (e.logName !== `projects/${project}/logs/compute.googleapis.com%2Fvpc_flows`) note('logName ' + e.logName);
      if (e.resource.type !== 'gce_subnetwork' || e.resource.labels.project_id !== project) note('resource');
      if (typeof j.bytes_sent !== 'string' || !/^\d+$/.test(j.bytes_sent) || typeof j.packets_sent !== 'string') note('int64 as string');
      if (j.reporter !== 'SRC' && j.reporter !== 'DEST') note('reporter ' + j.reporter);
      if (j.reporter === 'SRC' && !j.src_instance) note('SRC without src_instance');
      if (j.reporter === 'DEST' && !j.dest_instance) note('DEST without dest_instance');
      if (!(Date.parse(j.start_time) <= Date.parse(j.end_time))) note('start > end');
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{9}Z$/.test(j.end_time)) note('rfc3339 ' + j.end_time);
      const c = j.connection;
      if (typeof c.src_port !== 'number' || typeof c.protocol !== 'number') note('connection types');
      sums.bytes += +j.bytes_sent; sums.packets += +j.packets_sent;
      addPair(c.src_ip, c.dest_ip, j.bytes_sent);
    }
  }
  eq('layout_paths', badPath, 0);
  eq('lines_parse_as_json', badJson, 0);
  eq('entry_shapes', bad, []);
  eq('truth_records', sums.records, truth.records);
  eq('truth_sums', [sums.packets, sums.bytes], [truth.packets, truth.bytes]);
}
// top talkers: the truth's top 5 equals the independent computation
const top = [...pairs.entries()].sort((x, y) => (x[1] < y[1] ? 1 : x[1] > y[1] ? -1 : x[0] < y[0] ? -1 : 1)).slice(0, 5)
  .map(([k, v]) => k + ' ' + v);
const ttop = (truth.top_talkers || []).slice(0, 5).map((t) => `${t.srcaddr} ${t.dstaddr} ${t.bytes}`);
eq('truth_top_talkers', ttop, top);
console.log(out.join('\n'));
