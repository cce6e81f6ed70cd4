// The edge's request path: host -> zone -> most specific route -> worker, or the
// zone's origin; a worker's fetch to its own zone and passThroughOnException reach the
// origin; bad and unknown hosts get clear answers.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { upload } from '../control/harness.ts';
import { edgeRequest, eventually, startPlatform, type Platform } from './helpers.ts';

const APP = `export default {
  async fetch(request, env, ctx) {
    const url = new URL(request.url);
    if (url.pathname === '/api/cf') return Response.json({ cf: request.cf, ip: request.headers.get('cf-connecting-ip') });
    if (url.pathname === '/api/self') return fetch('http://shop.test/from-worker?x=1', { headers: { 'x-from': 'worker' } });
    if (url.pathname === '/api/pass') { ctx.passThroughOnException(); throw new Error('boom'); }
    if (url.pathname === '/api/private') return fetch('http://127.0.0.1:1/');
    if (url.pathname === '/api/log') { console.log('logged', 42); console.error('oops'); return new Response('logged'); }
    return new Response('app ' + request.method + ' ' + url.pathname + ' ' + url.host);
  },
};`;
const SPECIAL = 'export default { fetch() { return new Response("special"); } };';

describe('Edge: routing', () => {
  let p: Platform;

  before(async () => {
    p = await startPlatform();
    const { h } = p;
    await upload(h, 'app', { source: APP });
    await upload(h, 'special', { source: SPECIAL });
    await upload(h, 'idle', { deploy: false });
    assert.equal((await h.call('POST', '/api/v1/zones', { json: { hostname: 'shop.test', origin: p.origin.url } })).status, 201);
    for (const [pattern, worker] of [['shop.test/api/*', 'app'], ['shop.test/api/special', 'special'], ['*.shop.test/api/*', 'special'], ['shop.test/idle', 'idle']]) {
      const r = await h.call('POST', '/api/v1/routes', { json: { pattern, worker } });
      assert.equal(r.status, 201, r.text);
    }
  });

  after(async () => { await p?.close(); });

  test('Edge: routing: a request for a host with no zone gets a 404 naming the host', async () => {
    const r = await edgeRequest(p.edge, 'nowhere.example:8787', '/x');
    assert.equal(r.status, 404);
    assert.equal(r.headers['atoll-error'], 'no_zone');
    assert.match(r.text, /No zone on this atoll edge serves the host "nowhere\.example"/);
    assert.equal(p.origin.hits.length, 0);
  });

  test('Edge: routing: a missing or malformed Host header gets a 400 saying what is wrong', async () => {
    const none = await edgeRequest(p.edge, null, '/');
    assert.equal(none.status, 400);
    assert.match(none.text, /no Host header/);
    // The last two pass the character check and fail only when the URL is parsed.
    for (const host of ['shop.test/evil', 'user@shop.test', 'shop test', 'a'.repeat(400), ':8787', '[::1']) {
      const r = await edgeRequest(p.edge, host, '/');
      assert.equal(r.status, 400, host);
      assert.equal(r.headers['atoll-error'], 'bad_host');
      assert.match(r.text, /is not a host name/);
    }
  });

  test('Edge: routing: a request target that is not a path gets a 400 saying so', async () => {
    const r = await edgeRequest(p.edge, 'shop.test', 'http://shop.test/api/items');
    assert.equal(r.status, 400);
    assert.equal(r.headers['atoll-error'], 'bad_target');
    assert.match(r.text, /request target "http:\/\/shop\.test\/api\/items" is not a path/);
  });

  test('Edge: routing: the most specific route wins, whatever the port or letter case of the host', async () => {
    assert.equal((await edgeRequest(p.edge, 'shop.test', '/api/items?q=1')).text, 'app GET /api/items shop.test');
    assert.equal((await edgeRequest(p.edge, 'SHOP.test:8080', '/api/items')).text, 'app GET /api/items shop.test:8080');
    assert.equal((await edgeRequest(p.edge, 'shop.test', '/api/special')).text, 'special');
    assert.equal((await edgeRequest(p.edge, 'eu.shop.test', '/api/x')).text, 'special');
    assert.equal(p.origin.hits.length, 0);
  });

  test('Edge: routing: a zone path with no route goes to the origin, headers and body kept both ways', async () => {
    const before = p.origin.hits.length;
    const r = await edgeRequest(p.edge, 'shop.test', '/page?x=1', { method: 'POST', body: 'payload', headers: { 'x-custom': 'kept', connection: 'keep-alive' } });
    assert.equal(r.status, 200);
    assert.equal(r.headers['x-origin'], 'yes');
    assert.deepEqual(r.headers['set-cookie'], ['a=1', 'b=2']);
    const hit = JSON.parse(r.text);
    assert.equal(hit.method, 'POST');
    assert.equal(hit.url, '/page?x=1');
    assert.equal(hit.body, 'payload');
    assert.equal(hit.headers['x-custom'], 'kept');
    assert.equal(hit.headers['x-forwarded-host'], 'shop.test');
    assert.equal(hit.headers['cf-connecting-ip'], '127.0.0.1');
    assert.equal(p.origin.hits.length, before + 1);
    // A subdomain of the zone with no route of its own is the zone's too.
    assert.equal(JSON.parse((await edgeRequest(p.edge, 'www.shop.test', '/')).text).url, '/');
  });

  test('Edge: origin: a large request body passes through to the origin intact', async () => {
    const body = 'x'.repeat(4 * 1024 * 1024);
    const r = await edgeRequest(p.edge, 'shop.test', '/upload', { method: 'PUT', body });
    assert.equal(r.status, 200);
    assert.equal(p.origin.hits.at(-1)?.body.length, body.length);
    assert.equal(JSON.parse(r.text).body.length, body.length);
  });

  test("Edge: origin: an origin URL with a path puts the request's path under it", async () => {
    assert.equal((await p.h.call('POST', '/api/v1/zones', { json: { hostname: 'prefix.test', origin: `${p.origin.url}/base` } })).status, 201);
    await eventually(async () => assert.equal(JSON.parse((await edgeRequest(p.edge, 'prefix.test', '/page?q=1')).text).url, '/base/page?q=1'));
  });

  test('Edge: origin: a client that hangs up mid-request leaves the edge serving', async () => {
    const aborted = new AbortController();
    const gone = edgeRequest(p.edge, 'shop.test', '/hold-abandoned', { signal: aborted.signal });
    await eventually(() => assert.ok(p.origin.hits.some((x) => x.url === '/hold-abandoned')));
    aborted.abort();
    await assert.rejects(gone);
    p.origin.release();
    assert.equal(JSON.parse((await edgeRequest(p.edge, 'shop.test', '/after')).text).url, '/after');
  });

  test("Edge: fetch: a worker's fetch to its own zone's host reaches the origin, not the worker", async () => {
    const before = p.origin.hits.length;
    const r = await edgeRequest(p.edge, 'shop.test', '/api/self');
    assert.equal(r.status, 200);
    const hit = JSON.parse(r.text);
    assert.equal(hit.url, '/from-worker?x=1');
    assert.equal(hit.headers['x-from'], 'worker');
    assert.equal(p.origin.hits.length, before + 1);
  });

  test('Edge: fetch: a worker cannot reach loopback addresses that are not its zone origin', async () => {
    const r = await edgeRequest(p.edge, 'shop.test', '/api/private');
    assert.equal(r.status, 500);
    // The request's log line comes once the invocation is over, just after the response.
    await eventually(() => {
      const line = p.logs.find((l) => l.msg === 'request' && l.path === '/api/private');
      assert.match(String(line?.exceptions), /Fetch to http:\/\/127\.0\.0\.1:1\/ is not allowed/);
    });
  });

  test("Edge: log: a request's line names its worker and version and carries its console lines", async () => {
    assert.equal((await edgeRequest(p.edge, 'shop.test', '/api/log')).text, 'logged');
    await eventually(() => {
      const line = p.logs.find((l) => l.msg === 'request' && l.path === '/api/log');
      assert.ok(line, 'no request line');
      assert.equal(line.location, 'TST');
      assert.equal(line.worker, 'app');
      assert.match(String(line.version), /^ver_/);
      assert.equal(line.status, 200);
      assert.deepEqual(line.console, [{ level: 'log', message: 'logged 42' }, { level: 'error', message: 'oops' }]);
    });
  });

  test('Edge: passThroughOnException: a worker that throws after calling it forwards the request to the origin', async () => {
    const before = p.origin.hits.length;
    const r = await edgeRequest(p.edge, 'shop.test', '/api/pass');
    assert.equal(r.status, 200);
    assert.equal(JSON.parse(r.text).url, '/api/pass');
    assert.equal(p.origin.hits.length, before + 1);
  });

  test('Edge: request.cf: carries the location id and the client address comes in CF-Connecting-IP', async () => {
    const r = JSON.parse((await edgeRequest(p.edge, 'shop.test', '/api/cf', { headers: { 'cf-connecting-ip': '6.6.6.6', 'cf-ipcountry': 'FR' } })).text);
    assert.equal(r.cf.colo, 'TST');
    assert.equal(r.cf.country, 'XX');
    assert.equal(r.ip, '127.0.0.1');
  });

  test('Edge: routing: a route whose worker has no deployment answers 503 naming the route and the worker', async () => {
    const r = await edgeRequest(p.edge, 'shop.test', '/idle');
    assert.equal(r.status, 503);
    assert.equal(r.headers['atoll-error'], 'not_deployed');
    assert.match(r.text, /route "shop\.test\/idle" points at worker "idle", which has no deployment/);
  });

  test('Edge: routing: a new zone and route serve without a restart', async () => {
    const { h } = p;
    assert.equal((await h.call('POST', '/api/v1/zones', { json: { hostname: 'late.test', origin: 'http://127.0.0.1:1' } })).status, 201);
    assert.equal((await h.call('POST', '/api/v1/routes', { json: { pattern: 'late.test/*', worker: 'special' } })).status, 201);
    // The routing reload is asynchronous; it lands within a few ms.
    let r = await edgeRequest(p.edge, 'late.test', '/');
    for (let i = 0; i < 50 && r.status !== 200; i++) {
      await new Promise((res) => setTimeout(res, 10));
      r = await edgeRequest(p.edge, 'late.test', '/');
    }
    assert.equal(r.text, 'special');
  });

  test('Edge: origin: an origin that does not answer gets a 502 naming the zone and the origin', async () => {
    const { h } = p;
    assert.equal((await h.call('POST', '/api/v1/zones', { json: { hostname: 'down.test', origin: 'http://127.0.0.1:1' } })).status, 201);
    let d = await edgeRequest(p.edge, 'down.test', '/');
    for (let i = 0; i < 50 && d.status === 404; i++) {
      await new Promise((res) => setTimeout(res, 10));
      d = await edgeRequest(p.edge, 'down.test', '/');
    }
    assert.equal(d.status, 502);
    assert.match(d.text, /origin of zone "down\.test" \(http:\/\/127\.0\.0\.1:1\) did not answer: ECONNREFUSED/);
  });
});
