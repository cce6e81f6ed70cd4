// Distributed mode end to end over a real nats-server: a deploy reaches every edge, KV
// writes (from the API or from a worker at one edge) become visible at every edge, and
// the locations endpoint reports which version each edge serves, several control
// processes share the state, and cache purges reach every edge.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startClusterControl } from '../../src/cluster/control-node.ts';
import { assertError, secondAccount, upload } from '../control/harness.ts';
import { edgeRequest, eventually, startOrigin, type Origin } from '../edge/helpers.ts';
import { startTestCluster, type TestCluster } from './cluster-harness.ts';

let c: TestCluster;
let origin: Origin;
const WAIT = 60_000;

before(async () => {
  c = await startTestCluster({ locations: ['ams', 'fra'] });
  origin = await startOrigin();
  const zone = await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'shop.test', origin: origin.url } });
  assert.equal(zone.status, 201, zone.text);
});

after(async () => {
  await c?.close();
  await origin?.close();
});

const served = (edge: TestCluster['edges'][number], path = '/') => edgeRequest(edge.edge, 'shop.test', path);

test('cluster: a deploy reaches every edge, and a second one replaces it everywhere', async () => {
  await upload(c.h, 'hello', { source: 'export default { fetch() { return new Response("v1"); } };' });
  const route = await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'shop.test/*', worker: 'hello' } });
  assert.equal(route.status, 201, route.text);
  for (const e of c.edges) await eventually(async () => assert.equal((await served(e)).text, 'v1'), WAIT);
  const v2 = await upload(c.h, 'hello', { source: 'export default { fetch() { return new Response("v2"); } };' });
  for (const e of c.edges) await eventually(async () => assert.equal((await served(e)).text, 'v2'), WAIT);

  await eventually(async () => {
    const reply = await c.h.call('GET', '/api/v1/workers/hello/locations');
    assert.equal(reply.status, 200, reply.text);
    assert.deepEqual(reply.body.locations.map((l: any) => [l.location, l.healthy, l.serving_current, l.versions.map((v: any) => v.version_id)]),
      [['ams', true, true, [v2.body.version.id]], ['fra', true, true, [v2.body.version.id]]]);
  }, WAIT);
});

test('cluster: KV written through the API, or by a worker at one edge, is read at every edge', async () => {
  const ns = await c.h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'data' } });
  assert.equal(ns.status, 201, ns.text);
  const id = ns.body.namespace.id;
  await upload(c.h, 'kv', {
    source: `export default { async fetch(req, env) {
      const url = new URL(req.url);
      if (req.method === 'PUT') { await env.KV.put(url.searchParams.get('k'), await req.text()); return new Response('ok'); }
      return new Response(String(await env.KV.get(url.searchParams.get('k'))));
    } };`,
    metadata: { bindings: [{ type: 'kv_namespace', name: 'KV', namespace_id: id }] },
  });
  assert.equal((await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'shop.test/kv*', worker: 'kv' } })).status, 201);
  const put = await c.h.call('PUT', `/api/v1/kv/namespaces/${id}/values/greeting`, { body: 'hej', headers: { 'content-type': 'text/plain' } });
  assert.equal(put.status, 200, put.text);
  for (const e of c.edges) await eventually(async () => assert.equal((await served(e, '/kv?k=greeting')).text, 'hej'), WAIT);

  const [ams, fra] = c.edges;
  const w = await edgeRequest(ams!.edge, 'shop.test', '/kv?k=from-ams', { method: 'PUT', body: 'written at ams' });
  assert.equal(w.text, 'ok');
  assert.equal((await served(ams!, '/kv?k=from-ams')).text, 'written at ams', 'the writing edge reads its own write');
  await eventually(async () => assert.equal((await served(fra!, '/kv?k=from-ams')).text, 'written at ams'), WAIT);
  const got = await c.h.call('GET', `/api/v1/kv/namespaces/${id}/values/from-ams`);
  assert.equal(got.text, 'written at ams');
});

test('cluster: a secret set through the API reaches the worker at every edge', async () => {
  await upload(c.h, 'sec', { source: 'export default { fetch(req, env) { return new Response(String(env.TOKEN)); } };' });
  assert.equal((await c.h.call('POST', '/api/v1/routes', { json: { pattern: 'shop.test/sec', worker: 'sec' } })).status, 201);
  const put = await c.h.call('PUT', '/api/v1/workers/sec/secrets/TOKEN', { json: { value: 's3cret' } });
  assert.equal(put.status < 300, true, put.text);
  for (const e of c.edges) await eventually(async () => assert.equal((await served(e, '/sec')).text, 's3cret'), WAIT);
});

test('cluster: two control processes share the state: each reads the other\'s writes, and a unique name is won by one', async () => {
  const second = await startClusterControl({ nats: c.nats.urls, ip: '127.0.0.1', apiPort: 0, keyring: c.keyring, log: () => {} });
  try {
    assert.equal(second.token, null, 'the cluster was bootstrapped once, by the first control process');
    const call = (method: string, path: string, json?: unknown) => fetch(second.api.url + path, {
      method, headers: { authorization: `Bearer ${c.h.token}`, ...(json ? { 'content-type': 'application/json' } : {}) }, body: json ? JSON.stringify(json) : undefined,
    });
    const zones = (await (await call('GET', '/api/v1/zones')).json()) as { zones: { hostname: string }[] };
    assert.ok(zones.zones.some((z) => z.hostname === 'shop.test'), 'the second sees the first\'s zone');
    // Both create the same hostname at once: one wins, the other gets 409.
    const [a, b] = await Promise.all([
      c.h.call('POST', '/api/v1/zones', { json: { hostname: 'race.test', origin: origin.url } }),
      call('POST', '/api/v1/zones', { hostname: 'race.test', origin: origin.url }),
    ]);
    assert.deepEqual([a.status, b.status].sort(), [201, 409]);
    await eventually(async () => {
      const list = (await (await call('GET', '/api/v1/zones')).json()) as { zones: { hostname: string }[] };
      assert.equal(list.zones.filter((z) => z.hostname === 'race.test').length, 1);
    }, WAIT);
  } finally {
    await second.close();
  }
});

test('cluster: another account sees neither the worker\'s locations, its rollout, nor the nodes\' problems', async () => {
  const other = await secondAccount(c.h, 'tenant-b');
  assertError(await c.h.call('GET', '/api/v1/workers/hello/locations', { token: other.token }), 404, 'not_found', 'worker "hello"');
  assertError(await c.h.call('GET', '/api/v1/workers/hello/rollout', { token: other.token }), 404, 'not_found');
  assertError(await c.h.call('POST', '/api/v1/workers/hello/rollouts', { token: other.token, json: { version_id: 'ver_x', locations: ['ams'] } }), 404, 'not_found');
  assertError(await c.h.call('GET', '/api/v1/locations', { token: other.token }), 403, 'forbidden', 'operator');
});

test('cluster: a cache purge through any control process empties the cache at every edge', async () => {
  let served = 0;
  const cacheable = createServer((_req, res) => {
    served++;
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=600' });
    res.end(`copy ${served}`);
  });
  await new Promise<void>((r) => cacheable.listen(0, '127.0.0.1', () => r()));
  try {
    const zone = await c.h.call('POST', '/api/v1/zones', { json: { hostname: 'static.test', origin: `http://127.0.0.1:${(cacheable.address() as AddressInfo).port}` } });
    assert.equal(zone.status, 201, zone.text);
    const get = (e: TestCluster['edges'][number]) => edgeRequest(e.edge, 'static.test', '/app.css');
    for (const e of c.edges) {
      await eventually(async () => assert.equal((await get(e)).status, 200), WAIT);
      await eventually(async () => assert.equal((await get(e)).headers['cf-cache-status'], 'HIT'), WAIT);
    }
    const purge = await c.h.call('POST', `/api/v1/zones/${zone.body.zone.id}/purge_cache`, { json: { purge_everything: true } });
    assert.equal(purge.status, 200, purge.text);
    assert.equal(purge.body.entries, null, 'a cluster does not count what each edge dropped');
    for (const e of c.edges) await eventually(async () => assert.notEqual((await get(e)).headers['cf-cache-status'], 'HIT'), WAIT);
  } finally {
    await new Promise<void>((r) => { cacheable.closeAllConnections(); cacheable.close(() => r()); });
  }
});
