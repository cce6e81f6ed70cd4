// atoll's serving path in its own process: one worker (WorkerIsolate + invokeHttp behind
// node:http, as test/helpers/worker.ts and `atoll dev` embed it). `--worker` picks the
// code (`--cpu-ms` its CPU limit): hello (hello world), stream (request body piped through a TransformStream back
// to the client), html (a 100 KB HTML page). `/__bench/stats` reports this process's counters as JSON:
// main-thread event-loop utilisation, process CPU, the isolate's own CPU, requests.
// SIGTERM exits cleanly, so `--cpu-prof` gets written.

import { writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { HELLO_WORKER, listen, quietServices, serveSlot, workerDef, WorkerSlot } from '../lib/atoll-server.ts';
import { warmPool } from '../../src/runtime/isolate-pool.ts';

const WORKERS: Record<string, string> = {
  hello: HELLO_WORKER,
  stream: `export default {
    fetch(request) {
      const { readable, writable } = new TransformStream();
      request.body.pipeTo(writable);
      return new Response(readable, { headers: { 'content-type': 'application/octet-stream' } });
    },
  };`,
  // A 100 KB HTML page (bench/compression.ts): sent compressed to clients that accept it.
  html: `const page = '<!doctype html><title>bench</title>' + Array.from({ length: 2500 }, (_, i) => '<p class="row">item ' + i + ' of the list</p>').join('\\n');
  export default { fetch() { return new Response(page, { headers: { 'content-type': 'text/html; charset=utf-8' } }); } };`,
};

const arg = (n: string, fallback: string) => (process.argv.includes(`--${n}`) ? process.argv[process.argv.indexOf(`--${n}`) + 1] : fallback);
const name = arg('worker', 'hello');
const cpuMs = Number(arg('cpu-ms', '50'));
// With --isolate-prof FILE, the isolate's own CPU profile (V8's, through isolated-vm)
// runs from start-up (starting it while a task runs would charge that task, and could
// stop it at its CPU limit) to /__bench/stats, and is written to FILE.
const isolateProf = arg('isolate-prof', '');
const code = WORKERS[name];
if (!code) throw new Error(`unknown --worker ${name}`);

warmPool();
const slot = await WorkerSlot.create(workerDef(name, code, { cpuMs }), quietServices());
if (isolateProf) slot.current.isolate.startCpuProfiler('bench');

let requests = 0;
let elu = performance.eventLoopUtilization();
let cpu = process.cpuUsage();
let isolateCpu = slot.current.isolate.cpuTime;
let since = performance.now();

const { port } = await listen(async (req, res) => {
  if (req.url?.startsWith('/__bench/')) {
    if (req.url === '/__bench/reset') {
      requests = 0;
      elu = performance.eventLoopUtilization();
      cpu = process.cpuUsage();
      isolateCpu = slot.current.isolate.cpuTime;
      since = performance.now();
      // CLOCK_MONOTONIC in us, the clock of --cpu-prof's timestamps.
      res.end(String(process.hrtime.bigint() / 1000n));
      return;
    }
    const wallMs = performance.now() - since;
    const c = process.cpuUsage(cpu);
    if (isolateProf) writeFileSync(isolateProf, JSON.stringify(await slot.current.isolate.stopCpuProfiler('bench')));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      requests,
      wallMs,
      monotonicUs: Number(process.hrtime.bigint() / 1000n),
      mainThreadElu: performance.eventLoopUtilization(elu).utilization,
      processCpuMs: (c.user + c.system) / 1000,
      isolateCpuMs: Number(slot.current.isolate.cpuTime - isolateCpu) / 1e6,
      rss: process.memoryUsage.rss(),
    }));
    return;
  }
  requests++;
  return serveSlot(slot, req, res, (inv) => {
    // 'canceled' is wrk closing connections with requests in flight at the end of a run.
    if (inv.outcome !== 'ok' && inv.outcome !== 'canceled') console.error(`invocation ended ${inv.outcome} after ${inv.cpuMs.toFixed(1)} ms CPU: ${JSON.stringify(inv.exceptions)}`);
  });
});
console.log(`listening ${port}`);
process.on('SIGTERM', () => process.exit(0));
