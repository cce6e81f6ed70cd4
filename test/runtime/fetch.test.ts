// fetch() end to end: a worker in a real isolate behind a real HTTP server, calling
// real origin servers on 127.0.0.1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { startWorker, type TestWorkerOptions } from '../helpers/worker.ts';
import { startOrigin, type Origin } from './fetch-origins.ts';

let origin: Origin;
before(async () => { origin = await startOrigin(); });
after(async () => { await origin.close(); });

/** Runs `body` as the worker's fetch handler (with ORIGIN bound) and returns its JSON answer. */
async function run(body: string, opts: TestWorkerOptions = {}): Promise<any> {
  const w = await startWorker(`export default { async fetch(request, env, ctx) {
    const ORIGIN = env.ORIGIN;
    try {
      const value = await (async () => { ${body} })();
      return value instanceof Response ? value : Response.json({ ok: true, value: value ?? null });
    } catch (e) {
      return Response.json({ ok: false, name: e?.name, message: String(e?.message ?? e) });
    }
  } }`, {
    bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }],
    ...opts,
    // A fresh isolate compiles the prelude paths it first uses; on a loaded shared machine
    // that can pass the default 50 ms, which is not what these tests are about.
    limits: { cpuMs: 1000, ...opts.limits },
  });
  try {
    const res = await w.fetch('/');
    const text = await res.text();
    try {
      return JSON.parse(text);
    } catch {
      throw new Error(`the worker did not answer with JSON (${res.status}): ${text}`);
    }
  } finally {
    await w.close();
  }
}

function hitsSince(n: number) {
  return origin.hits.slice(n);
}

test('fetch: GET: the origin sees the method and headers, the worker sees status, headers and body', async () => {
  const out = await run(`
    const res = await fetch(ORIGIN + '/echo?q=1', { headers: { 'x-test': 'one', 'user-agent': 'atoll-test' } });
    const echo = await res.json();
    return { status: res.status, ok: res.ok, type: res.headers.get('content-type'), origin: res.headers.get('x-origin'),
      url: res.url, redirected: res.redirected, method: echo.method, path: echo.path, xtest: echo.headers['x-test'], ua: echo.headers['user-agent'] };
  `);
  assert.deepEqual(out, { ok: true, value: {
    status: 200, ok: true, type: 'application/json', origin: 'yes', url: `${origin.url}/echo?q=1`, redirected: false,
    method: 'GET', path: '/echo?q=1', xtest: 'one', ua: 'atoll-test',
  } });
});

test('fetch: response headers: are immutable, as on Workers', async () => {
  const out = await run(`
    const res = await fetch(ORIGIN + '/echo');
    try { res.headers.set('x', '1'); return 'mutable'; } catch (e) { return e.name + ': ' + e.message; }
  `);
  assert.equal(out.value, "TypeError: Failed to execute 'set' on 'Headers': Can't modify immutable headers.");
});

test('fetch: POST: sends string, bytes, URLSearchParams and FormData bodies with their content types', async () => {
  const out = await run(`
    const send = async (body) => (await (await fetch(ORIGIN + '/echo', { method: 'POST', body })).json());
    const s = await send('héllo');
    const b = await send(new Uint8Array([104, 105]));
    const u = await send(new URLSearchParams({ a: '1 2', b: 'x&y' }));
    const fd = new FormData(); fd.append('field', 'v'); fd.append('file', new File(['data'], 'f.txt', { type: 'text/plain' }));
    const f = await send(fd);
    return { s: [s.body, s.headers['content-type'], s.headers['content-length']], b: [b.body, b.headers['content-type'] ?? null],
      u: [u.body, u.headers['content-type']], f: [f.headers['content-type'].startsWith('multipart/form-data; boundary='), f.body.includes('filename="f.txt"'), f.body.includes('data')] };
  `);
  assert.deepEqual(out.value, {
    s: ['héllo', 'text/plain;charset=UTF-8', '6'],
    b: ['hi', null],
    u: ['a=1+2&b=x%26y', 'application/x-www-form-urlencoded;charset=UTF-8'],
    f: [true, true, true],
  });
});

test('fetch: request body: a ReadableStream is sent as the worker produces it, not buffered first', async () => {
  const out = await run(`
    const enc = new TextEncoder();
    let i = 0;
    const body = new ReadableStream({ async pull(c) {
      if (i === 3) { c.close(); return; }
      if (i > 0) await new Promise((r) => setTimeout(r, 60));
      c.enqueue(enc.encode('chunk' + i++ + ';'));
    } });
    const echo = await (await fetch(ORIGIN + '/echo', { method: 'PUT', body, duplex: 'half' })).json();
    return { body: echo.body, spread: echo.bodySpreadMs, te: echo.headers['transfer-encoding'] };
  `);
  assert.equal(out.value.body, 'chunk0;chunk1;chunk2;');
  assert.equal(out.value.te, 'chunked');
  // Two 60 ms pauses between chunks: a buffered body would arrive all at once.
  assert.ok(out.value.spread >= 100, `body arrived over ${out.value.spread} ms`);
});

test('fetch: response body: the worker reads the first chunk before the origin has sent the rest', async () => {
  // /hold sends "first;" and holds the rest until /release is hit: a buffered body
  // would never resolve, so reaching /release proves chunk-by-chunk reading.
  const out = await run(`
    const res = await fetch(ORIGIN + '/hold');
    const reader = res.body.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await (await fetch(ORIGIN + '/release')).text();
    let rest = '';
    for (;;) { const { done, value } = await reader.read(); if (done) break; rest += new TextDecoder().decode(value); }
    return { first, rest };
  `);
  assert.deepEqual(out.value, { first: 'first;', rest: 'rest' });
});

test('fetch: response body: a large body streams through with bounded chunks', async () => {
  const out = await run(`
    const res = await fetch(ORIGIN + '/big?bytes=' + 4 * 1024 * 1024);
    const reader = res.body.getReader();
    let total = 0, chunks = 0, largest = 0;
    for (;;) { const { done, value } = await reader.read(); if (done) break; total += value.byteLength; chunks++; largest = Math.max(largest, value.byteLength); }
    return { total, many: chunks > 16, largest };
  `, { limits: { cpuMs: 2000 } });
  assert.equal(out.value.total, 4 * 1024 * 1024);
  assert.equal(out.value.many, true);
  assert.ok(out.value.largest <= 64 * 1024, `largest chunk ${out.value.largest}`);
});

test('fetch: Set-Cookie: several cookies from the origin stay apart, in the worker and on to the client', async () => {
  const w = await startWorker(`export default { async fetch(request, env) {
    const res = await fetch(env.ORIGIN + '/cookies');
    if (new URL(request.url).pathname === '/list') return Response.json(res.headers.getSetCookie());
    return res;
  } }`, { bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }] });
  try {
    assert.deepEqual(await (await w.fetch('/list')).json(), ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT']);
    const raw = await new Promise<string[]>((resolve, reject) => {
      httpRequest(w.url + '/proxy', (res) => { res.resume(); resolve(res.rawHeaders); }).on('error', reject).end();
    });
    const cookies = raw.filter((_, i) => i % 2 === 0 && raw[i].toLowerCase() === 'set-cookie').map((_, i) => i);
    const values = raw.filter((_, i) => i % 2 === 1 && raw[i - 1].toLowerCase() === 'set-cookie');
    assert.equal(cookies.length, 2);
    assert.deepEqual(values, ['a=1; Path=/', 'b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT']);
  } finally {
    await w.close();
  }
});

test('fetch: Content-Encoding gzip: the worker reads the decoded body, without the encoding header', async () => {
  const out = await run(`
    const res = await fetch(ORIGIN + '/gzip');
    return { text: await res.text(), enc: res.headers.get('content-encoding'), type: res.headers.get('content-type') };
  `);
  assert.deepEqual(out.value, { text: 'compressed hello', enc: null, type: 'text/plain' });
});

test('fetch: redirect follow: 301/302 after POST and 303 become GET without a body; 307/308 keep method and body', async () => {
  const out = await run(`
    const go = async (status, method) => {
      const res = await fetch(ORIGIN + '/redirect/' + status + '?to=/echo', { method, body: method === 'GET' ? undefined : 'payload', headers: { 'content-type': 'text/x-test' } });
      const echo = await res.json();
      return [echo.method, echo.body, echo.headers['content-type'] ?? null, res.redirected, res.url.endsWith('/echo')];
    };
    return { p301: await go(301, 'POST'), p302: await go(302, 'POST'), put301: await go(301, 'PUT'), p303: await go(303, 'PUT'),
      p307: await go(307, 'POST'), p308: await go(308, 'PATCH'), g303: await go(303, 'GET') };
  `);
  assert.deepEqual(out.value, {
    p301: ['GET', '', null, true, true],
    p302: ['GET', '', null, true, true],
    put301: ['PUT', 'payload', 'text/x-test', true, true],
    p303: ['GET', '', null, true, true],
    p307: ['POST', 'payload', 'text/x-test', true, true],
    p308: ['PATCH', 'payload', 'text/x-test', true, true],
    g303: ['GET', '', 'text/x-test', true, true],
  });
});

test('fetch: redirect manual: returns the 3xx response itself with its Location', async () => {
  const before = origin.hits.length;
  const out = await run(`
    const res = await fetch(ORIGIN + '/redirect/302?to=/elsewhere', { redirect: 'manual' });
    return { status: res.status, location: res.headers.get('location'), redirected: res.redirected, body: await res.text() };
  `);
  assert.deepEqual(out.value, { status: 302, location: '/elsewhere', redirected: false, body: 'moved' });
  assert.equal(hitsSince(before).length, 1);
});

test('fetch: redirect error: a redirect rejects with a TypeError', async () => {
  const out = await run(`await fetch(ORIGIN + '/redirect/301?to=/echo', { redirect: 'error' });`);
  assert.equal(out.ok, false);
  assert.equal(out.name, 'TypeError');
  assert.match(out.message, /redirected \(301\).*redirect mode is "error"/);
});

test('fetch: redirect follow: stops after 20 redirects with a clear TypeError', async () => {
  const before = origin.hits.length;
  const out = await run(`await fetch(ORIGIN + '/loop');`);
  assert.equal(out.name, 'TypeError');
  assert.match(out.message, /redirected more than 20 times/);
  assert.equal(hitsSince(before).length, 21);
});

test('fetch: redirect follow: a 307 cannot resend a streamed body, and says so', async () => {
  const out = await run(`
    const body = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('once')); c.close(); } });
    await fetch(ORIGIN + '/redirect/307?to=/echo', { method: 'POST', body });
  `);
  assert.equal(out.name, 'TypeError');
  assert.match(out.message, /body is a stream, which cannot be sent twice/);
});

test('fetch: redirect follow: a redirect to a non-http(s) URL is refused', async () => {
  const out = await run(`await fetch(ORIGIN + '/to-ftp');`);
  assert.equal(out.name, 'TypeError');
  assert.match(out.message, /ftp:\/\/127\.0\.0\.1\/file: only http: and https: URLs are supported/);
});

test('fetch: bad input: non-http(s) URLs, relative URLs and bad methods reject with a TypeError and make no request', async () => {
  const out = await run(`
    const results = [];
    for (const args of [['file:///etc/passwd'], ['data:text/plain,hi'], ['ftp://127.0.0.1/'], ['javascript:alert(1)'], ['/relative'], [ORIGIN, { method: 'bad method' }], [ORIGIN, { method: 'TRACE' }], [ORIGIN, { redirect: 'sideways' }], [ORIGIN, { method: 'GET', body: 'x' }]]) {
      try { await fetch(...args); results.push('resolved'); } catch (e) { results.push(e.name); }
    }
    return results;
  `);
  assert.deepEqual(out.value, Array(9).fill('TypeError'));
});

test('fetch: AbortSignal: aborting in flight rejects with the reason and closes the origin connection', async () => {
  const before = origin.hits.length;
  const out = await run(`
    const ac = new AbortController();
    setTimeout(() => ac.abort(new Error('changed my mind')), 50);
    const t0 = Date.now();
    try { await fetch(ORIGIN + '/slow', { signal: ac.signal }); return 'resolved'; }
    catch (e) { return { message: e.message, ms: Date.now() - t0 }; }
  `);
  assert.equal(out.value.message, 'changed my mind');
  assert.ok(out.value.ms < 5000, `rejected after ${out.value.ms} ms`);
  const hit = hitsSince(before).find((h) => h.path === '/slow')!;
  for (let i = 0; i < 100 && !hit.aborted; i++) await new Promise((r) => setTimeout(r, 20));
  assert.equal(hit.aborted, true, 'the origin saw the connection close');
});

test('fetch: AbortSignal: aborting after the head errors the body with the reason', async () => {
  const out = await run(`
    const ac = new AbortController();
    const res = await fetch(ORIGIN + '/hold', { signal: ac.signal });
    const reader = res.body.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const pending = reader.read();
    ac.abort();
    try { await pending; return 'read'; } catch (e) { return { first, name: e.name }; }
  `);
  origin.release();
  assert.deepEqual(out.value, { first: 'first;', name: 'AbortError' });
});

test('fetch: AbortSignal: an already-aborted signal rejects at once and sends nothing', async () => {
  const before = origin.hits.length;
  const out = await run(`
    try { await fetch(ORIGIN + '/echo', { signal: AbortSignal.abort() }); return 'resolved'; } catch (e) { return e.name; }
  `);
  assert.equal(out.value, 'AbortError');
  assert.equal(hitsSince(before).length, 0);
});

test('fetch: sub-request limit: the call past the limit rejects clearly and never reaches the origin', async () => {
  const before = origin.hits.length;
  const out = await run(`
    const results = [];
    for (let i = 0; i < 4; i++) {
      try { await (await fetch(ORIGIN + '/echo')).text(); results.push('ok'); } catch (e) { results.push(e.message); }
    }
    return results;
  `, { limits: { subrequests: 3 } });
  assert.deepEqual(out.value.slice(0, 3), ['ok', 'ok', 'ok']);
  assert.match(out.value[3], /Too many subrequests: this invocation may make at most 3/);
  assert.equal(hitsSince(before).length, 3);
});

test('fetch: sub-request limit: each hop of a redirect chain counts, as on Workers', async () => {
  const before = origin.hits.length;
  const out = await run(`await fetch(ORIGIN + '/loop');`, { limits: { subrequests: 3 } });
  assert.match(out.message, /Too many subrequests: this invocation may make at most 3/);
  assert.equal(hitsSince(before).length, 3);
});

test('fetch: WebSocket upgrades: an origin that does not upgrade answers as a plain response, with no webSocket', async () => {
  const before = origin.hits.length;
  const out = await run(`const res = await fetch(ORIGIN + '/echo', { headers: { upgrade: 'websocket' } });
    const echoed = await res.json();
    return { status: res.status, webSocket: res.webSocket, upgrade: echoed.headers.upgrade, key: typeof echoed.headers['sec-websocket-key'] };`);
  assert.deepEqual(out.value, { status: 200, webSocket: null, upgrade: 'websocket', key: 'string' });
  assert.equal(hitsSince(before).length, 1);
});

test('fetch: network errors: a refused connection rejects with a TypeError naming the cause', async () => {
  const out = await run(`await fetch('http://127.0.0.1:1/');`);
  assert.equal(out.name, 'TypeError');
  assert.match(out.message, /Network error while fetching http:\/\/127\.0\.0\.1:1\/: ECONNREFUSED/);
});

test('fetch: null-body responses: HEAD and 204 give a null body', async () => {
  const out = await run(`
    const head = await fetch(ORIGIN + '/echo', { method: 'HEAD' });
    const none = await fetch(ORIGIN + '/status?s=204');
    return { head: [head.status, head.body === null, await head.text()], none: [none.status, none.body === null] };
  `);
  assert.deepEqual(out.value, { head: [200, true, ''], none: [204, true] });
});

test('fetch: isolation: nothing reachable from a fetch response leads to the host realm', async () => {
  const out = await run(`
    const res = await fetch(ORIGIN + '/echo');
    const probes = [res, res.headers, res.clone(), res.body, res.body.getReader()];
    return probes.map((o) => o.constructor.constructor('return typeof process + "," + typeof require + "," + typeof Buffer')());
  `);
  assert.deepEqual(out.value, Array(5).fill('undefined,undefined,undefined'));
});

test('fetch: proxying: fetch(url, request) forwards the incoming method, headers and streamed body', async () => {
  const w = await startWorker(`export default { async fetch(request, env) {
    const path = new URL(request.url).pathname;
    if (path === '/init') return fetch(env.ORIGIN + '/echo', request);
    return fetch(new Request(env.ORIGIN + '/echo', request));
  } }`, { bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }], limits: { cpuMs: 1000 } });
  try {
    for (const path of ['/init', '/request']) {
      const big = 'z'.repeat(300 * 1024);
      const res = await w.fetch(path, { method: 'PUT', body: big, headers: { 'x-forward': 'me', 'content-type': 'text/x-big' } });
      const echo = await res.json() as { method: string; body: string; headers: Record<string, string> };
      assert.equal(res.headers.get('x-origin'), 'yes');
      assert.equal(echo.method, 'PUT');
      assert.equal(echo.headers['x-forward'], 'me');
      assert.equal(echo.headers['content-type'], 'text/x-big');
      assert.equal(echo.body.length, big.length, `${path}: the whole body arrived`);
    }
  } finally {
    await w.close();
  }
});

test('fetch: request body: a stream that errors fails the fetch with a TypeError carrying its message', async () => {
  const out = await run(`
    let n = 0;
    const body = new ReadableStream({ pull(c) { if (n++ === 0) c.enqueue(new TextEncoder().encode('start')); else c.error(new Error('producer broke')); } });
    await fetch(ORIGIN + '/echo#frag', { method: 'POST', body });
  `);
  assert.equal(out.name, 'TypeError');
  assert.match(out.message, /while fetching .*: the request body stream failed: producer broke/);
});

test('fetch: url: the response URL has no fragment', async () => {
  const out = await run(`return (await fetch(ORIGIN + '/echo?x=1#frag')).url;`);
  assert.equal(out.value, `${origin.url}/echo?x=1`);
});

test('fetch: https: speaks TLS and refuses an untrusted certificate with a clear TypeError', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-tls-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
  let hits = 0;
  const server = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => { hits++; res.end('secret'); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const port = (server.address() as AddressInfo).port;
    const out = await run(`await fetch('https://127.0.0.1:${port}/');`);
    assert.equal(out.name, 'TypeError');
    assert.match(out.message, new RegExp(`Network error while fetching https://127\\.0\\.0\\.1:${port}/: DEPTH_ZERO_SELF_SIGNED_CERT`));
    assert.equal(hits, 0);
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fetch: AbortSignal: aborting while text() reads the body rejects it with the reason', async () => {
  const out = await run(`
    const ac = new AbortController();
    const res = await fetch(ORIGIN + '/hold', { signal: ac.signal });
    const pending = res.text();
    setTimeout(() => ac.abort(new RangeError('enough')), 30);
    try { await pending; return 'read'; } catch (e) { return [e.name, e.message, res.bodyUsed]; }
  `);
  origin.release();
  assert.deepEqual(out.value, ['RangeError', 'enough', true]);
});

test('fetch: passthrough: a worker that returns a fetch response or forwards its request body spends no CPU per chunk', async () => {
  // 16 MB each way through the default 50 ms CPU limit: read chunk by chunk in the
  // isolate, either would cost well over the limit on this machine.
  const w = await startWorker(`export default { async fetch(request, env) {
    if (request.method === 'POST') return fetch(env.ORIGIN + '/echo', request);
    return fetch(env.ORIGIN + '/big?bytes=' + 16 * 1024 * 1024);
  } }`, { bindings: [{ type: 'plain_text', name: 'ORIGIN', text: origin.url }] });
  try {
    const res = await w.fetch('/');
    let bytes = 0;
    for await (const chunk of res.body!) bytes += chunk.length;
    assert.equal(bytes, 16 * 1024 * 1024);
    const upload = await w.fetch('/', { method: 'POST', body: new Uint8Array(16 * 1024 * 1024).fill(65) });
    const echo = await upload.json() as { body: string };
    assert.equal(echo.body.length, 16 * 1024 * 1024);
    const invs = await w.settled(2, 20_000);
    for (const inv of invs) {
      assert.equal(inv.outcome, 'ok');
      assert.ok(inv.cpuMs < 50, `the invocation used ${inv.cpuMs.toFixed(1)} ms of CPU`);
    }
  } finally {
    await w.close();
  }
});
