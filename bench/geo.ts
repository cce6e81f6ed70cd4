// The IP database behind request.cf (src/edge/geo.ts, DB-IP City Lite MMDB files read
// with maxmind): what loading it costs a process (time of the first lookup, RSS growth
// per address family) and what one lookup costs, for addresses never seen (LRU misses)
// and for an address seen before (hits). The baseline for lookups is parsing the
// request URL, which every request pays anyway (`new URL`), measured in the same run;
// the baseline for memory is the process's RSS before the first lookup.
//
//   node_modules/.bin/node --no-node-snapshot bench/geo.ts [--quick]

import { command, numFlag, report, summary, type ResultRow } from './lib/harness.ts';
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
let t = performance.now();
await lookupGeo('8.8.8.8');
const loadV4 = performance.now() - t;
const rss4 = rssMb();
t = performance.now();
await lookupGeo('2001:67c:2e8:22::c100:68b');
const loadV6 = performance.now() - t;
const rss6 = rssMb();

const urlUs = await perCall(LOOKUPS / 5, (i) => new URL(`http://geo.test/w/meta?i=${i}`));
const missUs = await perCall(LOOKUPS / 5, (i) => lookupGeo(address(i)));
const hitUs = await perCall(LOOKUPS / 5, () => lookupGeo('193.0.6.139'));

rows.push({ bench: 'geo', figure: 'IP database: first IPv4 lookup (reads the 63 MB file)', value: loadV4, unit: 'ms', baseline: 'a lookup of a seen address', baselineValue: hitUs / 1000, ratio: loadV4 / (hitUs / 1000), target: '(report; once per process)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP database: first IPv6 lookup (reads the 71 MB file)', value: loadV6, unit: 'ms', baseline: 'a lookup of a seen address', baselineValue: hitUs / 1000, ratio: loadV6 / (hitUs / 1000), target: '(report; once per process)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP database: RSS growth, IPv4 file loaded', value: rss4 - rss0, unit: 'MB', baseline: 'process RSS before', baselineValue: rss0, ratio: (rss4 - rss0) / rss0, target: '(report)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'IP database: RSS growth, IPv4 and IPv6 files loaded', value: rss6 - rss0, unit: 'MB', baseline: 'process RSS before', baselineValue: rss0, ratio: (rss6 - rss0) / rss0, target: '(report)', met: null, command: cmd });
rows.push({ bench: 'geo', figure: 'Geo lookup, address not seen before (cache miss)', value: missUs, unit: 'µs', baseline: 'new URL() of the request URL', baselineValue: urlUs, ratio: missUs / urlUs, target: '(report)', met: null, command: cmd, notes: `${LOOKUPS} distinct public IPv4 addresses, 5 rounds, median` });
rows.push({ bench: 'geo', figure: 'Geo lookup, address seen before (cache hit)', value: hitUs, unit: 'µs', baseline: 'new URL() of the request URL', baselineValue: urlUs, ratio: hitUs / urlUs, target: '(report)', met: null, command: cmd });
report('geo', rows, { rssAfterLookupsMb: rssMb() });
