// Density (issue 3): 1,000 deployed workers on one `atoll up` (src/edge/embedded.ts, in this
// process), each hit once, then all warm: the process's RSS per worker, and request
// latency when every request goes to a different worker, against the same requests to
// a platform serving 1 worker.
//
// Density platform: workers w0..w999 (the same tiny source, each uploaded + deployed with
// PUT /api/v1/workers/w<i>), zone density.bench, route density.bench/w<i>/* -> w<i>.
// Baseline platform: zone one.bench, route one.bench/* -> worker "one".
// Measured: RSS before the platform, after the uploads (deploys prewarm isolates), after
// one request to every worker; then ROUNDS rounds of REQUESTS requests, CONCURRENCY at a
// time, round-robin over all workers (density) or to the one worker (baseline),
// interleaved; latency p50/p99 per platform over all rounds.
//
//   node_modules/.bin/node --no-node-snapshot bench/density.ts [--quick] [--workers 1000]
//     [--requests 5000] [--rounds 3]

import { command, machine, percentile, procMemory, report, type ResultRow } from './lib/harness.ts';
import { numFlag } from './lib/harness.ts';
import { expectStatus, pool, startPlatform, type Platform } from './lib/platform.ts';

const WORKERS = numFlag('workers', 1000, 100);
const REQUESTS = numFlag('requests', 5000, 1000);
const ROUNDS = numFlag('rounds', 3, 1);
const CONCURRENCY = 10;
const SOURCE = 'export default { fetch(request) { return new Response("hello from " + new URL(request.url).pathname.split("/")[1]); } };';
const MiB = 2 ** 20;

async function waitServing(p: Platform, host: string, path: string, body: string): Promise<void> {
  for (const t = Date.now(); ;) {
    const g = await p.edgeGet(host, path);
    if (g.status === 200 && g.text === body) return;
    if (Date.now() - t > 30_000) throw new Error(`${host}${path} never served "${body}": ${g.status} ${g.text.slice(0, 200)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** `REQUESTS` requests, `CONCURRENCY` at a time; request i goes to `target(i)`. Latencies in ms. */
async function round(p: Platform, target: (i: number) => { host: string; path: string; body: string }): Promise<number[]> {
  const ms: number[] = [];
  await pool(REQUESTS, CONCURRENCY, async (i) => {
    const t = target(i);
    const g = await p.edgeGet(t.host, t.path);
    if (g.status !== 200 || g.text !== t.body) throw new Error(`${t.host}${t.path}: ${g.status} ${g.text.slice(0, 200)}`);
    ms.push(g.ms);
  });
  return ms;
}

const base = await startPlatform();
const rssBefore = procMemory(process.pid);
const dense = await startPlatform(); // the default isolate limit, as `atoll up` runs
try {
  expectStatus(await base.upload('one', SOURCE), 201, 'baseline upload');
  expectStatus(await base.call('POST', '/api/v1/zones', { json: { hostname: 'one.bench', origin: 'http://127.0.0.1:1' } }), 201, 'baseline zone');
  expectStatus(await base.call('POST', '/api/v1/routes', { json: { pattern: 'one.bench/*', worker: 'one' } }), 201, 'baseline route');
  await waitServing(base, 'one.bench', '/one/', 'hello from one');

  const setupStart = performance.now();
  expectStatus(await dense.call('POST', '/api/v1/zones', { json: { hostname: 'density.bench', origin: 'http://127.0.0.1:1' } }), 201, 'zone');
  await pool(WORKERS, 8, async (i) => {
    expectStatus(await dense.upload(`w${i}`, SOURCE), 201, `upload w${i}`);
    expectStatus(await dense.call('POST', '/api/v1/routes', { json: { pattern: `density.bench/w${i}/*`, worker: `w${i}` } }), 201, `route w${i}`);
    if ((i + 1) % 100 === 0) console.log(`${i + 1} workers after ${((performance.now() - setupStart) / 1000).toFixed(1)} s`);
  });
  const rssUploaded = procMemory(process.pid);
  const target = (i: number) => ({ host: 'density.bench', path: `/w${i % WORKERS}/`, body: `hello from w${i % WORKERS}` });
  for (let i = 0; i < WORKERS; i++) await waitServing(dense, 'density.bench', target(i).path, target(i).body);
  const rssWarm = procMemory(process.pid);
  console.log(`RSS ${(rssBefore / MiB).toFixed(0)} MiB before, ${(rssUploaded / MiB).toFixed(0)} after ${WORKERS} deploys, ${(rssWarm / MiB).toFixed(0)} after one request to each`);

  const baseMs: number[] = [];
  const denseMs: number[] = [];
  const one = () => ({ host: 'one.bench', path: '/one/', body: 'hello from one' });
  await round(base, one); // warm-up of the client's connections
  for (let r = 0; r < ROUNDS; r++) {
    for (const which of r % 2 ? ['dense', 'base'] : ['base', 'dense']) {
      const ms = which === 'base' ? await round(base, one) : await round(dense, target);
      (which === 'base' ? baseMs : denseMs).push(...ms);
      const sorted = [...ms].sort((a, b) => a - b);
      console.log(`round ${r + 1}/${ROUNDS} ${which}: p50 ${percentile(sorted, 50).toFixed(2)} ms, p99 ${percentile(sorted, 99).toFixed(2)} ms`);
    }
  }
  const rssAfter = procMemory(process.pid);
  const b = [...baseMs].sort((x, y) => x - y);
  const d = [...denseMs].sort((x, y) => x - y);
  const perWorker = (rssWarm - rssBefore) / WORKERS / MiB;
  const cmd = command('density') + (WORKERS !== numFlag('workers', 1000, 100) ? ` --workers ${WORKERS}` : '');
  const rows: ResultRow[] = [
    {
      bench: 'density', figure: `RSS per deployed, warm worker (${WORKERS} workers, each hit once)`, value: perWorker, unit: 'MiB',
      baseline: 'the process before the platform started', baselineValue: rssBefore / MiB, ratio: null, target: '(report; the runtime target is <= 4 MB an isolate)', met: null, command: cmd,
      notes: `RSS ${(rssBefore / MiB).toFixed(0)} MiB before, ${(rssUploaded / MiB).toFixed(0)} after the deploys (each deploy warms its isolate), ${(rssWarm / MiB).toFixed(0)} after one request to each, ${(rssAfter / MiB).toFixed(0)} after the latency rounds; includes the control store, routes and the platform's own state`,
    },
    {
      bench: 'density', figure: `Request p99, round-robin over ${WORKERS} warm workers vs 1 worker`, value: percentile(d, 99), unit: 'ms',
      baseline: '1 worker on its own platform', baselineValue: percentile(b, 99), ratio: percentile(d, 99) / percentile(b, 99), ratioNote: 'lower is better', target: '(report)', met: null, command: cmd,
      notes: `${ROUNDS} x ${REQUESTS} requests per platform, ${CONCURRENCY} at a time, interleaved, from a keep-alive client in the same process; p50 ${percentile(d, 50).toFixed(2)} ms vs ${percentile(b, 50).toFixed(2)} ms`,
    },
  ];
  report('density', rows, { machine: machine(), rssBefore, rssUploaded, rssWarm, rssAfter });
} finally {
  await dense.close();
  await base.close();
}
