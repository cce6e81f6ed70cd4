// Worker thread for asn.ts: parses ip-location-db's ASN CSV files (start, end, AS
// number, organization; the organization quoted when it holds a comma) into typed
// arrays and posts them back, transferred rather than copied.

import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { v6High, type AsnTable } from './asn.ts';

const { v4, v6 } = workerData as { v4: string; v6: string };
const names: string[] = [];
const nameIndex = new Map<string, number>();

function org(raw: string): number {
  const name = raw.startsWith('"') && raw.endsWith('"') ? raw.slice(1, -1).replaceAll('""', '"') : raw;
  let i = nameIndex.get(name);
  if (i === undefined) {
    i = names.length;
    names.push(name);
    nameIndex.set(name, i);
  }
  return i;
}

/** Each line's four fields: the first three end at commas, the organization takes the rest. */
function rows(file: string): [string, string, string, string][] {
  const out: [string, string, string, string][] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const a = line.indexOf(',');
    const b = line.indexOf(',', a + 1);
    const c = line.indexOf(',', b + 1);
    if (a < 0 || b < 0 || c < 0) continue;
    out.push([line.slice(0, a), line.slice(a + 1, b), line.slice(b + 1, c), line.slice(c + 1).trimEnd()]);
  }
  return out;
}

const r4 = rows(v4);
const t4 = { starts: new Uint32Array(r4.length), ends: new Uint32Array(r4.length), asns: new Uint32Array(r4.length), orgs: new Uint32Array(r4.length) };
r4.forEach(([start, end, asn, name], i) => {
  t4.starts[i] = Number(start);
  t4.ends[i] = Number(end);
  t4.asns[i] = Number(asn);
  t4.orgs[i] = org(name);
});
const r6 = rows(v6);
const t6 = { starts: new BigUint64Array(r6.length), ends: new BigUint64Array(r6.length), asns: new Uint32Array(r6.length), orgs: new Uint32Array(r6.length) };
r6.forEach(([start, end, asn, name], i) => {
  t6.starts[i] = v6High(start);
  t6.ends[i] = v6High(end);
  t6.asns[i] = Number(asn);
  t6.orgs[i] = org(name);
});
const table: AsnTable = { v4: t4, v6: t6, names };
parentPort!.postMessage(table, [...Object.values(t4), ...Object.values(t6)].map((a) => a.buffer as ArrayBuffer));
