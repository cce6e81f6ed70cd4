// What the Web API objects of a hello-world request cost inside an isolate (the prelude's
// Request, Headers, URL, Response), per operation, against Node's own implementations of
// the same APIs in this process (undici's Request/Response/Headers, Node's URL) as the
// baseline. The loops run in a worker's fetch handler (CPU limit raised for it); their
// cost is the process's CPU around each call (the process does nothing else meanwhile),
// less an empty loop's; the prelude's own clock is whole milliseconds by design. A diagnostic for the warm path, not a figure
// for RESULTS.md.
//
//   node_modules/.bin/node --no-node-snapshot bench/prelude-ops.ts [--quick] [--n 20000]

import { workerDef, quietServices } from './lib/atoll-server.ts';
import { numFlag } from './lib/harness.ts';
import { WorkerIsolate } from '../src/runtime/worker-isolate.ts';
import { setSpareTarget } from '../src/runtime/isolate-pool.ts';

const n = numFlag('n', 20000, 3000);
const URL_ = 'http://127.0.0.1:8787/some/path?x=1';
const HEADERS: [string, string][] = [['host', '127.0.0.1:8787'], ['user-agent', 'wrk'], ['accept', '*/*']];

// Each case is a statement run n times; the same text runs in the isolate and in Node.
const CASES: Record<string, string> = {
  'empty loop': '',
  'new URL(url)': 'sink = new URL(U);',
  'new Headers(3 pairs)': 'sink = new Headers(H);',
  'new Request(url, { headers })': 'sink = new Request(U, { headers: H });',
  "new Response('Hello World!')": "sink = new Response('Hello World!');",
  'request.headers.get + url': "sink = R.headers.get('user-agent') + R.url;",
  'Response + headers iteration': "{ const r = new Response('Hello World!'); for (const h of r.headers) sink = h; sink = r.status; }",
};

function loopSource(stmt: string): string {
  return `(U, H, R, n) => { let sink; for (let i = 0; i < n; i++) { ${stmt} } return sink; }`;
}

// Node: the same statements with Node's globals.
const node: Record<string, number> = {};
const R = new Request(URL_, { headers: HEADERS });
for (const [name, stmt] of Object.entries(CASES)) {
  const fn = (0, eval)(loopSource(stmt)) as (u: string, h: unknown, r: Request, n: number) => unknown;
  fn(URL_, HEADERS, R, Math.min(n, 2000));
  const t0 = process.cpuUsage();
  fn(URL_, HEADERS, R, n);
  const c = process.cpuUsage(t0);
  node[name] = (c.user + c.system) / n;
}

// The isolate: one request per case; the handler runs the loop and returns.
setSpareTarget(0);
const worker = `
const CASES = ${JSON.stringify(Object.fromEntries(Object.entries(CASES).map(([k, v]) => [k, loopSource(v)])))};
const fns = {};
for (const k in CASES) fns[k] = (0, eval)(CASES[k]);
export default {
  async fetch(request) {
    const name = decodeURIComponent(new URL(request.url).pathname.slice(1));
    const n = Number(new URL(request.url).searchParams.get('n'));
    fns[name](${JSON.stringify(URL_)}, ${JSON.stringify(HEADERS)}, new Request(${JSON.stringify(URL_)}, { headers: ${JSON.stringify(HEADERS)} }), n);
    return new Response('done');
  },
};`;
const w = await WorkerIsolate.create(workerDef('ops', worker, { cpuMs: 300_000 }), quietServices());
async function inIsolate(name: string, count: number): Promise<number> {
  // Process CPU, not isolate.cpuTime: the latter advances with wall time while the
  // isolate is entered (bench/cpu-limit.ts shows it), which a busy machine inflates.
  const t0 = process.cpuUsage();
  const inv = w.fetch({ method: 'GET', url: `http://x/${encodeURIComponent(name)}?n=${count}`, headers: [], body: null, cf: {} });
  const result = await inv.result;
  const c = process.cpuUsage(t0);
  const cpu = c.user + c.system;
  inv.bodyDone();
  w.end(inv);
  if (result.kind !== 'response') throw new Error(`${name}: ${JSON.stringify(result)}`);
  return cpu;
}
console.log(`${'operation'.padEnd(34)} ${'isolate'.padStart(10)} ${'Node'.padStart(10)}   ratio   (us per operation, n = ${n})`);
// What an invocation costs around the loop (request in, response out), taken off each case.
const base = await inIsolate('empty loop', 1);
for (const name of Object.keys(CASES).filter((k) => k !== 'empty loop')) {
  await inIsolate(name, Math.min(n, 2000));
  const us = (await inIsolate(name, n)) - base;
  const per = us / n;
  console.log(`${name.padEnd(34)} ${per.toFixed(2).padStart(10)} ${node[name].toFixed(2).padStart(10)}   ${(per / node[name]).toFixed(2).padStart(5)}`);
}
w.dispose();
