// examples/ab-test: visitors get a variant at the edge, kept by a cookie, and the page
// comes from the worker. A fake origin stands by to show that nothing reaches it.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

async function visit(ex: RunningExample, cookie?: string) {
  const res = await ex.fetch('/', { headers: cookie ? { cookie } : {} });
  assert.equal(res.status, 200);
  const body = await res.text();
  const variant = /data-variant="(\w)"/.exec(body)?.[1];
  assert.equal(res.headers.get('x-variant'), variant, 'the header names the variant served');
  return { res, body, variant: variant!, setCookie: res.headers.getSetCookie() };
}

describe('examples/ab-test', () => {
  let origin: FakeService;
  let ex: RunningExample;
  before(async () => {
    origin = await startFake();
    ex = await runExample('ab-test', { origin: origin.url });
  });
  after(async () => {
    await ex?.close();
    await origin?.close();
  });

  it('GET / as a new visitor: a variant page, its cookie for a year, and headers that keep caches out', async () => {
    const { res, variant, setCookie } = await visit(ex);
    assert.ok(variant === 'a' || variant === 'b');
    assert.deepEqual(setCookie, [`ab-home=${variant}; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=Lax`]);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'private, no-cache');
    assert.equal(res.headers.get('vary'), 'cookie');
  });

  it('GET / with the cookie: the same variant every time, and no new cookie', async () => {
    for (const v of ['a', 'b']) {
      for (let i = 0; i < 5; i++) {
        const { variant, setCookie } = await visit(ex, `theme=dark; ab-home=${v}; other=1`);
        assert.equal(variant, v);
        assert.deepEqual(setCookie, []);
      }
    }
  });

  it('GET / by many new visitors at 50%: both variants are handed out', async () => {
    const seen = new Set<string>();
    // Both show up in 60 visits unless the random source is broken (odds 2 in 2^60).
    for (let i = 0; i < 60 && seen.size < 2; i++) seen.add((await visit(ex)).variant);
    assert.deepEqual([...seen].sort(), ['a', 'b']);
  });

  it('GET / with a cookie naming no variant: a fresh assignment replaces it', async () => {
    const { variant, setCookie } = await visit(ex, 'ab-home=zzz');
    assert.deepEqual(setCookie, [`ab-home=${variant}; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=Lax`]);
  });

  it('HEAD /: the variant headers and no body', async () => {
    const res = await ex.fetch('/', { method: 'HEAD', headers: { cookie: 'ab-home=b' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-variant'), 'b');
    assert.equal(await res.text(), '');
  });

  it('other paths and methods: 404 and 405', async () => {
    assert.equal((await ex.fetch('/pricing')).status, 404);
    const post = await ex.fetch('/', { method: 'POST', body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
  });

  it('no request in this suite reached the origin', () => {
    assert.deepEqual(origin.requests, []);
  });
});

describe('examples/ab-test with B_PERCENT = 100', () => {
  it('GET /: every new visitor gets variant b', async () => {
    const ex = await runExample('ab-test', { vars: { B_PERCENT: '100' } });
    try {
      for (let i = 0; i < 10; i++) assert.equal((await visit(ex)).variant, 'b');
    } finally {
      await ex.close();
    }
  });
});
