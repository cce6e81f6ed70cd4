// examples/security-headers on atoll in front of a fake origin: HTML gets the security
// headers, the origin's software is hidden, and every other header (several Set-Cookie
// lines included) reaches the browser as the origin sent it.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { gate, runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

let origin: FakeService;
let worker: RunningExample;
const hold = gate();

before(async () => {
  origin = await startFake(async (req, res) => {
    if (req.url === '/long') {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.write('<p>the top of a long page</p>');
      await hold.promise;
      res.end('<p>the end</p>');
      return;
    }
    if (req.url === '/api/user') {
      res.writeHead(200, { 'content-type': 'application/json', 'x-powered-by': 'Express', server: 'nginx/1.18.0' });
      res.end('{"name":"ada"}');
      return;
    }
    if (req.url === '/missing') {
      res.writeHead(404, 'Not Found', { 'content-type': 'text/html; charset=utf-8', 'x-powered-by': 'PHP/7.2.1' });
      res.end('<h1>Not here</h1>');
      return;
    }
    // Raw header pairs: two Set-Cookie lines, as a login page sends them.
    res.writeHead(200, [
      'Content-Type', 'text/html; charset=utf-8',
      'X-Powered-By', 'PHP/7.2.1',
      'Server', 'Apache/2.4.29 (Ubuntu)',
      'Set-Cookie', 'session=abc123; Path=/; HttpOnly; Secure',
      'Set-Cookie', 'theme=dark; Path=/; Max-Age=3600',
      'Cache-Control', 'private, max-age=0',
      'X-Request-Id', 'req-42',
      'X-Frame-Options', 'SAMEORIGIN',
    ]);
    res.end('<!doctype html><title>Shop</title><p>Welcome</p>');
  });
  worker = await runExample('security-headers', { origin: origin.url });
});

after(async () => {
  hold.open();
  await worker?.close();
  await origin?.close();
});

describe('examples/security-headers', () => {
  test('an HTML page gets CSP, HSTS, X-Content-Type-Options, X-Frame-Options, Referrer-Policy and Permissions-Policy', async () => {
    const res = await worker.fetch('/');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), '<!doctype html><title>Shop</title><p>Welcome</p>');
    assert.match(res.headers.get('content-security-policy')!, /default-src 'self'/);
    assert.match(res.headers.get('content-security-policy')!, /frame-ancestors 'none'/);
    assert.equal(res.headers.get('strict-transport-security'), 'max-age=63072000; includeSubDomains; preload');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // The origin's own X-Frame-Options is replaced, not doubled.
    assert.equal(res.headers.get('x-frame-options'), 'DENY');
    assert.equal(res.headers.get('referrer-policy'), 'strict-origin-when-cross-origin');
    assert.match(res.headers.get('permissions-policy')!, /camera=\(\)/);
  });

  test('X-Powered-By is removed and Server names the edge, not Apache', async () => {
    const res = await worker.fetch('/');
    await res.arrayBuffer();
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('server'), 'atoll');
  });

  test('every other header is kept: both Set-Cookie lines apart, Cache-Control, X-Request-Id, Content-Type', async () => {
    const res = await worker.fetch('/');
    await res.arrayBuffer();
    assert.deepEqual(res.headers.getSetCookie(), ['session=abc123; Path=/; HttpOnly; Secure', 'theme=dark; Path=/; Max-Age=3600']);
    assert.equal(res.headers.get('cache-control'), 'private, max-age=0');
    assert.equal(res.headers.get('x-request-id'), 'req-42');
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
  });

  test('the origin gets the request as the browser made it: method, path, query, body', async () => {
    const before = origin.requests.length;
    const res = await worker.fetch('/search?q=lamps', { method: 'POST', headers: { 'content-type': 'text/plain', 'x-client': 'test' }, body: 'hello' });
    await res.arrayBuffer();
    const got = origin.requests[before];
    assert.equal(got.method, 'POST');
    assert.equal(got.url, '/search?q=lamps');
    assert.equal(got.headers['x-client'], 'test');
    assert.equal(got.text, 'hello');
  });

  test('a 404 page keeps its status and is still an HTML page with the headers', async () => {
    const res = await worker.fetch('/missing');
    assert.equal(res.status, 404);
    assert.equal(await res.text(), '<h1>Not here</h1>');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(res.headers.get('x-powered-by'), null);
  });

  test('the body streams: the top of a page arrives, with the headers, before the origin has sent the rest', async () => {
    const res = await worker.fetch('/long');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.equal(new TextDecoder().decode(first.value), '<p>the top of a long page</p>');
    hold.open();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    assert.equal(rest, '<p>the end</p>');
  });

  test('JSON is not HTML: no page policies, but X-Powered-By still goes and Server is set', async () => {
    const res = await worker.fetch('/api/user');
    assert.deepEqual(await res.json(), { name: 'ada' });
    assert.equal(res.headers.get('content-security-policy'), null);
    assert.equal(res.headers.get('x-frame-options'), null);
    assert.equal(res.headers.get('x-powered-by'), null);
    assert.equal(res.headers.get('server'), 'atoll');
  });
});
