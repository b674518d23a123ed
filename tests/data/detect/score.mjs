// SPDX-License-Identifier: Apache-2.0
// score.mjs - precision and recall of detection findings against the
// planted incidents of `flowsift generate --incidents ... --truth FILE`:
//   node score.mjs TRUTH.json FINDINGS.ndjson
// A finding is a true positive when an address of its entity is an actor
// of a planted incident (its outside address or its interface address) and
// its activity span overlaps the incident (10 minutes of slack).  Recall
// counts an incident as found when the rule meant for its kind has such a
// finding.  Info-severity findings (flow-log health: data about the data,
// not attacks) are listed but not scored.  A false positive is attributed to
// the benign look-alike (`--benign`, the truth's "benign" list) one of whose
// actor or peer addresses is in its entity, else to "background".  Several
// truth files (one per cloud) may be given as TRUTH1.json,TRUTH2.json.
// Prints one line per rule, kind and benign shape and a JSON summary as the
// last line.
import fs from 'node:fs';

const [truthFile, findingsFile] = process.argv.slice(2);
const truths = truthFile.split(',').map((f) => JSON.parse(fs.readFileSync(f, 'utf8')));
const inc = truths.flatMap((t) => t.incidents || []);
const benign = truths.flatMap((t) => t.benign || []);
const findings = fs.readFileSync(findingsFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const ruleFor = { scan: 'scan-vertical', sweep: 'scan-horizontal', bruteforce: 'ssh-brute-force',
  admin: 'admin-port-exposed', exfil: 'exfil-egress', beacon: 'beaconing', flood: 'outbound-flood' };
const t = (s) => Date.parse(s) / 1000;
const matches = (f, i) => {
  const vals = Object.values(f.entity || {});
  const actors = [i.srcaddr, i.dstaddr].filter((a) => a && a !== '*');
  if (!vals.some((v) => actors.includes(v))) return false;
  return t(f.first_seen) <= i.end + 600 && t(f.last_seen) >= i.start - 600;
};
const shapeOf = (f) => {
  const vals = Object.values(f.entity || {});
  const b = benign.find((x) => [...(x.actors || []), ...(x.peers || [])].some((a) => vals.includes(a)));
  return b ? b.kind : 'background';
};
const perRule = {}, fpByShape = {};
let tp = 0, fp = 0;
for (const f of findings) {
  if (f.severity === 'info') continue;
  const r = (perRule[f.rule] ||= { findings: 0, tp: 0 });
  r.findings++;
  if (inc.some((i) => matches(f, i))) { r.tp++; tp++; } else {
    fp++;
    const s = shapeOf(f);
    (fpByShape[s] ||= []).push(`${f.rule} ${f.key}`);
  }
}
for (const [rule, r] of Object.entries(perRule).sort())
  console.log(`rule ${rule}: findings=${r.findings} true=${r.tp} precision=${(r.tp / r.findings).toFixed(3)}`);
const shapes = [...new Set(benign.map((b) => b.kind))];
for (const s of [...shapes, 'background'])
  console.log(`false positives from ${s}: ${(fpByShape[s] || []).length}` +
    ((fpByShape[s] || []).length ? ` (${fpByShape[s].slice(0, 4).join('; ')}${fpByShape[s].length > 4 ? '; ...' : ''})` : ''));
let found = 0;
const recall = {};
for (const i of inc) {
  const ok = findings.some((f) => f.rule === ruleFor[i.kind] && matches(f, i));
  recall[i.kind] = ok ? 1 : 0;
  found += ok;
  console.log(`incident ${i.kind} -> ${ruleFor[i.kind]}: ${ok ? 'found' : 'MISSED'}`);
}
const precision = tp + fp ? tp / (tp + fp) : 1;
console.log(JSON.stringify({ incidents: inc.length, found, recall: inc.length ? found / inc.length : 1,
  findings: tp + fp, true_positives: tp, precision, per_kind: recall,
  false_positives_by_shape: Object.fromEntries([...shapes, 'background'].map((s) => [s, (fpByShape[s] || []).length])),
  info_findings: findings.filter((f) => f.severity === 'info').length }));
