// examples/kv-site: a website served from KV with no origin. KV is seeded with the
// example's public/ folder, as its README does with `atoll kv key put`.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EXAMPLES, runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

const PUBLIC = join(EXAMPLES, 'kv-site', 'public');
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');

/** public/ as KV entries: "/docs/index.html" -> bytes. */
function site(): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const e of readdirSync(PUBLIC, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) {
      const path = join(e.parentPath, e.name);
      out[`/${relative(PUBLIC, path)}`] = readFileSync(path);
    }
  }
  return out;
}

describe('examples/kv-site', () => {
  let origin: FakeService;
  let ex: RunningExample;
  before(async () => {
    origin = await startFake();
    ex = await runExample('kv-site', {
      origin: origin.url,
      kv: {
        SITE: { ...site(), '/img/dot.png': PNG },
        FLAGS: { flags: JSON.stringify({ newBooking: true, maintenance: false }) },
      },
    });
  });
  after(async () => {
    await ex?.close();
    await origin?.close();
  });

  it('GET of each file: its bytes, the Content-Type of its extension, a strong ETag and caching by kind', async () => {
    const cases: [string, string, string, string][] = [
      ['/', 'index.html', 'text/html; charset=utf-8', 'public, no-cache'],
      ['/docs/', 'docs/index.html', 'text/html; charset=utf-8', 'public, no-cache'],
      ['/docs', 'docs/index.html', 'text/html; charset=utf-8', 'public, no-cache'],
      ['/css/site.css', 'css/site.css', 'text/css; charset=utf-8', 'public, max-age=3600'],
      ['/js/flags.js', 'js/flags.js', 'text/javascript; charset=utf-8', 'public, max-age=3600'],
      ['/logo.svg', 'logo.svg', 'image/svg+xml', 'public, max-age=3600'],
    ];
    for (const [path, file, type, cache] of cases) {
      const res = await ex.fetch(path);
      assert.equal(res.status, 200, path);
      assert.equal(res.headers.get('content-type'), type, path);
      assert.equal(res.headers.get('cache-control'), cache, path);
      assert.match(res.headers.get('etag') ?? '', /^"[0-9a-f]{32}"$/, `${path}: a strong ETag`);
      const body = Buffer.from(await res.arrayBuffer());
      assert.ok(body.equals(readFileSync(join(PUBLIC, file))), `${path}: the bytes of public/${file}`);
      assert.equal(res.headers.get('content-length'), String(body.length));
    }
    const png = await ex.fetch('/img/dot.png');
    assert.equal(png.headers.get('content-type'), 'image/png');
    assert.ok(Buffer.from(await png.arrayBuffer()).equals(PNG), 'binary files come back byte for byte');
  });

  it('GET with If-None-Match: 304 with the ETag and no body for the current one, 200 for an old one', async () => {
    const first = await ex.fetch('/css/site.css');
    const etag = first.headers.get('etag')!;
    await first.arrayBuffer();
    for (const inm of [etag, `W/${etag}`, `"old", ${etag}`, '*']) {
      const res = await ex.fetch('/css/site.css', { headers: { 'if-none-match': inm } });
      assert.equal(res.status, 304, inm);
      assert.equal(res.headers.get('etag'), etag);
      assert.equal(await res.text(), '');
    }
    const stale = await ex.fetch('/css/site.css', { headers: { 'if-none-match': '"0123456789abcdef0123456789abcdef"' } });
    assert.equal(stale.status, 200);
    assert.equal(await stale.text(), readFileSync(join(PUBLIC, 'css/site.css'), 'utf8'));
    // Different files have different tags.
    const other = await ex.fetch('/', { headers: { 'if-none-match': etag } });
    assert.equal(other.status, 200);
    await other.arrayBuffer();
  });

  it('GET of a path with no file: the site\'s 404 page with status 404', async () => {
    for (const path of ['/nope', '/docs/missing.html', '/a/b/c/']) {
      const res = await ex.fetch(path);
      assert.equal(res.status, 404, path);
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), readFileSync(join(PUBLIC, '404.html'), 'utf8'));
    }
  });

  it('GET /api/flags: the flags from KV, never cached', async () => {
    const res = await ex.fetch('/api/flags');
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.deepEqual(await res.json(), { newBooking: true, maintenance: false });
  });

  it('HEAD: headers without a body; POST: 405; a broken percent-encoding: 400', async () => {
    const head = await ex.fetch('/', { method: 'HEAD' });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(await head.text(), '');
    const post = await ex.fetch('/', { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await ex.fetch('/%E0%A4%A')).status, 400);
  });

  it('no request reached the origin', () => {
    assert.deepEqual(origin.requests, []);
  });
});

describe('examples/kv-site with the maintenance flag on', () => {
  it('GET of any page: 503 with the maintenance page and Retry-After; /api/flags still answers', async () => {
    const ex = await runExample('kv-site', {
      kv: { SITE: site(), FLAGS: { flags: JSON.stringify({ maintenance: true }) } },
    });
    try {
      for (const path of ['/', '/css/site.css', '/nope']) {
        const res = await ex.fetch(path);
        assert.equal(res.status, 503, path);
        assert.equal(res.headers.get('retry-after'), '300');
        assert.equal(res.headers.get('cache-control'), 'no-store');
        assert.equal(await res.text(), readFileSync(join(PUBLIC, 'maintenance.html'), 'utf8'));
      }
      assert.deepEqual(await (await ex.fetch('/api/flags')).json(), { maintenance: true });
    } finally {
      await ex.close();
    }
  });
});

describe('examples/kv-site with empty KV', () => {
  it('GET /: a plain 404 (no 404 page either); /api/flags: {}', async () => {
    const ex = await runExample('kv-site');
    try {
      const res = await ex.fetch('/');
      assert.equal(res.status, 404);
      assert.equal(await res.text(), 'Not Found\n');
      assert.deepEqual(await (await ex.fetch('/api/flags')).json(), {});
    } finally {
      await ex.close();
    }
  });
});
