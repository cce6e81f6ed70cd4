// KV at the edge (issue 3): a worker on `atoll up` (src/edge/embedded.ts, in this process)
// that reads one KV key per request, and one that writes one, against a worker that
// answers without KV on the same edge: req/s (one KV operation per request, so req/s is
// KV ops/s through the whole request path) and request latency p50/p99.
//
// Namespace "bench" holds KEYS keys of VALUE_BYTES bytes, seeded with the bulk API.
// Routes: kv.bench/plain/* (no KV), kv.bench/get/* (env.KV.get of a random seeded key),
// kv.bench/put/* (env.KV.put of a new key). wrk -t1 -c CONNECTIONS hits each in turn,
// ROUNDS x SECONDS, interleaved; medians of the rounds.
//
//   node_modules/.bin/node --no-node-snapshot bench/edge-kv.ts [--quick] [--seconds 10] [--rounds 3]

import { command, machine, median, numFlag, report, runWrk, type ResultRow } from './lib/harness.ts';
import { expectStatus, startPlatform } from './lib/platform.ts';

const SECONDS = numFlag('seconds', 10, 3);
const ROUNDS = numFlag('rounds', 3, 1);
const KEYS = 1000;
const VALUE_BYTES = 100;
const CONNECTIONS = 20;

const SOURCES: Record<string, string> = {
  plain: 'export default { async fetch() { return new Response("ok"); } };',
  get: `export default { async fetch(request, env) {
    const value = await env.KV.get("k" + Math.floor(Math.random() * ${KEYS}));
    return value === null ? new Response("missing", { status: 500 }) : new Response(value);
  } };`,
  put: `let n = 0;
  export default { async fetch(request, env) {
    await env.KV.put("p" + (n++ % 100000) + "-" + Math.random().toString(36).slice(2, 8), "v".repeat(${VALUE_BYTES}));
    return new Response("ok");
  } };`,
};

const p = await startPlatform();
try {
  const ns = await p.call('POST', '/api/v1/kv/namespaces', { json: { title: 'bench' } });
  expectStatus(ns, 201, 'namespace');
  const namespaceId = ns.body.namespace.id as string;
  const seed = Array.from({ length: KEYS }, (_, i) => ({ key: `k${i}`, value: 'x'.repeat(VALUE_BYTES) }));
  expectStatus(await p.call('PUT', `/api/v1/kv/namespaces/${namespaceId}/bulk`, { json: seed }), 200, 'bulk seed');
  expectStatus(await p.call('POST', '/api/v1/zones', { json: { hostname: 'kv.bench', origin: 'http://127.0.0.1:1' } }), 201, 'zone');
  for (const [name, source] of Object.entries(SOURCES)) {
    const form = new FormData();
    form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01', bindings: [{ type: 'kv_namespace', name: 'KV', namespace_id: namespaceId }] }));
    form.append('index.js', new Blob([source], { type: 'application/javascript+module' }), 'index.js');
    expectStatus(await p.call('PUT', `/api/v1/workers/${name}`, { body: form }), 201, `upload ${name}`);
    expectStatus(await p.call('POST', '/api/v1/routes', { json: { pattern: `kv.bench/${name}/*`, worker: name } }), 201, `route ${name}`);
  }
  for (const name of Object.keys(SOURCES)) {
    for (const t = Date.now(); ;) {
      const g = await p.edgeGet('kv.bench', `/${name}/`);
      if (g.status === 200) break;
      if (Date.now() - t > 10_000) throw new Error(`/${name}/ never served: ${g.status} ${g.text.slice(0, 200)}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  const url = (name: string) => `${p.up.edge.url.replace('localhost', '127.0.0.1')}/${name}/`;
  const results = Object.fromEntries(Object.keys(SOURCES).map((n) => [n, { rps: [] as number[], p50: [] as number[], p99: [] as number[], bad: 0 }]));
  const order = Object.keys(SOURCES);
  for (const name of order) await runWrk(url(name), { seconds: 1, connections: CONNECTIONS, threads: 1, headers: { Host: 'kv.bench' } });
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of r % 2 ? [...order].reverse() : order) {
      const w = await runWrk(url(name), { seconds: SECONDS, connections: CONNECTIONS, threads: 1, headers: { Host: 'kv.bench' } });
      const res = results[name]!;
      res.rps.push(w.rps);
      res.p50.push(w.latencyP50Ms);
      res.p99.push(w.latencyP99Ms);
      res.bad += w.errors + w.non2xx;
      console.log(`round ${r + 1}/${ROUNDS} ${name}: ${Math.round(w.rps)} req/s, p50 ${w.latencyP50Ms} ms, p99 ${w.latencyP99Ms} ms, errors ${w.errors}, non-2xx ${w.non2xx}`);
    }
  }
  for (const [name, res] of Object.entries(results)) if (res.bad) throw new Error(`${res.bad} failed requests to /${name}/ under load`);
  const plain = results.plain!;
  const cmd = command('edge-kv');
  const row = (name: 'get' | 'put', what: string): ResultRow => {
    const res = results[name]!;
    return {
      bench: 'edge-kv', figure: `KV ${what} at the edge, one per request: ops/s`, value: median(res.rps), unit: 'ops/s',
      baseline: 'the same edge, a worker without KV', baselineValue: median(plain.rps), ratio: median(res.rps) / median(plain.rps), target: '(report)', met: null, command: cmd,
      notes: `request latency p50 ${median(res.p50)} ms, p99 ${median(res.p99)} ms (without KV: p50 ${median(plain.p50)} ms, p99 ${median(plain.p99)} ms); wrk -t1 -c${CONNECTIONS}, ${ROUNDS} x ${SECONDS} s, interleaved, medians; ${KEYS} keys of ${VALUE_BYTES} bytes${name === 'put' ? '; every put a new key' : ', random key each get'}; SQLite KV engine on its own thread`,
    };
  };
  report('edge-kv', [row('get', 'get'), row('put', 'put')], { machine: machine(), results });
} finally {
  await p.close();
}
