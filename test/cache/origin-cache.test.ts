// The HTTP cache in front of a zone's origin, end to end: requests no route claims go
// through a real edge to a real origin on 127.0.0.1 that counts its hits; each test
// checks one caching rule by what the client sees and how often the origin was asked.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingHttpHeaders } from 'node:http';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startCacheSetup, type CacheSetup } from './helpers.ts';

const status = (r: { headers: Record<string, unknown> }) => r.headers['cf-cache-status'];

describe('HTTP cache: in front of the origin', () => {
  let s: CacheSetup;
  // The cache's clock runs ahead of the wall clock when a test moves it.
  let offset = 0;

  before(async () => {
    s = await startCacheSetup({ cache: { clock: () => Date.now() + offset } });
  });
  after(async () => { await s?.close(); });

  test('HTTP cache: max-age: MISS, then HIT from the cache with its Age, then EXPIRED after max-age', async () => {
    s.origin.on('/fresh', (_req, n) => ({ headers: { 'cache-control': 'public, max-age=60', 'content-type': 'text/plain' }, body: `v${n}` }));
    const first = await s.get('/fresh');
    assert.equal(first.status, 200);
    assert.equal(status(first), 'MISS');
    assert.equal(first.text, 'v1');
    offset += 5_000;
    const second = await s.get('/fresh');
    assert.equal(status(second), 'HIT');
    assert.equal(second.text, 'v1');
    assert.equal(second.headers.age, '5');
    assert.equal(second.headers['content-type'], 'text/plain');
    assert.equal(s.origin.hits('/fresh'), 1);
    offset += 60_000;
    const third = await s.get('/fresh');
    assert.equal(status(third), 'EXPIRED');
    assert.equal(third.text, 'v2');
    assert.equal(s.origin.hits('/fresh'), 2);
  });

  test('HTTP cache: s-maxage wins over max-age; Expires counts from Date; the origin\'s Age is subtracted', async () => {
    s.origin.on('/smax', () => ({ headers: { 'cache-control': 'max-age=1000, s-maxage=10' } }));
    s.origin.on('/expires', () => ({ headers: { date: new Date(Date.now() + offset).toUTCString(), expires: new Date(Date.now() + offset + 30_000).toUTCString() } }));
    s.origin.on('/aged', () => ({ headers: { 'cache-control': 'max-age=100', age: '95' } }));
    for (const p of ['/smax', '/expires', '/aged']) {
      assert.equal(status(await s.get(p)), 'MISS', p);
      assert.equal(status(await s.get(p)), 'HIT', p);
    }
    assert.equal((await s.get('/aged')).headers.age, '95');
    offset += 11_000;
    assert.equal(status(await s.get('/smax')), 'EXPIRED');
    assert.equal(status(await s.get('/aged')), 'EXPIRED');
    assert.equal(status(await s.get('/expires')), 'HIT');
    offset += 20_000;
    assert.equal(status(await s.get('/expires')), 'EXPIRED');
  });

  test('HTTP cache: no-store, private, Set-Cookie and Vary: * are never stored (BYPASS); no freshness at all is DYNAMIC', async () => {
    s.origin.on('/no-store', () => ({ headers: { 'cache-control': 'no-store, max-age=60' } }));
    s.origin.on('/private', () => ({ headers: { 'cache-control': 'private, max-age=60' } }));
    s.origin.on('/cookie', () => ({ headers: { 'cache-control': 'max-age=60', 'set-cookie': 'session=1' } }));
    s.origin.on('/vary-star', () => ({ headers: { 'cache-control': 'max-age=60', vary: '*' } }));
    s.origin.on('/plain', () => ({ headers: { 'content-type': 'text/html' } }));
    s.origin.on('/bad-cc', () => ({ headers: { 'cache-control': 'max-age=abc, s-maxage=-1' } }));
    for (const [p, want] of [['/no-store', 'BYPASS'], ['/private', 'BYPASS'], ['/cookie', 'BYPASS'], ['/vary-star', 'BYPASS'], ['/plain', 'DYNAMIC'], ['/bad-cc', 'DYNAMIC']]) {
      const a = await s.get(p!);
      const b = await s.get(p!);
      assert.deepEqual([a.status, status(a), status(b)], [200, want, want], p);
      assert.equal(s.origin.hits(p!), 2, p);
    }
    assert.equal((await s.get('/cookie')).headers['set-cookie']?.[0], 'session=1', 'the cookie still reaches the client');
  });

  test('HTTP cache: origin headers that do not parse are read the safe way', async () => {
    s.origin.on('/exp0', () => ({ headers: { expires: '0' } }));
    s.origin.on('/neg-age', () => ({ headers: { 'cache-control': 'max-age=60', age: '-5' } }));
    s.origin.on('/huge', () => ({ headers: { 'cache-control': 'max-age=99999999999999999999' } }));
    s.origin.on('/long-tag', () => ({ headers: { 'cache-control': 'max-age=60', 'cache-tag': `ok, ${'t'.repeat(2000)}` } }));
    s.origin.on('/dup-cc', () => ({ headers: { 'Cache-Control': ['max-age=60', 'no-store'] } }));
    s.origin.on('/quoted', () => ({ headers: { 'cache-control': 'private="x-user, y", max-age=60', 'x-user': 'alice', 'x-other': 'kept' } }));
    const twice = async (p: string) => [status(await s.get(p)), status(await s.get(p))];
    assert.deepEqual(await twice('/exp0'), ['BYPASS', 'BYPASS'], 'an Expires that is not a date means already expired');
    assert.deepEqual(await twice('/neg-age'), ['MISS', 'HIT'], 'an Age that is not a number is ignored');
    assert.deepEqual(await twice('/huge'), ['MISS', 'HIT'], 'an enormous max-age is capped, not an error');
    assert.deepEqual(await twice('/long-tag'), ['MISS', 'HIT'], 'an over-long tag is dropped, the response kept');
    assert.deepEqual(await twice('/dup-cc'), ['BYPASS', 'BYPASS'], 'repeated Cache-Control lines are read together');
    assert.deepEqual(await twice('/quoted'), ['MISS', 'HIT'], 'private with field names (quoted, with a comma) only hides those fields');
    const hit = await s.get('/quoted');
    assert.deepEqual([hit.headers['x-user'], hit.headers['x-other']], [undefined, 'kept'], 'a field private names is not stored');
  });

  test('HTTP cache: a cookie named in private=Set-Cookie is dropped and the rest is stored', async () => {
    s.origin.on('/private-cookie', () => ({ headers: { 'cache-control': 'max-age=60, private="Set-Cookie"', 'set-cookie': 'a=1' } }));
    const a = await s.get('/private-cookie');
    const b = await s.get('/private-cookie');
    assert.deepEqual([status(a), status(b), b.headers['set-cookie']], ['MISS', 'HIT', undefined]);
  });

  test('HTTP cache: a request with Authorization is not answered from a shared cache unless the response says public', async () => {
    s.origin.on('/auth', () => ({ headers: { 'cache-control': 'max-age=60' } }));
    s.origin.on('/auth-public', () => ({ headers: { 'cache-control': 'public, max-age=60' } }));
    const auth = { authorization: 'Bearer x' };
    assert.equal(status(await s.get('/auth', auth)), 'BYPASS');
    assert.equal(status(await s.get('/auth', auth)), 'BYPASS');
    assert.equal(status(await s.get('/auth-public', auth)), 'MISS');
    assert.equal(status(await s.get('/auth-public', auth)), 'HIT');
  });

  test('HTTP cache: ETag: a stale entry is revalidated with If-None-Match, a 304 serves the stored body (REVALIDATED)', async () => {
    s.origin.on('/etag', (req, n) => (req.headers['if-none-match'] === '"e1"'
      ? { status: 304, headers: { etag: '"e1"', 'cache-control': 'max-age=10', 'x-seen': String(n) } }
      : { headers: { etag: '"e1"', 'cache-control': 'max-age=10' }, body: 'etag body' }));
    assert.equal(status(await s.get('/etag')), 'MISS');
    offset += 11_000;
    const r = await s.get('/etag');
    assert.deepEqual([r.status, status(r), r.text, r.headers['x-seen']], [200, 'REVALIDATED', 'etag body', '2']);
    assert.equal(s.origin.last('/etag')?.['if-none-match'], '"e1"');
    assert.equal(status(await s.get('/etag')), 'HIT', 'the 304 made it fresh again');
    assert.equal(s.origin.hits('/etag'), 2);
  });

  test('HTTP cache: Last-Modified: revalidation sends If-Modified-Since; no-cache revalidates before every use', async () => {
    const lm = 'Wed, 01 Jan 2025 00:00:00 GMT';
    s.origin.on('/lm', (req) => (req.headers['if-modified-since'] === lm ? { status: 304, headers: {} } : { headers: { 'last-modified': lm, 'cache-control': 'no-cache' }, body: 'lm body' }));
    assert.equal(status(await s.get('/lm')), 'MISS');
    for (let i = 0; i < 2; i++) {
      const r = await s.get('/lm');
      assert.deepEqual([status(r), r.text], ['REVALIDATED', 'lm body']);
    }
    assert.equal(s.origin.hits('/lm'), 3);
    assert.equal(s.origin.last('/lm')?.['if-modified-since'], lm);
  });

  test('HTTP cache: If-None-Match and If-Modified-Since from the client are answered 304 at the edge', async () => {
    s.origin.on('/cond', () => ({ headers: { etag: 'W/"c1"', 'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT', 'cache-control': 'max-age=60' }, body: 'conditional' }));
    const miss = await s.get('/cond', { 'if-none-match': '"c1"' });
    assert.equal(miss.status, 304, 'a miss fetches the full object and answers the condition itself');
    assert.equal(s.origin.last('/cond')?.['if-none-match'], undefined);
    const inm = await s.get('/cond', { 'if-none-match': '"c1"' });
    const ims = await s.get('/cond', { 'if-modified-since': 'Thu, 02 Jan 2025 00:00:00 GMT' });
    const other = await s.get('/cond', { 'if-none-match': '"c2"' });
    assert.deepEqual([inm.status, status(inm), inm.text, ims.status, other.status, other.text], [304, 'HIT', '', 304, 200, 'conditional']);
    assert.equal(s.origin.hits('/cond'), 1);
  });

  test('HTTP cache: Range requests are served from the cached full object', async () => {
    s.origin.on('/range', () => ({ headers: { 'cache-control': 'max-age=60' }, body: '0123456789' }));
    const first = await s.get('/range', { range: 'bytes=2-4' });
    assert.deepEqual([first.status, first.text, first.headers['content-range'], status(first)], [206, '234', 'bytes 2-4/10', 'MISS']);
    assert.equal(s.origin.last('/range')?.range, undefined, 'the origin was asked for the whole object');
    const second = await s.get('/range', { range: 'bytes=-3' });
    assert.deepEqual([second.status, second.text, status(second)], [206, '789', 'HIT']);
    const bad = await s.get('/range', { range: 'bytes=50-60' });
    assert.deepEqual([bad.status, bad.headers['content-range']], [416, 'bytes */10']);
    assert.equal((await s.get('/range')).text, '0123456789');
    assert.equal(s.origin.hits('/range'), 1);
  });

  test('HTTP cache: Vary: Accept-Encoding keeps one variant per coding the edge would pick', async () => {
    s.origin.on('/vary', (req) => ({ headers: { 'cache-control': 'max-age=60', vary: 'Accept-Encoding' }, body: `for ${req.headers['accept-encoding'] ?? 'none'}` }));
    const gz = { 'accept-encoding': 'gzip' };
    assert.deepEqual([status(await s.get('/vary', gz)), status(await s.get('/vary'))], ['MISS', 'MISS']);
    const a = await s.get('/vary', gz);
    const b = await s.get('/vary');
    assert.deepEqual([status(a), a.text, status(b), b.text], ['HIT', 'for gzip', 'HIT', 'for none']);
    const same = await s.get('/vary', { 'accept-encoding': 'deflate, gzip;q=0.8' });
    assert.deepEqual([status(same), same.text], ['HIT', 'for gzip'], 'Accept-Encoding values that pick the same coding share a variant');
    assert.equal(s.origin.hits('/vary'), 2);
  });

  test('HTTP cache: what is not stored still honours the client\'s Range (the origin answers it) and If-None-Match (304)', async () => {
    s.origin.on('/dyn', (req) => {
      const m = /bytes=(\d+)-(\d+)/.exec(String(req.headers.range ?? ''));
      if (m) return { status: 206, headers: { 'content-range': `bytes ${m[1]}-${m[2]}/10` }, body: '0123456789'.slice(Number(m[1]), Number(m[2]) + 1) };
      return { headers: { etag: '"d1"', 'content-type': 'text/plain' }, body: '0123456789' };
    });
    const range = await s.get('/dyn', { range: 'bytes=3-5' });
    assert.deepEqual([range.status, range.text, range.headers['content-range'], status(range)], [206, '345', 'bytes 3-5/10', 'DYNAMIC']);
    const cond = await s.get('/dyn', { 'if-none-match': '"d1"' });
    assert.deepEqual([cond.status, cond.text, cond.headers.etag, status(cond)], [304, '', '"d1"', 'DYNAMIC']);
    const other = await s.get('/dyn', { 'if-none-match': '"d0"' });
    assert.deepEqual([other.status, other.text], [200, '0123456789']);
  });

  test('HTTP cache: stale-while-revalidate serves the stale copy (UPDATING) and refreshes it in the background', async () => {
    s.origin.on('/swr', (_req, n) => ({ headers: { 'cache-control': 'max-age=10, stale-while-revalidate=60' }, body: `swr ${n}` }));
    assert.equal((await s.get('/swr')).text, 'swr 1');
    offset += 15_000;
    const stale = await s.get('/swr');
    assert.deepEqual([status(stale), stale.text], ['UPDATING', 'swr 1']);
    for (let i = 0; i < 100 && s.origin.hits('/swr') < 2; i++) await new Promise((r) => setTimeout(r, 50));
    let fresh = await s.get('/swr');
    for (let i = 0; i < 100 && fresh.text !== 'swr 2'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      fresh = await s.get('/swr');
    }
    assert.deepEqual([status(fresh), fresh.text], ['HIT', 'swr 2']);
    offset += 200_000;
    assert.equal(status(await s.get('/swr')), 'EXPIRED', 'past the window the client waits for the origin');
  });

  test('HTTP cache: stale-if-error serves the stale copy (STALE) when the origin fails; must-revalidate forbids it', async () => {
    let broken = false;
    s.origin.on('/sie', (_req, _n, res) => {
      if (broken) { res.socket?.destroy(); return null; }
      return { headers: { 'cache-control': 'max-age=10, stale-if-error=600' }, body: 'kept' };
    });
    s.origin.on('/sie-5xx', (_req, n) => (n > 1 ? { status: 503, body: 'down' } : { headers: { 'cache-control': 'max-age=10, stale-if-error=600' }, body: 'kept 5xx' }));
    s.origin.on('/must', (_req, n) => (n > 1 ? { status: 500, body: 'broken' } : { headers: { 'cache-control': 'max-age=10, stale-if-error=600, must-revalidate' }, body: 'strict' }));
    for (const p of ['/sie', '/sie-5xx', '/must']) assert.equal(status(await s.get(p)), 'MISS');
    offset += 20_000;
    broken = true;
    const a = await s.get('/sie');
    const b = await s.get('/sie-5xx');
    const c = await s.get('/must');
    assert.deepEqual([a.status, status(a), a.text], [200, 'STALE', 'kept']);
    assert.deepEqual([b.status, status(b), b.text], [200, 'STALE', 'kept 5xx']);
    assert.deepEqual([c.status, c.text], [500, 'broken']);
  });

  test('HTTP cache: an origin that cannot be reached and has nothing stale is a 502 naming the zone', async () => {
    s.origin.on('/gone', (_req, _n, res) => { res.socket?.destroy(); return null; });
    const r = await s.get('/gone');
    assert.equal(r.status, 502);
    assert.match(r.text, /origin of zone "cache\.test"/);
  });

  test('HTTP cache: concurrent misses for one key make one origin request', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => { release = r; });
    s.origin.on('/coalesce', async () => { await held; return { headers: { 'cache-control': 'max-age=60' }, body: 'once' }; });
    const all = Array.from({ length: 20 }, () => s.get('/coalesce'));
    for (let i = 0; i < 200 && s.origin.hits('/coalesce') === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 200));
    release();
    const replies = await Promise.all(all);
    assert.deepEqual(new Set(replies.map((r) => `${r.status} ${r.text}`)), new Set(['200 once']));
    assert.equal(s.origin.hits('/coalesce'), 1);
  });

  test('HTTP cache: HEAD is answered from the cache; POST goes to the origin (DYNAMIC) and invalidates the stored GET', async () => {
    s.origin.on('/item', (req, n) => ({ headers: { 'cache-control': 'max-age=60' }, body: `item ${req.method} ${n}` }));
    assert.equal(status(await s.get('/item')), 'MISS');
    const head = await s.get('/item', {}, 'HEAD');
    assert.deepEqual([head.status, status(head), head.text, head.headers['content-length']], [200, 'HIT', '', String('item GET 1'.length)]);
    const post = await s.get('/item', {}, 'POST');
    assert.deepEqual([status(post), post.text], ['DYNAMIC', 'item POST 2']);
    const after = await s.get('/item');
    assert.deepEqual([status(after), after.text], ['MISS', 'item GET 3']);
  });

  test('HTTP cache: a compressible cached body goes br or gzip to clients that accept it, compressed once per entry', async () => {
    const page = '<p>cached page</p>'.repeat(300);
    s.origin.on('/page', () => ({ headers: { 'cache-control': 'max-age=60', 'content-type': 'text/html', etag: '"p1"' }, body: page }));
    const raw = (headers: Record<string, string>) => new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port: s.edge.port, path: '/page', headers: { host: 'cache.test', ...headers } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      });
      req.on('error', reject);
      req.end();
    });
    const br = await raw({ 'accept-encoding': 'gzip, br' });
    assert.deepEqual([br.headers['content-encoding'], br.headers['cf-cache-status'], br.headers.vary, br.headers.etag], ['br', 'MISS', 'Accept-Encoding', 'W/"p1"']);
    assert.equal(brotliDecompressSync(br.body).toString(), page);
    assert.equal(Number(br.headers['content-length']), br.body.length);
    const again = await raw({ 'accept-encoding': 'br' });
    assert.deepEqual([again.headers['cf-cache-status'], again.body.equals(br.body)], ['HIT', true]);
    const gz = await raw({ 'accept-encoding': 'gzip' });
    assert.equal(gunzipSync(gz.body).toString(), page);
    const plain = await raw({});
    assert.deepEqual([plain.headers['content-encoding'], plain.headers.vary, plain.body.toString() === page], [undefined, 'Accept-Encoding', true]);
    assert.equal(s.origin.hits('/page'), 1);
  });

  test('HTTP cache: a response that was on its way while a purge ran is served but not stored', async () => {
    let release: () => void = () => {};
    const held = new Promise<void>((r) => { release = r; });
    s.origin.on('/racing', async (_req, n) => { if (n === 1) await held; return { headers: { 'cache-control': 'max-age=60' }, body: `racing ${n}` }; });
    const first = s.get('/racing');
    for (let i = 0; i < 200 && s.origin.hits('/racing') === 0; i++) await new Promise((r) => setTimeout(r, 10));
    const accountId = (await s.h.call('GET', '/api/v1/whoami')).body.account.id;
    await s.edge.purgeCache({ accountId, zoneId: s.zoneId, urls: ['http://cache.test/racing'] });
    release();
    assert.equal((await first).text, 'racing 1');
    const next = await s.get('/racing');
    assert.deepEqual([status(next), next.text], ['MISS', 'racing 2']);
  });

  test('HTTP cache: Cache-Tag is kept for purges and not sent to clients', async () => {
    s.origin.on('/tagged', () => ({ headers: { 'cache-control': 'max-age=60', 'cache-tag': 'a,b' } }));
    const r = await s.get('/tagged');
    assert.equal(r.headers['cache-tag'], undefined);
    assert.equal(await s.edge.purgeCache({ accountId: 'nobody', zoneId: s.zoneId, tags: ['a'] }), 0, "another account's purge does nothing");
    assert.equal(await s.edge.purgeCache({ accountId: (await s.h.call('GET', '/api/v1/whoami')).body.account.id, zoneId: s.zoneId, tags: ['B'] }), 1);
    assert.equal(status(await s.get('/tagged')), 'MISS');
  });
});

test('HTTP cache: the disk tier keeps entries across an edge restart', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cache-restart-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const s = await startCacheSetup({ cache: { dir } });
  try {
    s.origin.on('/kept', () => ({ headers: { 'cache-control': 'max-age=600' }, body: 'x'.repeat(100_000) }));
    assert.equal(status(await s.get('/kept')), 'MISS');
    await s.edge.close();
    const { startEdge } = await import('../../src/edge/server.ts');
    const { controlSource } = await import('../../src/edge/control-source.ts');
    const again = await startEdge({ source: controlSource(s.h.store, s.h.keyring), location: 'TST', port: 0, log: () => {}, cache: { dir } });
    try {
      const { edgeRequest } = await import('../edge/helpers.ts');
      const r = await edgeRequest(again, 'cache.test', '/kept');
      assert.deepEqual([status(r), r.text.length], ['HIT', 100_000]);
      assert.equal(s.origin.hits('/kept'), 1);
    } finally {
      await again.close();
    }
  } finally {
    await s.close();
  }
});

test('HTTP cache: a cache folder that cannot be used stops the edge from starting, saying which folder and why', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'atoll-cache-bad-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'a-file');
  writeFileSync(file, 'not a folder');
  const { startEdge } = await import('../../src/edge/server.ts');
  const source = { routing: async () => ({ zones: [], routes: [] }), deployments: async () => [], definition: async () => { throw new Error('none'); }, watch: () => () => {} };
  await assert.rejects(startEdge({ source, location: 'TST', port: 0, log: () => {}, cache: { dir: join(file, 'cache') } }),
    (err: Error & { code?: string }) => err.code === 'cache_dir' && /cannot use .*a-file\/cache for the cache: ENOTDIR/.test(err.message));
  await assert.rejects(startEdge({ source, location: 'TST', port: 0, log: () => {}, cache: { maxMemoryBytes: -1 } }), /maxMemoryBytes must be a positive integer/);
});
