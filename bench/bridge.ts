// What one crossing of the host <-> isolate bridge costs, the primitives the warm path is
// made of: the host calling into the isolate (isolated-vm's async `apply`, as the task
// queue does, and `applySync` for comparison), and the isolate calling a host callback
// synchronously (`ivm.Callback`, as the prelude's sync ops do: the isolate's thread
// waits for the main thread to run it). Wall time and process CPU per crossing, against
// a plain in-process function call doing the same JSON-ish work. The "isolate clock" is
// isolate.cpuTime, which advances with wall time while the isolate is entered. A
// diagnostic, not a figure for RESULTS.md.
//
//   node_modules/.bin/node --no-node-snapshot bench/bridge.ts [--quick] [--n 5000]

import ivm from '../src/runtime/ivm.ts';
import { numFlag } from './lib/harness.ts';

const n = numFlag('n', 5000, 1000);
const iso = new ivm.Isolate({ memoryLimit: 128 });
const ctx = await iso.createContext();
let hostCalls = 0;
const callback = new ivm.Callback((name: string, args: unknown[]) => {
  hostCalls++;
  return args.length + name.length;
});
await ctx.global.set('hostSync', callback);
await (await iso.compileScript(`
  globalThis.task = (msg) => msg.kind.length + msg.request.headers.length;
  globalThis.syncLoop = (k) => { let s = 0; for (let i = 0; i < k; i++) s += hostSync('respond', [i, { status: 200, headers: [['content-type', 'text/plain']] }]); return s; };
`)).run(ctx);
const task = (await ctx.global.get('task', { reference: true })) as ivm.Reference<(m: unknown) => number>;
const syncLoop = (await ctx.global.get('syncLoop', { reference: true })) as ivm.Reference<(k: number) => number>;

// A message shaped like the fetch task of a hello-world request.
const msg = {
  kind: 'fetch',
  ctxId: 1,
  request: {
    method: 'GET',
    url: 'http://127.0.0.1:8787/',
    headers: [['host', '127.0.0.1:8787'], ['user-agent', 'wrk'], ['accept', '*/*']],
    body: null,
    cf: { country: 'XX', colo: 'BENCH' },
  },
};

async function measure(name: string, count: number, fn: () => Promise<unknown> | unknown): Promise<{ name: string; wallUs: number; cpuUs: number; isolateCpuUs: number }> {
  for (let i = 0; i < Math.min(200, count); i++) await fn();
  const c0 = process.cpuUsage();
  const i0 = iso.cpuTime;
  const t0 = performance.now();
  for (let i = 0; i < count; i++) await fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  const r = { name, wallUs: (wall * 1000) / count, cpuUs: (c.user + c.system) / count, isolateCpuUs: Number(iso.cpuTime - i0) / 1000 / count };
  console.log(`${name.padEnd(58)} ${r.wallUs.toFixed(1).padStart(8)} us wall  ${r.cpuUs.toFixed(1).padStart(8)} us process CPU  ${r.isolateCpuUs.toFixed(1).padStart(7)} us isolate clock  (per call)`);
  return r;
}

const plain = (m: typeof msg) => JSON.parse(JSON.stringify(m)).kind.length;
await measure('baseline: plain call, copying the message (JSON)', n, () => plain(msg));
await measure('host -> isolate: apply (async, copy), awaited one by one', n, () => task.apply(undefined, [msg], { arguments: { copy: true } }));
await measure('host -> isolate: applySync (copy)', n, () => task.applySync(undefined, [msg], { arguments: { copy: true } }));
const batch = 50;
const r = await measure(`host -> isolate: apply (async), ${batch} in flight (per call)`, Math.round(n / batch), () =>
  Promise.all(Array.from({ length: batch }, () => task.apply(undefined, [msg], { arguments: { copy: true } }))));
console.log(`${''.padEnd(58)} = ${(r.wallUs / batch).toFixed(1)} us wall, ${(r.cpuUs / batch).toFixed(1)} us process CPU per call`);
const k = 100;
const s = await measure(`isolate -> host: sync Callback, ${k} per apply`, Math.round(n / k), () => syncLoop.apply(undefined, [k]));
console.log(`${''.padEnd(58)} = ${(s.wallUs / k).toFixed(1)} us wall, ${(s.cpuUs / k).toFixed(1)} us process CPU, ${(s.isolateCpuUs / k).toFixed(1)} us isolate clock per callback`);
console.log(`(${hostCalls} host callbacks run)`);
iso.dispose();
