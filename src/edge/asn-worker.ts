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

interface Part<S> {
  starts: S;
  ends: S;
  asns: Uint32Array;
  orgs: Uint32Array;
}

// Walks the file line by line without splitting it (a 21 MB file split into 412,000
// lines of four strings each took hundreds of MB of heap): the first three fields end at
// commas, the organization takes the rest of the line.
function parse<S extends Uint32Array | BigUint64Array>(file: string, make: (n: number) => S, address: (field: string) => number | bigint): Part<S> {
  const text = readFileSync(file, 'utf8');
  let lines = 0;
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++;
  const part: Part<S> = { starts: make(lines + 1), ends: make(lines + 1), asns: new Uint32Array(lines + 1), orgs: new Uint32Array(lines + 1) };
  let n = 0;
  for (let pos = 0; pos < text.length;) {
    let eol = text.indexOf('\n', pos);
    if (eol < 0) eol = text.length;
    const a = text.indexOf(',', pos);
    const b = a < 0 ? -1 : text.indexOf(',', a + 1);
    const c = b < 0 ? -1 : text.indexOf(',', b + 1);
    if (c >= 0 && c < eol) {
      part.starts[n] = address(text.slice(pos, a)) as never;
      part.ends[n] = address(text.slice(a + 1, b)) as never;
      part.asns[n] = Number(text.slice(b + 1, c));
      part.orgs[n] = org(text.slice(c + 1, eol).trimEnd());
      n++;
    }
    pos = eol + 1;
  }
  return { starts: part.starts.slice(0, n) as S, ends: part.ends.slice(0, n) as S, asns: part.asns.slice(0, n), orgs: part.orgs.slice(0, n) };
}

const t4 = parse(v4, (n) => new Uint32Array(n), Number);
const t6 = parse(v6, (n) => new BigUint64Array(n), v6High);
const table: AsnTable = { v4: t4, v6: t6, names };
parentPort!.postMessage(table, [...Object.values(t4), ...Object.values(t6)].map((a) => a.buffer as ArrayBuffer));
