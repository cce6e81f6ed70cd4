// Issue 4: the edge cache.
//
// 1. Cache HIT throughput: wrk (-t1 -c50, Host: cache.bench) against a real edge whose
//    zone has no routes, so each request goes through the HTTP cache and is a HIT
//    answered from the memory tier (bench/servers/cache-edge.ts), against bare node:http
//    serving the same bytes with the same headers from memory (same script, --mode bare).
//    Each in its own process; ROUNDS x SECONDS interleaved, median. Target: >= 0.50.
// 2. Cache memory per 10,000 objects (1 KiB bodies, typical headers, one tag, a Vary
//    value): heap + external bytes per object after a full GC, memory-only store and
//    the disk tier's in-memory index (bodies on disk) (bench/servers/cache-memory.ts).
//
//   node_modules/.bin/node --no-node-snapshot bench/cache.ts [--quick] [--bytes 1024] [--seconds 10] [--rounds 3]

import { command, median, NODE, numFlag, report, ROOT, runWrk, startChild, startNodeServer, type ResultRow } from './lib/harness.ts';

const BYTES = numFlag('bytes', 1024, 1024);
const SECONDS = numFlag('seconds', 10, 3);
const ROUNDS = numFlag('rounds', 3, 1);
const OBJECTS = numFlag('objects', 10_000, 10_000);

const edge = await startNodeServer('cache-edge', ['--bytes', String(BYTES)]);
const bare = await startNodeServer('cache-edge', ['--mode', 'bare', '--bytes', String(BYTES)]);
const rows: ResultRow[] = [];
try {
  // The first request fills the cache; the rest are HITs.
  for (let i = 0; i < 3; i++) {
    const r = await fetch(`${edge.url}/asset`, { headers: { host: 'cache.bench' } }).catch(() => null);
    if (r) await r.arrayBuffer();
  }
  const check = await runWrk(`${edge.url}/asset`, { seconds: 1, connections: 4, threads: 1, headers: { Host: 'cache.bench' } });
  if (check.non2xx > 0 || check.errors > 0) throw new Error(`the edge did not serve the cached asset cleanly: ${JSON.stringify(check)}`);
  const e: number[] = [];
  const b: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    b.push((await runWrk(`${bare.url}/asset`, { seconds: SECONDS, connections: 50, threads: 1 })).rps);
    const r = await runWrk(`${edge.url}/asset`, { seconds: SECONDS, connections: 50, threads: 1, headers: { Host: 'cache.bench' } });
    if (r.non2xx > 0) throw new Error(`${r.non2xx} non-2xx answers from the edge`);
    e.push(r.rps);
  }
  const ratio = median(e) / median(b);
  rows.push({
    bench: 'cache', figure: `cache HIT throughput (${BYTES} B body, through a real edge)`, value: median(e), unit: 'req/s',
    baseline: 'bare node:http, same bytes from memory', baselineValue: median(b), ratio,
    target: '>= 0.50 of bare node:http', met: ratio >= 0.5, command: command('cache'),
    notes: `rounds edge ${e.map((x) => x.toFixed(0)).join(', ')}; bare ${b.map((x) => x.toFixed(0)).join(', ')}`,
  });
} finally {
  await edge.stop();
  await bare.stop();
}

const mem = startChild(NODE, ['--no-node-snapshot', '--expose-gc', `${ROOT}bench/servers/cache-memory.ts`, '--objects', String(OBJECTS)]);
const m = JSON.parse((await mem.waitFor(/^result (.*)$/, 120_000))[1]!) as { objects: number; bodyBytes: number; memoryOnly: number; diskIndex: number };
await mem.stop();
rows.push({
  bench: 'cache', figure: `cache memory per object, memory tier (${m.objects} objects, ${m.bodyBytes} B bodies)`, value: Math.round(m.memoryOnly), unit: 'B',
  baseline: 'the body bytes themselves', baselineValue: m.bodyBytes, ratio: m.memoryOnly / m.bodyBytes,
  target: 'report (issue 4)', met: null, command: command('cache'),
  notes: `${((m.memoryOnly * m.objects) / 2 ** 20).toFixed(1)} MiB per ${m.objects} objects`,
});
rows.push({
  bench: 'cache', figure: `cache memory per object, disk tier index (${m.objects} objects, bodies on disk)`, value: Math.round(m.diskIndex), unit: 'B',
  baseline: 'none', baselineValue: null, ratio: null,
  target: 'report (issue 4)', met: null, command: command('cache'),
  notes: `${((m.diskIndex * m.objects) / 2 ** 20).toFixed(1)} MiB per ${m.objects} objects`,
});
report('cache', rows);
