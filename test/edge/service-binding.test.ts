// Service bindings at the edge: worker A's `env.B.fetch()` runs in worker B's current
// deployment, in-process, over real HTTP from the client to A; the same account only,
// bodies streaming both ways, errors answered rather than thrown, loops cut.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { secondAccount, upload } from '../control/harness.ts';
import { edgeRequest, eventually, startPlatform, type Platform } from './helpers.ts';

const B = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/throw') throw new Error('b broke');
    if (url.pathname === '/upper') {
      const { readable, writable } = new TransformStream({
        transform(chunk, c) { c.enqueue(new TextEncoder().encode(new TextDecoder().decode(chunk).toUpperCase())); },
      });
      request.body.pipeTo(writable);
      return new Response(readable, { headers: { 'x-b': 'upper' } });
    }
    const headers = {};
    for (const [k, v] of request.headers) if (k.startsWith('x-')) headers[k] = v;
    return new Response(JSON.stringify({ worker: 'b', method: request.method, url: request.url, headers, body: await request.text() }), {
      status: 201, headers: { 'x-b': 'yes', 'content-type': 'application/json', 'set-cookie': 'one=1' },
    });
  },
};`;

const A = `const enc = (s) => new TextEncoder().encode(s);
const dec = (b) => new TextDecoder().decode(b);
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    switch (url.pathname) {
      case '/forward':
        return env.B.fetch(request);
      case '/built': {
        const r = await env.B.fetch('http://b.internal/echo?from=a', { method: 'PATCH', headers: { 'x-sent-by': 'a' }, body: 'from a' });
        return new Response(JSON.stringify({ status: r.status, b: r.headers.get('x-b'), echo: await r.json() }));
      }
      case '/pingpong': {
        // Each request chunk is written only after the answer to the previous one came
        // back: this finishes only if neither side waits for a whole body.
        const { readable, writable } = new TransformStream();
        const writer = writable.getWriter();
        writer.write(enc('a'));
        const res = await env.B.fetch('http://b.internal/upper', { method: 'POST', body: readable, duplex: 'half' });
        const reader = res.body.getReader();
        const seen = [];
        for (const next of ['b', 'c', 'd', null]) {
          const { value } = await reader.read();
          seen.push(dec(value));
          if (next === null) writer.close(); else writer.write(enc(next));
        }
        const end = await reader.read();
        return new Response(seen.join(',') + (end.done ? ' end' : ' more'), { headers: { 'x-b': res.headers.get('x-b') } });
      }
      case '/throw': {
        const r = await env.B.fetch('http://b.internal/throw');
        return new Response(JSON.stringify({ status: r.status, error: r.headers.get('atoll-error'), text: await r.text() }));
      }
      case '/spin': {
        const r = await env.SPIN.fetch('http://spin.internal/');
        return new Response(r.status + ' ' + r.headers.get('atoll-error'));
      }
      case '/undeployed':
        try {
          await env.C.fetch('http://c.internal/');
          return new Response('no error');
        } catch (e) {
          return new Response(e.name + ': ' + e.message, { status: 502 });
        }
      case '/bad':
        try {
          await env.B.fetch({ not: 'a request' });
          return new Response('no error');
        } catch (e) {
          return new Response(e.name + ': ' + e.message, { status: 400 });
        }
    }
    return new Response(Object.keys(env).sort().join(','));
  },
};`;

const LOOP = `export default {
  async fetch(request, env) {
    try {
      return await env.SELF.fetch(request);
    } catch (e) {
      return new Response(e.name + ': ' + e.message, { status: 508 });
    }
  },
};`;

const service = (name: string, worker: string) => ({ type: 'service', name, service: worker });

describe('Edge: service bindings', () => {
  let p: Platform;
  const get = (path: string, init: Parameters<typeof edgeRequest>[3] = {}) => edgeRequest(p.edge, 'a.test', path, init);

  before(async () => {
    p = await startPlatform();
    const { h } = p;
    assert.equal((await h.call('POST', '/api/v1/zones', { json: { hostname: 'a.test', origin: p.origin.url } })).status, 201);
    await upload(h, 'b', { source: B });
    await upload(h, 'c', { source: B, deploy: false });
    await upload(h, 'spin', { source: 'export default { fetch() { for (;;) {} } }' });
    await upload(h, 'a', { source: A, metadata: { bindings: [service('B', 'b'), service('C', 'c'), service('SPIN', 'spin')] } });
    await upload(h, 'loop', { source: LOOP, metadata: { bindings: [service('SELF', 'loop')] } });
    assert.equal((await h.call('POST', '/api/v1/routes', { json: { pattern: 'a.test/*', worker: 'a' } })).status, 201);
    assert.equal((await h.call('POST', '/api/v1/routes', { json: { pattern: 'a.test/loop*', worker: 'loop' } })).status, 201);
  });

  after(async () => { await p?.close(); });

  test("Edge: service bindings: fetch: A returns B's response to a forwarded client request, status, headers and body", async () => {
    const r = await get('/forward?x=1', { method: 'POST', headers: { 'x-client': 'c1' }, body: 'client body' });
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-b'], 'yes');
    assert.deepEqual(r.headers['set-cookie'], ['one=1']);
    const echo = JSON.parse(r.text);
    assert.equal(echo.worker, 'b');
    assert.equal(echo.method, 'POST');
    assert.equal(echo.url, 'http://a.test/forward?x=1');
    assert.equal(echo.headers['x-client'], 'c1');
    assert.equal(echo.body, 'client body');
    assert.equal(p.origin.hits.length, 0, 'no request left the process');
    await eventually(() => assert.ok(p.logs.some((l) => l.msg === 'service call' && l.worker === 'b' && l.caller === 'a' && l.binding === 'B' && l.status === 201)));
  });

  test('Edge: service bindings: fetch: B sees the request A built (method, URL, headers, body)', async () => {
    const out = JSON.parse((await get('/built')).text);
    assert.equal(out.status, 201);
    assert.equal(out.b, 'yes');
    assert.deepEqual(out.echo, { worker: 'b', method: 'PATCH', url: 'http://b.internal/echo?from=a', headers: { 'x-sent-by': 'a' }, body: 'from a' });
  });

  test('Edge: service bindings: fetch: request and response bodies stream both ways, chunk by chunk', async () => {
    const r = await get('/pingpong');
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-b'], 'upper');
    assert.equal(r.text, 'A,B,C,D end');
  });

  test("Edge: service bindings: fetch: B's exception comes back to A as a 500 response; A goes on", async () => {
    const out = JSON.parse((await get('/throw')).text);
    assert.deepEqual(out, { status: 500, error: 'exception', text: 'The worker threw an exception. (atoll error: exception)\n' });
    await eventually(() => assert.ok(p.logs.some((l) => l.msg === 'service call' && l.worker === 'b' && l.outcome === 'exception'
      && String((l.exceptions as string[] | undefined)?.[0]).includes('b broke'))));
  });

  test("Edge: service bindings: fetch: B going over its CPU limit is B's 503, not A's failure", async () => {
    const r = await get('/spin');
    assert.equal(r.status, 200);
    assert.equal(r.text, '503 exceededCpu');
    // B's isolate was replaced; A's still serves.
    assert.equal((await get('/')).text, 'B,C,SPIN');
  });

  test('Edge: service bindings: fetch: a bound worker with no deployment is a clear error', async () => {
    const r = await get('/undeployed');
    assert.equal(r.status, 502);
    assert.equal(r.text, 'Error: Service binding "C": worker "c" has no deployment; deploy it first.');
  });

  test('Edge: service bindings: fetch: a non-Request argument is a TypeError in A', async () => {
    const r = await get('/bad');
    assert.equal(r.status, 400);
    assert.match(r.text, /^TypeError: /);
  });

  test('Edge: service bindings: fetch: a worker bound to itself is stopped 16 calls deep with a clear error', async () => {
    const t0 = performance.now();
    const r = await get('/loop');
    assert.equal(r.status, 508);
    assert.match(r.text, /^Error: Service binding "SELF" \(worker "loop"\): this request is already 16 service calls deep, the limit/);
    assert.ok(performance.now() - t0 < 10_000);
  });

  test('Edge: service bindings: env: a worker sees exactly the bindings it declares', async () => {
    assert.equal((await get('/')).text, 'B,C,SPIN');
  });

  test("Edge: service bindings: fetch: a binding reaches its own account's worker, never another account's of the same name", async () => {
    const other = await secondAccount(p.h);
    assert.equal((await p.h.call('POST', '/api/v1/zones', { token: other.token, json: { hostname: 'other.test', origin: p.origin.url } })).status, 201);
    await upload(p.h, 'b', { token: other.token, source: 'export default { fetch: () => new Response("other account b") }' });
    await upload(p.h, 'a', { token: other.token, source: 'export default { fetch: (req, env) => env.B.fetch(req) }', metadata: { bindings: [service('B', 'b')] } });
    assert.equal((await p.h.call('POST', '/api/v1/routes', { token: other.token, json: { pattern: 'other.test/*', worker: 'a' } })).status, 201);
    await eventually(async () => assert.equal((await edgeRequest(p.edge, 'other.test', '/')).text, 'other account b'));
    const mine = JSON.parse((await get('/forward', { method: 'POST', body: 'x' })).text);
    assert.equal(mine.worker, 'b');
  });
});
