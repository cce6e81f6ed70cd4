// The Cache API (caches.default, caches.open) inside a real isolate, against the Workers
// docs and workerd's behaviour, with the in-memory dev backend behind it.

import { test } from 'node:test';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker, type TestWorkerOptions } from '../helpers/worker.ts';
import { CacheApiBackend } from '../../src/cache/cache-api.ts';
import { CacheStore, type CacheStoreOptions } from '../../src/cache/store.ts';
import { asyncOps } from '../../src/runtime/ops/index.ts';
import { Invocation } from '../../src/runtime/invocation.ts';

// These tests check behaviour, not CPU limits: a first request in a fresh isolate on a
// loaded machine was seen at 52 ms of CPU, so the limit is raised well clear of that.
const limits = { cpuMs: 1000 };

/** The Cache API over a memory-only store, as `atoll dev` has it. */
function memoryCache(options: CacheStoreOptions = {}): CacheApiBackend {
  return new CacheApiBackend(new CacheStore(options), 'test');
}

function withCache(cache = memoryCache()): TestWorkerOptions {
  return { cache, limits };
}

async function thrown(body: string, opts: TestWorkerOptions = withCache()): Promise<{ name: string; message: string }> {
  return runInIsolate(`try { ${body}; return { name: 'none', message: 'did not throw' }; } catch (e) { return { name: e.name, message: e.message }; }`, opts);
}

const U = 'https://example.com';

test('Cache: put/match: a stored response comes back with its status, headers and body', async () => {
  const out = await runInIsolate(`
    await caches.default.put('${U}/a', new Response('hello', { status: 200, statusText: 'Fine', headers: { 'cache-control': 'max-age=60', 'x-mine': '1' } }));
    const hit = await caches.default.match(new Request('${U}/a'));
    const again = await caches.default.match('${U}/a');
    return {
      types: [caches instanceof CacheStorage, caches.default instanceof Cache, caches.default === caches.default],
      status: hit.status, statusText: hit.statusText, mine: hit.headers.get('x-mine'), cfCache: hit.headers.get('cf-cache-status'),
      age: hit.headers.get('age'), body: await hit.text(), again: await again.text(),
      miss: (await caches.default.match('${U}/other')) === undefined,
    };
  `, withCache());
  assert.deepEqual(out, { types: [true, true, true], status: 200, statusText: 'Fine', mine: '1', cfCache: 'HIT', age: '0', body: 'hello', again: 'hello', miss: true });
});

test('CacheStorage: open: named caches are separate from each other and from the default', async () => {
  const out = await runInIsolate(`
    const a = await caches.open('a');
    const a2 = await caches.open('a');
    const b = await caches.open('b');
    const r = (t) => new Response(t, { headers: { 'cache-control': 'max-age=60' } });
    await a.put('${U}/k', r('in a'));
    await caches.default.put('${U}/k', r('in default'));
    return {
      a2: await (await a2.match('${U}/k')).text(),
      b: (await b.match('${U}/k')) === undefined,
      def: await (await caches.default.match('${U}/k')).text(),
    };
  `, withCache());
  assert.deepEqual(out, { a2: 'in a', b: true, def: 'in default' });
});

test('Cache: match/delete: non-GET requests miss unless ignoreMethod', async () => {
  const out = await runInIsolate(`
    await caches.default.put('${U}/m', new Response('x', { headers: { 'cache-control': 'max-age=60' } }));
    const post = new Request('${U}/m', { method: 'POST' });
    return {
      post: (await caches.default.match(post)) === undefined,
      ignore: await (await caches.default.match(post, { ignoreMethod: true })).text(),
      delPost: await caches.default.delete(post),
      delIgnore: await caches.default.delete(post, { ignoreMethod: true }),
      delAgain: await caches.default.delete('${U}/m'),
      after: (await caches.default.match('${U}/m')) === undefined,
    };
  `, withCache());
  assert.deepEqual(out, { post: true, ignore: 'x', delPost: false, delIgnore: true, delAgain: false, after: true });
});

test('Cache: put: refuses what Workers refuses, with its errors', async () => {
  assert.deepEqual(await thrown(`await caches.default.put(new Request('${U}', { method: 'POST' }), new Response('x'))`), { name: 'TypeError', message: 'Cannot cache response to non-GET request.' });
  assert.deepEqual(await thrown(`await caches.default.put('${U}', new Response('x', { status: 206 }))`), { name: 'TypeError', message: 'Cannot cache response to a range request (206 Partial Content).' });
  assert.deepEqual(await thrown(`await caches.default.put('${U}', new Response('x', { headers: { vary: 'Accept, *' } }))`), { name: 'TypeError', message: "Cannot cache response with 'Vary: *' header." });
  const used = await thrown(`const r = new Response('x'); await r.text(); await caches.default.put('${U}', r)`);
  assert.equal(used.name, 'TypeError');
  assert.match(used.message, /already been used/);
  assert.deepEqual(await thrown(`await caches.default.put('${U}', 'not a response')`), { name: 'TypeError', message: "Failed to execute 'put' on 'Cache': parameter 2 is not of type 'Response'." });
  assert.deepEqual(await thrown(`await caches.open('x'.repeat(1024))`), { name: 'TypeError', message: 'Cache name is too long.' });
  const relative = await thrown(`await caches.default.match('/relative')`);
  assert.equal(relative.name, 'TypeError');
  assert.match(relative.message, /Invalid URL/);
  assert.deepEqual(await thrown(`await caches.default.put('ftp://example.com/x', new Response('x'))`), { name: 'TypeError', message: 'Invalid URL. Cache API keys must be fully-qualified, valid URLs.' });
  for (const m of ['add', 'addAll', 'matchAll', 'keys']) {
    const e = await thrown(`await caches.default.${m}('${U}')`);
    assert.equal(e.name, 'NotSupportedError', m);
    assert.match(e.message, new RegExp(`^Failed to execute '${m}' on 'Cache'`));
  }
});

test('Cache: put: takes the body, so the response reads as used', async () => {
  const out = await runInIsolate(`
    const r = new Response('body', { headers: { 'cache-control': 'max-age=60' } });
    const p = caches.default.put('${U}/u', r);
    const used = r.bodyUsed;
    await p;
    return { used, stored: await (await caches.default.match('${U}/u')).text() };
  `, withCache());
  assert.deepEqual(out, { used: true, stored: 'body' });
});

test('Cache: put: a streamed body is stored whole', async () => {
  const out = await runInIsolate(`
    let n = 0;
    const body = new ReadableStream({ pull(c) { if (n === 5) return c.close(); c.enqueue(new TextEncoder().encode('part' + n++ + ';')); } });
    await caches.default.put('${U}/s', new Response(body, { headers: { 'cache-control': 'max-age=60' } }));
    return (await caches.default.match('${U}/s')).text();
  `, withCache());
  assert.equal(out, 'part0;part1;part2;part3;part4;');
});

test('Cache: put: Cache-Control, Expires and the status decide what is stored', async () => {
  const out = await runInIsolate(`
    const put = (path, init, body = 'x') => caches.default.put('${U}' + path, new Response(body, init));
    const has = async (path) => (await caches.default.match('${U}' + path)) !== undefined;
    await put('/no-store', { headers: { 'cache-control': 'no-store, max-age=60' } });
    await put('/private', { headers: { 'cache-control': 'private, max-age=60' } });
    await put('/no-cache', { headers: { 'cache-control': 'no-cache' } });
    await put('/max-age-0', { headers: { 'cache-control': 'max-age=0' } });
    await put('/expired', { headers: { expires: 'Thu, 01 Jan 1970 00:00:00 GMT' } });
    await put('/expires', { headers: { expires: new Date(Date.now() + 60000).toUTCString() } });
    await put('/default-200', {});
    await put('/default-404', { status: 404 });
    await put('/default-500', { status: 500 });
    await put('/304', { status: 304 }, null);
    await put('/cookie', { headers: { 'cache-control': 'max-age=60', 'set-cookie': 'a=1' } });
    await put('/cookie-private', { headers: { 'cache-control': 'max-age=60, private=Set-Cookie', 'set-cookie': 'a=1' } });
    const cp = await caches.default.match('${U}/cookie-private');
    const out = {};
    for (const p of ['/no-store', '/private', '/no-cache', '/max-age-0', '/expired', '/expires', '/default-200', '/default-404', '/default-500', '/304', '/cookie']) out[p] = await has(p);
    out.cookiePrivate = cp ? { setCookie: cp.headers.get('set-cookie'), body: await cp.text() } : null;
    return out;
  `, withCache());
  assert.deepEqual(out, {
    '/no-store': false, '/private': false, '/no-cache': false, '/max-age-0': false, '/expired': false, '/expires': true,
    '/default-200': true, '/default-404': true, '/default-500': false, '/304': false, '/cookie': false,
    cookiePrivate: { setCookie: null, body: 'x' },
  });
});

test('Cache: match: an entry expires after its max-age (s-maxage first)', async () => {
  let offset = 0;
  const cache = memoryCache({ clock: () => Date.now() + offset });
  const w = await startWorker(`export default { async fetch(req) {
    const url = new URL(req.url);
    if (url.pathname === '/put') {
      await caches.default.put('${U}/short', new Response('s', { headers: { 'cache-control': 'max-age=600, s-maxage=30' } }));
      await caches.default.put('${U}/long', new Response('l', { headers: { 'cache-control': 'max-age=600' } }));
    }
    const m = async (p) => { const r = await caches.default.match('${U}' + p); return r ? { body: await r.text(), age: r.headers.get('age') } : null; };
    return Response.json({ short: await m('/short'), long: await m('/long') });
  } }`, withCache(cache));
  try {
    assert.deepEqual(await (await w.fetch('/put')).json(), { short: { body: 's', age: '0' }, long: { body: 'l', age: '0' } });
    offset = 31_000;
    assert.deepEqual(await (await w.fetch('/')).json(), { short: null, long: { body: 'l', age: '31' } });
    offset = 601_000;
    assert.deepEqual(await (await w.fetch('/')).json(), { short: null, long: null });
  } finally {
    await w.close();
  }
});

test('Cache: match: Vary selects on the stored request headers', async () => {
  const out = await runInIsolate(`
    const req = (lang) => new Request('${U}/v', { headers: lang ? { 'accept-language': lang } : {} });
    await caches.default.put(req('fr'), new Response('bonjour', { headers: { 'cache-control': 'max-age=60', vary: 'Accept-Language' } }));
    const get = async (lang) => { const r = await caches.default.match(req(lang)); return r ? r.text() : null; };
    return [await get('fr'), await get('de'), await get(null)];
  `, withCache());
  assert.deepEqual(out, ['bonjour', null, null]);
});

test('Cache: match: conditional and range requests get 304, 206 and 416', async () => {
  const out = await runInIsolate(`
    await caches.default.put('${U}/c', new Response('0123456789', { headers: {
      'cache-control': 'max-age=60', etag: '"v1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT', 'content-type': 'text/plain',
    } }));
    const m = async (headers) => {
      const r = await caches.default.match(new Request('${U}/c', { headers }));
      return { status: r.status, range: r.headers.get('content-range'), length: r.headers.get('content-length'), etag: r.headers.get('etag'), body: await r.text() };
    };
    return {
      inm: await m({ 'if-none-match': 'W/"v1"' }),
      inmOther: (await m({ 'if-none-match': '"v2"' })).status,
      ims: (await m({ 'if-modified-since': 'Thu, 02 Jan 2025 00:00:00 GMT' })).status,
      imsOlder: (await m({ 'if-modified-since': 'Tue, 31 Dec 2024 00:00:00 GMT' })).status,
      range: await m({ range: 'bytes=2-5' }),
      suffix: (await m({ range: 'bytes=-3' })).body,
      open: (await m({ range: 'bytes=7-' })).body,
      bad: await m({ range: 'bytes=20-30' }),
    };
  `, withCache());
  assert.deepEqual(out, {
    inm: { status: 304, range: null, length: null, etag: '"v1"', body: '' },
    inmOther: 200,
    ims: 304,
    imsOlder: 200,
    range: { status: 206, range: 'bytes 2-5/10', length: '4', etag: '"v1"', body: '2345' },
    suffix: '789',
    open: '789',
    bad: { status: 416, range: 'bytes */10', length: null, etag: '"v1"', body: '' },
  });
});

test('Cache: put: a response larger than the cache holds is not stored, and put still resolves', async () => {
  const out = await runInIsolate(`
    await caches.default.put('${U}/big', new Response(new Uint8Array(300 * 1024), { headers: { 'cache-control': 'max-age=60' } }));
    await caches.default.put('${U}/small', new Response('ok', { headers: { 'cache-control': 'max-age=60' } }));
    return [(await caches.default.match('${U}/big')) === undefined, await (await caches.default.match('${U}/small')).text()];
  `, withCache(memoryCache({ maxMemoryBytes: 1024 * 1024, maxEntryBytes: 256 * 1024 })));
  assert.deepEqual(out, [true, 'ok']);
});

test('Cache: put: a worker cannot make the host hold more than its write budget at once', async () => {
  const out = await runInIsolate(`
    const body = () => {
      let n = 0;
      return new ReadableStream({ pull(c) { if (n++ === 20) return c.close(); c.enqueue(new Uint8Array(1024 * 1024)); } });
    };
    const put = (i) => caches.default.put('${U}/big' + i, new Response(body(), { headers: { 'cache-control': 'max-age=60' } }));
    await Promise.all([1, 2, 3, 4].map(put));
    const stored = [];
    for (const i of [1, 2, 3, 4]) if (await caches.default.match('${U}/big' + i)) stored.push(i);
    await put(5);
    return { stored: stored.length, later: (await caches.default.match('${U}/big5')) !== undefined };
  `, withCache(memoryCache({ maxMemoryBytes: 256 * 1024 * 1024, maxEntryBytes: 32 * 1024 * 1024 })));
  const o = out as { stored: number; later: boolean };
  assert.ok(o.stored >= 1 && o.stored <= 3, `${o.stored} of four 20 MiB bodies were stored at once under a 64 MiB budget`);
  assert.equal(o.later, true, 'the budget comes back once the writes are done');
});

test('Cache: calls count against the sub-request limit', async () => {
  const out = await thrown(`for (let i = 0; i < 10; i++) await caches.default.match('${U}/' + i)`, { ...withCache(), limits: { ...limits, subrequests: 5 } });
  assert.equal(out.name, 'Error');
  assert.match(out.message, /^Too many subrequests/);
});

test('Cache: without a cache backend, calls fail with a clear error', async () => {
  assert.deepEqual(await thrown(`await caches.default.match('${U}')`, { limits }), { name: 'Error', message: 'The Cache API is not available in this runtime: no cache is configured.' });
});

test('Cache ops: the host checks every argument a worker sends', async () => {
  const cache = memoryCache();
  const w = await startWorker(`export default { fetch() { return new Response('ok'); } }`, withCache(cache));
  try {
    const ctx = { worker: w.worker(), inv: new Invocation(50_000_000n, 50), opId: 1 };
    const head = (over: Record<string, unknown> = {}) => ({ status: 200, statusText: '', headers: [['cache-control', 'max-age=60']], body: { bytes: new Uint8Array([1]) }, url: '', redirected: false, ...over });
    const typeErr = (re: RegExp) => (err: any) => err.type === 'TypeError' && re.test(err.message);
    await assert.rejects(asyncOps.cache_match(ctx, 42, `${U}/`, 'GET', [], false), typeErr(/Cache name must be a string/));
    await assert.rejects(asyncOps.cache_match(ctx, 'x'.repeat(5000), `${U}/`, 'GET', [], false), typeErr(/Cache name is too long/));
    await assert.rejects(asyncOps.cache_match(ctx, null, 'file:///etc/passwd', 'GET', [], false), typeErr(/Invalid URL/));
    await assert.rejects(asyncOps.cache_match(ctx, null, `${U}/${'x'.repeat(20_000)}`, 'GET', [], false), typeErr(/Invalid URL/));
    await assert.rejects(asyncOps.cache_match(ctx, null, `${U}/`, 'GET', 'headers', false), typeErr(/list of at most 256 headers/));
    await assert.rejects(asyncOps.cache_match(ctx, null, `${U}/`, 'GET', Array.from({ length: 300 }, () => ['a', 'b']), false), typeErr(/at most 256/));
    await assert.rejects(asyncOps.cache_match(ctx, null, `${U}/`, 'GET', [['a', 1]], false), typeErr(/pairs of strings/));
    await assert.rejects(asyncOps.cache_match(ctx, null, `${U}/`, 'GET', [['a', 'x'.repeat(200_000)]], false), typeErr(/exceed/));
    await assert.rejects(asyncOps.cache_match(ctx, null, `${U}/`, { m: 1 }, [], false), typeErr(/method must be a string/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'POST', [], head()), typeErr(/non-GET/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], null), typeErr(/not of type 'Response'/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head({ status: 99 })), typeErr(/status 99/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head({ status: 206 })), typeErr(/206 Partial Content/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head({ headers: [['Vary', '*']] })), typeErr(/Vary: \*/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head({ statusText: 7 })), typeErr(/status text/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head({ body: { bytes: 'text' } })), typeErr(/bytes or a stream/));
    await assert.rejects(asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head({ body: { stream: 1.5 } })), typeErr(/bytes or a stream/));
    assert.equal(cache.store.stats().entries, 0);
    await asyncOps.cache_put(ctx, null, `${U}/`, 'GET', [], head());
    assert.ok(cache.store.stats().entries > 0);
  } finally {
    await w.close();
  }
});

test('Cache: nothing it hands over reaches the host', async () => {
  const out = await runInIsolate(`
    await caches.default.put('${U}/e', new Response('x', { headers: { 'cache-control': 'max-age=60' } }));
    const hit = await caches.default.match('${U}/e');
    const probes = [caches, caches.default, hit, hit.headers, hit.body, await caches.open('n')];
    return probes.map((o) => o.constructor.constructor('return [typeof process, typeof require, typeof Buffer].join()')());
  `, withCache());
  assert.deepEqual(out, Array(6).fill('undefined,undefined,undefined'));
});

test('Cache: the usual pattern: fetch from an origin, put a clone, answer later requests from the cache', async () => {
  let originHits = 0;
  const origin = createServer((req, res) => {
    originHits++;
    res.writeHead(200, { 'content-type': 'text/plain', 'cache-control': 'public, max-age=300', etag: '"o1"' });
    res.end(`origin body ${originHits}`.repeat(5000));
  });
  await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
  const originUrl = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/asset`;
  const w = await startWorker(`export default { async fetch(request, env, ctx) {
    const key = new Request('${originUrl}');
    let res = await caches.default.match(key);
    if (res) return new Response(res.body, { headers: { 'x-from': 'cache', 'x-status': res.headers.get('cf-cache-status') } });
    res = await fetch(key);
    ctx.waitUntil(caches.default.put(key, res.clone()));
    return new Response(res.body, { headers: { 'x-from': 'origin' } });
  } }`, withCache());
  try {
    const first = await w.fetch('/');
    const firstBody = await first.text();
    assert.equal(first.headers.get('x-from'), 'origin');
    await w.settled(1);
    const second = await w.fetch('/');
    assert.equal(second.headers.get('x-from'), 'cache');
    assert.equal(second.headers.get('x-status'), 'HIT');
    assert.equal(await second.text(), firstBody);
    assert.equal(firstBody.length, 'origin body 1'.length * 5000);
    assert.equal(originHits, 1);
  } finally {
    await w.close();
    origin.closeAllConnections();
    await new Promise<void>((r) => origin.close(() => r()));
  }
});
