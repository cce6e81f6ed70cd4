// Closing an edge (atoll up on SIGTERM): requests in flight finish, new ones are refused.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { edgeRequest, eventually, startPlatform } from './helpers.ts';

test('Edge: close: a request in flight finishes with its answer; new connections are refused', async () => {
  const p = await startPlatform();
  try {
    assert.equal((await p.h.call('POST', '/api/v1/zones', { json: { hostname: 'close.test', origin: p.origin.url } })).status, 201);
    await eventually(async () => assert.equal((await edgeRequest(p.edge, 'close.test', '/warm')).status, 200));
    const held = edgeRequest(p.edge, 'close.test', '/hold');
    await eventually(() => assert.ok(p.origin.hits.some((x) => x.url === '/hold')));
    let closed = false;
    const closing = p.edge.close().then(() => { closed = true; });
    await assert.rejects(edgeRequest(p.edge, 'close.test', '/late'), /ECONNREFUSED/);
    assert.equal(closed, false, 'close waits for the request in flight');
    p.origin.release();
    const r = await held;
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).url, '/hold');
    await closing;
  } finally {
    await p.origin.close();
    await p.h.close();
  }
});
