// The edge's worker registry: one isolate per version, shared by concurrent cold
// starts, replaced after a limit kills it, evicted least-recently-used past its size.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { upload } from '../control/harness.ts';
import { edgeRequest, eventually, startPlatform, type Platform } from './helpers.ts';

const source = (label: string) => `export default {
  fetch(request) {
    if (new URL(request.url).pathname === '/spin') { for (;;) {} }
    return new Response(${JSON.stringify(label)});
  },
};`;

describe('WorkerRegistry', () => {
  let p: Platform;

  before(async () => {
    p = await startPlatform({ maxIsolates: 2 });
    assert.equal((await p.h.call('POST', '/api/v1/zones', { json: { hostname: 'reg.test', origin: p.origin.url } })).status, 201);
    for (const name of ['one', 'two', 'three']) {
      await upload(p.h, name, { source: source(name) });
      assert.equal((await p.h.call('POST', '/api/v1/routes', { json: { pattern: `${name}.reg.test/*`, worker: name } })).status, 201);
    }
    // Each deployment starts its version's isolate in the background: let those three
    // cold starts finish, so the counts below see only what the tests cause.
    await eventually(() => assert.equal(p.edge.registry.created, 3));
  });

  after(async () => { await p?.close(); });

  const get = (worker: string, path = '/') => edgeRequest(p.edge, `${worker}.reg.test`, path);

  test('WorkerRegistry: run: concurrent first requests for a version share one cold start', async () => {
    // Uploaded without deploying, so nothing warms it ahead of these calls.
    const versionId = (await upload(p.h, 'one', { source: source('one again'), deploy: false })).body.version.id;
    const ref = { accountId: (await p.h.call('GET', '/api/v1/whoami')).body.account.id, worker: 'one', versionId };
    const before = p.edge.registry.created;
    const isolates = await Promise.all(Array.from({ length: 8 }, () => p.edge.registry.run(ref, async (w) => w)));
    assert.equal(new Set(isolates).size, 1);
    assert.equal(isolates[0]!.def.versionId, versionId);
    assert.equal(p.edge.registry.created, before + 1);
    await p.h.call('POST', '/api/v1/workers/one/deployments', { json: { versions: [{ version_id: versionId }] } });
    assert.equal((await get('one')).text, 'one again');
    // The deployment found the version warm: no second isolate.
    assert.equal(p.edge.registry.created, before + 1);
  });

  test('WorkerRegistry: run: an isolate stopped by its CPU limit is replaced, and the next request is served', async () => {
    const spin = await get('two', '/spin');
    assert.equal(spin.status, 503);
    assert.equal(spin.headers['atoll-error'], 'exceededCpu');
    const before = p.edge.registry.created;
    const r = await get('two');
    assert.equal(r.status, 200);
    assert.equal(r.text, 'two');
    assert.equal(p.edge.registry.created, before + 1);
  });

  test('WorkerRegistry: evict: past maxIsolates the least recently used idle isolate is disposed, and comes back cold', async () => {
    const idle = () => eventually(() => assert.ok(p.edge.registry.loaded().every((l) => l.requests === 0)));
    for (const name of ['one', 'two', 'three']) {
      assert.equal((await get(name)).status, 200);
      await idle();
    }
    assert.deepEqual(p.edge.registry.loaded().map((l) => l.worker), ['two', 'three']);
    assert.ok(p.logs.some((l) => l.msg === 'isolate disposed (least recently used)' && l.worker === 'one'));
    const before = p.edge.registry.created;
    assert.equal((await get('one')).text, 'one again');
    assert.equal(p.edge.registry.created, before + 1);
    // Eviction runs as the request's invocation ends, just after the response.
    await eventually(() => assert.deepEqual(p.edge.registry.loaded().map((l) => l.worker), ['three', 'one']));
  });
});
