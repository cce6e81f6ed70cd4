// Deployments at the edge: a redeploy serves the next request while requests in flight
// finish on their version, splits pick per request, rollback, secrets and KV bindings,
// and "which version runs where".

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { upload } from '../control/harness.ts';
import { edgeRequest, eventually, startPlatform, type Platform } from './helpers.ts';

const source = (label: string) => `const V = ${JSON.stringify(label)};
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === '/hold') {
      const r = await fetch('http://dep.test/hold');
      await r.text();
      return new Response(V + ' held');
    }
    if (url.pathname === '/secret') return new Response(env.TOKEN ?? 'no secret');
    if (url.pathname === '/kv') return new Response(await env.STORE.get('greeting'));
    return new Response(V);
  },
};`;

describe('Edge: deployments', () => {
  let p: Platform;
  const versions: Record<string, string> = {};
  const get = (path = '/') => edgeRequest(p.edge, 'dep.test', path);

  before(async () => {
    p = await startPlatform();
    const { h } = p;
    assert.equal((await h.call('POST', '/api/v1/zones', { json: { hostname: 'dep.test', origin: p.origin.url } })).status, 201);
    versions.v1 = (await upload(h, 'dep', { source: source('v1') })).body.version.id;
    assert.equal((await h.call('POST', '/api/v1/routes', { json: { pattern: 'dep.test/*', worker: 'dep' } })).status, 201);
  });

  after(async () => { await p?.close(); });

  test('Edge: deployments: a redeploy serves the next request; a request in flight finishes on its version', async () => {
    assert.equal((await get()).text, 'v1');
    const held = get('/hold');
    await eventually(() => assert.ok(p.origin.hits.some((x) => x.url === '/hold')));
    const t0 = performance.now();
    versions.v2 = (await upload(p.h, 'dep', { source: source('v2') })).body.version.id;
    assert.equal((await get()).text, 'v2');
    const switchMs = performance.now() - t0;
    assert.ok(switchMs < 2000, `upload to new version served took ${switchMs} ms`);
    const disposed = () => p.logs.some((l) => l.msg === 'isolate disposed (version retired)' && l.versionId === versions.v1);
    assert.equal(disposed(), false, 'the old isolate must live while its request is in flight');
    p.origin.release();
    const r = await held;
    assert.equal(r.status, 200);
    assert.equal(r.text, 'v1 held');
    await eventually(() => assert.ok(disposed(), 'the old isolate is disposed once its request is done'));
    assert.deepEqual(p.edge.registry.loaded().map((l) => l.versionId), [versions.v2]);
  });

  test('Edge: deployments: a 50/50 split serves both versions, each within tolerance', async () => {
    const r = await p.h.call('POST', '/api/v1/workers/dep/deployments', { json: { versions: [{ version_id: versions.v1, percentage: 50 }, { version_id: versions.v2, percentage: 50 }] } });
    assert.equal(r.status, 201, r.text);
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 20; batch++) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => get()));
      for (const x of replies) counts[x.text] = (counts[x.text] ?? 0) + 1;
    }
    // 200 requests at p = 0.5: the standard deviation is about 7; 60..140 is far outside chance.
    assert.deepEqual(Object.keys(counts).sort(), ['v1', 'v2']);
    assert.ok(counts.v1! >= 60 && counts.v1! <= 140, JSON.stringify(counts));
    const served = p.edge.serving().workers.find((w) => w.worker === 'dep');
    assert.deepEqual(served?.versions.map((v) => [v.versionId, v.percentage, v.warm]), [[versions.v1, 50, true], [versions.v2, 50, true]]);
  });

  test('Edge: deployments: rollback to a version serves it on the next request', async () => {
    const r = await p.h.call('POST', '/api/v1/workers/dep/rollback', { json: { version_id: versions.v1 } });
    assert.equal(r.status, 201, r.text);
    for (let i = 0; i < 10; i++) assert.equal((await get()).text, 'v1');
    assert.deepEqual(p.edge.serving().workers.find((w) => w.worker === 'dep')?.versions.map((v) => v.versionId), [versions.v1]);
  });

  test('Edge: secrets: reach the worker as a binding, and a changed value is served on the next request', async () => {
    assert.equal((await p.h.call('PUT', '/api/v1/workers/dep/secrets/TOKEN', { json: { value: 'first' } })).status, 200);
    assert.equal((await get('/secret')).text, 'first');
    assert.equal((await p.h.call('PUT', '/api/v1/workers/dep/secrets/TOKEN', { json: { value: 'second' } })).status, 200);
    assert.equal((await get('/secret')).text, 'second');
  });

  test('Edge: KV: a kv_namespace binding reads what the API wrote', async () => {
    const ns = await p.h.call('POST', '/api/v1/kv/namespaces', { json: { title: 'greetings' } });
    assert.equal(ns.status, 201, ns.text);
    const id = ns.body.namespace.id;
    assert.equal((await p.h.call('PUT', `/api/v1/kv/namespaces/${id}/values/greeting`, { body: 'hello from KV' })).status, 200);
    await upload(p.h, 'dep', { source: source('v3'), metadata: { bindings: [{ type: 'kv_namespace', name: 'STORE', namespace_id: id }] } });
    assert.equal((await get('/kv')).text, 'hello from KV');
  });

  test('Edge: deployments: a deleted worker stops serving; its paths go to the origin and its isolates are disposed', async () => {
    assert.equal((await p.h.call('DELETE', '/api/v1/workers/dep')).status, 200);
    await eventually(async () => assert.equal(JSON.parse((await get('/after-delete')).text).url, '/after-delete'));
    assert.equal(p.edge.registry.loaded().length, 0);
    assert.equal(p.edge.serving().workers.length, 0);
  });
});
