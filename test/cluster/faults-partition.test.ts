// Edges apart from NATS, with real processes (1 nats-server, `atoll control`, three
// `atoll edge`s, one of them reaching NATS through a TCP proxy that can cut it off):
// an edge cut off while deploys happen serves its last state and catches up when the
// link returns; with NATS entirely down every edge serves the last state with no error
// (KV reads included), an edge restarted then serves from its local copy, deploys fail,
// and once NATS is back every edge converges on what is deployed next.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { httpGet, routeHost, startCluster, startCuttableProxy, startLoad, type Cluster } from './faults-cluster.ts';

const HOST = 'faults-partition.test';
// The body is the version and the KV value of "greeting", so both are checked at once.
// GET /put tries a KV write and says how it went.
const worker = (v: string) => `export default {
  async fetch(req, env) {
    if (new URL(req.url).pathname === '/put') {
      try {
        await env.KV.put('from-edge', 'x');
        return new Response('put ok');
      } catch (err) {
        return new Response('put failed: ' + err.message);
      }
    }
    return new Response(${JSON.stringify(v)} + ':' + ((await env.KV.get('greeting')) ?? 'none'));
  },
};`;

let c: Cluster;
let ns = '';
let proxy: Awaited<ReturnType<typeof startCuttableProxy>>;
// The answers to a deploy and to a worker's KV put made with NATS down, for the last tests.
let refused: { status: number; text: string } | null = null;
let putOutcome = '';
const bindings = () => [{ type: 'kv_namespace', name: 'KV', namespace_id: ns }];
const putGreeting = async (value: string) => {
  const r = await c.api('PUT', `/api/v1/kv/namespaces/${ns}/values/greeting`, { raw: value });
  assert.equal(r.status, 200, r.text);
};
// Deploys that fail as NATS comes back are retried for a while, as an operator would.
const deployRetrying = async (v: string) => {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const r = await c.deploy('part', worker(v), bindings()).catch((err: Error) => ({ status: 0, text: err.message }));
    if (r.status === 201) return;
    if (Date.now() > deadline) throw new Error(`deploy ${v}: ${r.status} ${r.text}`);
    await new Promise((res) => setTimeout(res, 500));
  }
};

// Processes start slowly on a loaded 2-core machine: bounds far above the usual run.
const SLOW = { timeout: 300_000 };

before(async () => {
  c = await startCluster({ natsServers: 1, locations: ['ams', 'fra'] });
  const port = Number(new URL(c.nats.urls[0]!).port);
  proxy = await startCuttableProxy({ host: '127.0.0.1', port });
  await c.addEdge('sin', proxy.url);
  const created = await c.api('POST', '/api/v1/kv/namespaces', { json: { title: 'partition' } });
  assert.equal(created.status, 201, created.text);
  ns = created.body.namespace.id;
  await putGreeting('hello');
  assert.equal((await c.deploy('part', worker('v1'), bindings())).status, 201);
  await routeHost(c, HOST, 'part');
  await c.waitServing(HOST, 'v1:hello');
}, SLOW);
after(async () => {
  await c?.close();
  await proxy?.close();
});

test('faults: an edge cut off from NATS while deploys happen serves its last state, then catches up', SLOW, async (t) => {
  const cut = 2;
  await proxy.cut();
  const load = startLoad([{ port: c.edges[cut]!.port, host: HOST }], (b) => b === 'v1:hello');
  await deployRetrying('v2');
  await deployRetrying('v3');
  await putGreeting('while-cut');
  await c.waitServing(HOST, 'v3:while-cut', [0, 1]);
  await new Promise((r) => setTimeout(r, 1000));
  const result = await load.stop();
  assert.deepEqual(result.failures, [], 'the cut-off edge answered every request with its last state');
  assert.ok(result.ok > 10, `it served meanwhile (${result.ok})`);

  const restored = Date.now();
  proxy.restore();
  await c.waitServing(HOST, 'v3:while-cut', [cut]);
  t.diagnostic(`the cut-off edge served ${result.ok} requests from its last state; caught up ${Date.now() - restored} ms after the link returned`);
});

test('faults: NATS entirely down: edges serve the last state with no error, a restarted edge serves, deploys fail; NATS back, every edge converges', SLOW, async (t) => {
  const body = 'v3:while-cut';
  const load = startLoad([0, 2].map((i) => ({ port: c.edges[i]!.port, host: HOST })), (b) => b === body);
  await c.nats.stopAll();
  await new Promise((r) => setTimeout(r, 1000));

  const t2 = Date.now();
  refused = await c.deploy('part', worker('v4'), bindings());
  t.diagnostic(`deploy with NATS down, after ${Date.now() - t2} ms: ${refused.status} ${refused.text.slice(0, 200)}`);
  assert.ok(refused.status >= 500, `the deploy is not accepted (${refused.status})`);

  // KV writes need NATS: a worker's put is made now and its answer read below.
  const t3 = Date.now();
  const put = httpGet(c.edges[0]!.port, HOST, '/put', 45_000).then(
    (r) => `${r.status} ${r.text.slice(0, 200)} (after ${Date.now() - t3} ms)`,
    (err: Error) => `no answer: ${err.message}`,
  );

  // An edge started again with NATS down serves from its local copy.
  const t0 = Date.now();
  await c.edges[1]!.proc.signal('SIGTERM');
  const t1 = Date.now();
  await c.restartEdge(1);
  const r = await c.get(1, HOST);
  assert.equal(r.status, 200);
  assert.equal(r.text, body);
  t.diagnostic(`edge stopped (SIGTERM) with NATS down in ${t1 - t0} ms; started again and served in ${Date.now() - t1} ms`);

  const result = await load.stop();
  assert.deepEqual(result.failures, [], 'no edge request failed while NATS was down');
  assert.ok(result.ok > 20, `requests were served meanwhile (${result.ok})`);
  putOutcome = await put;
  t.diagnostic(`a worker's KV put with NATS down: ${putOutcome}`);

  await c.nats.startAll();
  const back = Date.now();
  await deployRetrying('v5');
  await putGreeting('after');
  await c.waitServing(HOST, 'v5:after');
  t.diagnostic(`every edge served the deploy made after NATS returned ${Date.now() - back} ms after it did`);
});

test('faults: a deploy with NATS down fails with a clear 503, not an internal error', () => {
  assert.ok(refused, 'the test above made the deploy');
  assert.equal(refused.status, 503, refused.text);
});

test('faults: a worker\'s KV put with NATS down fails within 45 s with an error the worker can catch', () => {
  assert.match(putOutcome, /^200 put failed: /);
});
