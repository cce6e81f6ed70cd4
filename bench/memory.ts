// Memory per warm isolate: RSS delta / N of a server process that loads N hello-world
// workers (each its own isolate, each having served one request over HTTP), against
// the same figure for N bare isolated-vm isolates (a context each, one script run)
// in another process of the same run. RSS is read after a GC and a short settle.
//
//   node_modules/.bin/node --no-node-snapshot bench/memory.ts [--quick] [--workers 500]

import { Agent } from 'node:http';
import ivm from '../src/runtime/ivm.ts';
import { listen, quietServices, serveSlot, workerDef, WorkerSlot } from './lib/atoll-server.ts';
import { command, flag, NODE, numFlag, report, ROOT, sleep, startChild, timedGet, type ResultRow } from './lib/harness.ts';
import { setSpareTarget, warmPool } from '../src/runtime/isolate-pool.ts';

const role = flag('role', 'driver');
const MB = 1024 * 1024;

if (role === 'server') await server();
else if (role === 'bare') await bare();
else await driver();

function helloCode(i: number): string {
  return `export default { fetch() { return new Response('Hello World! from worker ${i}'); } };`;
}

async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    (globalThis as { gc?: () => void }).gc?.();
    await sleep(200);
  }
  return process.memoryUsage.rss();
}

async function server(): Promise<void> {
  setSpareTarget(2);
  warmPool();
  const services = quietServices();
  const slots = new Map<string, WorkerSlot>();
  // One worker served before the baseline reading, so JIT and HTTP state are not counted.
  const first = await WorkerSlot.create(workerDef('first', helloCode(-1)), services);
  const { port } = await listen(async (req, res) => {
    const url = req.url ?? '/';
    if (url === '/first') return serveSlot(first, req, res);
    if (url === '/__bench/rss') {
      const rss = await settledRss();
      let heap = 0;
      let external = 0;
      for (const s of slots.values()) {
        const h = await s.current.isolate.getHeapStatistics();
        heap += h.total_heap_size;
        external += h.externally_allocated_size;
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ rss, workers: slots.size, heapPerWorker: slots.size ? heap / slots.size : 0, externalPerWorker: slots.size ? external / slots.size : 0 }));
      return;
    }
    const m = /^\/w\/(\d+)$/.exec(url);
    if (!m) {
      res.writeHead(404);
      res.end();
      return;
    }
    let slot = slots.get(m[1]);
    if (!slot) {
      slot = await WorkerSlot.create(workerDef(`w${m[1]}`, helloCode(Number(m[1]))), services);
      slots.set(m[1], slot);
    }
    return serveSlot(slot, req, res);
  });
  console.log(`listening ${port}`);
  process.on('SIGTERM', () => process.exit(0));
}

async function bare(): Promise<void> {
  const n = Number(flag('workers', '500'));
  const keep: { iso: ivm.Isolate; ctx: ivm.Context }[] = [];
  // Same shape as the server: one isolate before the baseline reading.
  const warm = new ivm.Isolate({ memoryLimit: 128 });
  await (await warm.compileScript('1 + 1')).run(await warm.createContext());
  const before = await settledRss();
  for (let i = 0; i < n; i++) {
    const iso = new ivm.Isolate({ memoryLimit: 128 });
    const ctx = await iso.createContext();
    await (await iso.compileScript(`globalThis.answer = 'Hello World! from isolate ${i}'.length`)).run(ctx);
    keep.push({ iso, ctx });
  }
  const after = await settledRss();
  console.log('result ' + JSON.stringify({ before, after, n: keep.length }));
}

async function driver(): Promise<void> {
  const n = numFlag('workers', 500, 50);

  const bareChild = startChild(NODE, ['--no-node-snapshot', '--expose-gc', `${ROOT}bench/memory.ts`, '--role', 'bare', '--workers', String(n)]);
  const bareResult = JSON.parse((await bareChild.waitFor(/^result (.*)$/, 300_000))[1]);
  await bareChild.stop();
  const barePer = (bareResult.after - bareResult.before) / n;

  const child = startChild(NODE, ['--no-node-snapshot', '--expose-gc', `${ROOT}bench/memory.ts`, '--role', 'server']);
  let before: { rss: number };
  let after: { rss: number; workers: number; heapPerWorker: number; externalPerWorker: number };
  try {
    const port = Number((await child.waitFor(/^listening (\d+)/, 60_000))[1]);
    const base = `http://127.0.0.1:${port}`;
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 20; i++) await timedGet(`${base}/first`, agent);
    await sleep(500);
    before = JSON.parse((await timedGet(`${base}/__bench/rss`, agent)).body);
    for (let i = 0; i < n; i++) {
      const r = await timedGet(`${base}/w/${i}`, agent);
      if (r.status !== 200 || r.body !== `Hello World! from worker ${i}`) throw new Error(`worker ${i} answered ${r.status} ${r.body.slice(0, 200)}`);
    }
    // Every worker once more, so each is warm (its second request) before the reading.
    for (let i = 0; i < n; i++) await timedGet(`${base}/w/${i}`, agent);
    await sleep(500);
    after = JSON.parse((await timedGet(`${base}/__bench/rss`, agent)).body);
    agent.destroy();
  } finally {
    await child.stop();
  }
  const per = (after.rss - before.rss) / n;
  console.log(`atoll: RSS ${(before.rss / MB).toFixed(1)} MB -> ${(after.rss / MB).toFixed(1)} MB for ${n} workers; V8 heap per worker ${(after.heapPerWorker / MB).toFixed(2)} MB, external ${(after.externalPerWorker / MB).toFixed(2)} MB`);
  console.log(`bare isolates: RSS ${(bareResult.before / MB).toFixed(1)} MB -> ${(bareResult.after / MB).toFixed(1)} MB for ${n}`);
  const rows: ResultRow[] = [{
    bench: 'memory',
    figure: `Memory per warm isolate (RSS delta / N, N = ${n})`,
    value: per / MB,
    unit: 'MB',
    baseline: 'bare isolated-vm isolate + context',
    baselineValue: barePer / MB,
    ratio: per / barePer,
    target: '<= 4 MB',
    met: per / MB <= 4,
    command: command('memory'),
    notes: `hello-world workers, each served 2 requests; V8 heap per worker ${(after.heapPerWorker / MB).toFixed(2)} MB (total_heap_size)`,
  }];
  report('memory', rows, { n, before, after, bare: bareResult });
}
