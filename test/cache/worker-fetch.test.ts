// A worker's fetch() to its own zone goes to the origin through the location's cache,
// with the cf options Workers documents; the Cache API sits on the same store, one
// namespace per account.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { secondAccount, upload } from '../control/harness.ts';
import { edgeRequest } from '../edge/helpers.ts';
import { HOST, startCacheSetup, type CacheSetup } from './helpers.ts';

// /w/<path> fetches http://cache.test/o/<path> with the fetch init in the x-init header.
const WORKER = `export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === '/w-cache/put') {
      await caches.default.put('https://shared.example/k', new Response('secret of ' + url.searchParams.get('who'), { headers: { 'cache-control': 'max-age=600' } }));
      return new Response('put');
    }
    if (url.pathname === '/w-cache/match') {
      const hit = await caches.default.match('https://shared.example/k');
      return new Response(hit ? await hit.text() : 'none');
    }
    const init = JSON.parse(request.headers.get('x-init') ?? '{}');
    try {
      const res = await fetch('http://${HOST}/o/' + url.pathname.slice(3) + url.search, init);
      return new Response(await res.text(), { status: res.status, headers: { 'x-cache': res.headers.get('cf-cache-status') ?? 'none' } });
    } catch (e) {
      return new Response(e.name + ': ' + e.message, { status: 500 });
    }
  },
};`;

describe('HTTP cache: a worker\'s fetch to its own zone', () => {
  let s: CacheSetup;

  before(async () => {
    s = await startCacheSetup();
    await upload(s.h, 'fetcher', { source: WORKER, metadata: { limits: { cpu_ms: 1000 } } });
    for (const pattern of [`${HOST}/w/*`, `${HOST}/w-cache/*`]) {
      const r = await s.h.call('POST', '/api/v1/routes', { json: { pattern, worker: 'fetcher' } });
      assert.equal(r.status, 201, r.text);
    }
  });
  after(async () => { await s?.close(); });

  const wf = (path: string, init: unknown = {}) => s.get(`/w/${path}`, { 'x-init': JSON.stringify(init) });

  test('Worker fetch: goes through the cache, and shares its entries with the edge\'s own origin proxy', async () => {
    s.origin.on('/o/shared', () => ({ headers: { 'cache-control': 'max-age=60' }, body: 'shared body' }));
    const first = await wf('shared');
    assert.deepEqual([first.status, first.headers['x-cache'], first.text], [200, 'MISS', 'shared body']);
    const direct = await s.get('/o/shared');
    assert.deepEqual([direct.headers['cf-cache-status'], direct.text], ['HIT', 'shared body']);
    assert.equal((await wf('shared')).headers['x-cache'], 'HIT');
    assert.equal(s.origin.hits('/o/shared'), 1);
  });

  test('Worker fetch: cf.cacheTtl stores a response whatever its Cache-Control says; cacheEverything uses the default TTL', async () => {
    s.origin.on('/o/ttl', () => ({ headers: { 'cache-control': 'no-cache' } }));
    s.origin.on('/o/every', () => ({ headers: { 'content-type': 'text/html' } }));
    assert.equal((await wf('ttl', { cf: { cacheTtl: 60 } })).headers['x-cache'], 'MISS');
    assert.equal((await wf('ttl', { cf: { cacheTtl: 60 } })).headers['x-cache'], 'HIT');
    assert.equal((await wf('every')).headers['x-cache'], 'DYNAMIC');
    assert.equal((await wf('every', { cf: { cacheEverything: true } })).headers['x-cache'], 'MISS');
    assert.equal((await wf('every', { cf: { cacheEverything: true } })).headers['x-cache'], 'HIT');
    assert.deepEqual([s.origin.hits('/o/ttl'), s.origin.hits('/o/every')], [1, 2]);
  });

  test('Worker fetch: cf.cacheTtlByStatus picks the TTL by status; a negative one keeps the response out', async () => {
    s.origin.on('/o/by-status', (req) => (req.url?.includes('missing') ? { status: 404, body: 'nope' } : { body: 'yes' }));
    const opts = { cf: { cacheTtlByStatus: { '200-299': 60, 404: -1 } } };
    assert.equal((await wf('by-status', opts)).headers['x-cache'], 'MISS');
    assert.equal((await wf('by-status', opts)).headers['x-cache'], 'HIT');
    const a = await wf('by-status?missing', opts);
    const b = await wf('by-status?missing', opts);
    assert.deepEqual([a.status, a.headers['x-cache'], b.headers['x-cache']], [404, 'BYPASS', 'BYPASS']);
  });

  test('Worker fetch: cf.cacheKey makes different URLs share one entry; cache: "no-store" bypasses the cache', async () => {
    s.origin.on('/o/k1', () => ({ headers: { 'cache-control': 'max-age=60' }, body: 'from k1' }));
    s.origin.on('/o/k2', () => ({ headers: { 'cache-control': 'max-age=60' }, body: 'from k2' }));
    const key = { cf: { cacheKey: 'https://cache.test/custom-key' } };
    assert.equal((await wf('k1', key)).text, 'from k1');
    const second = await wf('k2', key);
    assert.deepEqual([second.headers['x-cache'], second.text, s.origin.hits('/o/k2')], ['HIT', 'from k1', 0]);
    const nostore = await wf('k1', { cache: 'no-store' });
    assert.deepEqual([nostore.headers['x-cache'], s.origin.hits('/o/k1')], ['BYPASS', 2]);
  });

  test('Worker fetch: cf.cacheTags tag the stored response for purges', async () => {
    s.origin.on('/o/tags', (_r, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `tags ${n}` }));
    const opts = { cf: { cacheTags: ['Catalog'] } };
    assert.equal((await wf('tags', opts)).headers['x-cache'], 'MISS');
    const accountId = (await s.h.call('GET', '/api/v1/whoami')).body.account.id;
    assert.equal(await s.edge.purgeCache({ accountId, zoneId: s.zoneId, tags: ['catalog'] }), 1);
    const again = await wf('tags', opts);
    assert.deepEqual([again.headers['x-cache'], again.text], ['MISS', 'tags 2']);
  });

  test('Worker fetch: cf options of the wrong type are a TypeError naming the option', async () => {
    const cases: [unknown, RegExp][] = [
      [{ cf: { cacheTtl: 'long' } }, /cf\.cacheTtl must be a whole number of seconds/],
      [{ cf: { cacheTtl: 1.5 } }, /cf\.cacheTtl/],
      [{ cf: { cacheEverything: 'yes' } }, /cf\.cacheEverything must be true or false/],
      [{ cf: { cacheKey: '' } }, /cf\.cacheKey must be a non-empty string/],
      [{ cf: { cacheTags: 'a' } }, /cf\.cacheTags must be an array/],
      [{ cf: { cacheTtlByStatus: { '2xx': 5 } } }, /"2xx" is not a status code or a range/],
      [{ cf: { cacheTtlByStatus: { '200-299': 'a' } } }, /cacheTtlByStatus\["200-299"\] must be a whole number/],
      [{ cf: { cacheTtlByStatus: [] } }, /cf\.cacheTtlByStatus must be an object/],
    ];
    for (const [init, message] of cases) {
      const r = await wf('bad', init);
      assert.equal(r.status, 500, JSON.stringify(init));
      assert.match(r.text, /^TypeError: fetch: /);
      assert.match(r.text, message);
    }
    assert.equal(s.origin.hits('/o/bad'), 0);
  });

  test('Cache API: each account sees only its own entries in the shared store', async () => {
    const other = await secondAccount(s.h, 'cache-other');
    await upload(s.h, 'fetcher', { token: other.token, source: WORKER, metadata: { limits: { cpu_ms: 1000 } } });
    assert.equal((await s.h.call('POST', '/api/v1/zones', { token: other.token, json: { hostname: 'other.test', origin: s.origin.url } })).status, 201);
    assert.equal((await s.h.call('POST', '/api/v1/routes', { token: other.token, json: { pattern: 'other.test/w-cache/*', worker: 'fetcher' } })).status, 201);
    assert.equal((await s.get('/w-cache/put?who=a')).text, 'put');
    assert.equal((await s.get('/w-cache/match')).text, 'secret of a');
    assert.equal((await edgeRequest(s.edge, 'other.test', '/w-cache/match')).text, 'none');
    assert.equal((await edgeRequest(s.edge, 'other.test', '/w-cache/put?who=b')).text, 'put');
    assert.equal((await s.get('/w-cache/match')).text, 'secret of a');
    assert.equal((await edgeRequest(s.edge, 'other.test', '/w-cache/match')).text, 'secret of b');
  });
});
