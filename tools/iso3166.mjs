#!/usr/bin/env node
// SPDX-License-Identifier: Apache-2.0
// iso3166.mjs OUT.json [ISO_JSON] [WORLD_ATLAS_JSON] - generates the table the
// dashboard's world map needs: our data carries ISO 3166-1 alpha-2 country
// codes (dst_country), world-atlas identifies countries by ISO 3166-1 numeric
// code.  The mapping comes from Debian's iso-codes package
// (/usr/share/iso-codes/json/iso_3166-1.json), never typed by hand; only the
// codes that world-atlas actually draws are kept.  Output:
// {"source": ..., "countries": {"US": {"numeric": "840", "name": "United States"}, ...}}
import fs from 'node:fs';

const [out, isoPath = '/usr/share/iso-codes/json/iso_3166-1.json',
       atlasPath = 'node_modules/world-atlas/countries-110m.json'] = process.argv.slice(2);
if (!out) {
  console.error('usage: iso3166.mjs OUT.json [iso_3166-1.json] [countries-110m.json]');
  process.exit(2);
}
const iso = JSON.parse(fs.readFileSync(isoPath, 'utf8'))['3166-1'];
const atlas = JSON.parse(fs.readFileSync(atlasPath, 'utf8'));
const drawn = new Set(atlas.objects.countries.geometries.map((g) => g.id).filter(Boolean));
const countries = {};
for (const c of iso) {
  if (!/^[A-Z]{2}$/.test(c.alpha_2) || !/^[0-9]{3}$/.test(c.numeric)) continue;
  if (!drawn.has(c.numeric)) continue;
  countries[c.alpha_2] = { numeric: c.numeric, name: c.common_name || c.name };
}
const n = Object.keys(countries).length;
if (n < 150) {
  console.error(`iso3166.mjs: only ${n} countries mapped; wrong input files?`);
  process.exit(1);
}
fs.writeFileSync(out, JSON.stringify({ source: 'iso-codes iso_3166-1.json x world-atlas countries-110m ids', countries }) + '\n');
