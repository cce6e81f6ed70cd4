// examples/geo-localize on atoll (trusting X-Forwarded-For, so request.cf.country comes
// from the IP database for known public addresses) with a fake origin that has some
// translations: each country gets its language or the default page, and the second
// request for a page and language is a cache hit the origin never sees.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

// Addresses whose country the IP database knows (the edge's request.cf tests use some too).
const FROM = {
  DE: '194.25.0.60',     // Deutsche Telekom, Darmstadt
  FR: '212.27.48.10',    // Free, Paris
  ES: '80.58.61.250',    // Telefonica, Madrid
  JP: '133.11.0.1',      // University of Tokyo
  US: '8.8.8.8',
};

const PAGES: Record<string, string> = {
  '/about': 'About us',
  '/de/about': 'Über uns',
  '/fr/about': 'À propos',
  '/ja/pricing': '料金',
  '/pricing': 'Pricing',
  '/search?q=lamps': 'Results for lamps',
  '/de/search?q=lamps': 'Ergebnisse für lamps',
  '/de/account': 'Konto',
};

let origin: FakeService;
let worker: RunningExample;

before(async () => {
  origin = await startFake((req, res) => {
    if (req.url === '/de/broken') {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('boom');
      return;
    }
    const page = PAGES[req.url];
    if (page === undefined) {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', ...(req.url === '/de/account' ? { 'cache-control': 'private' } : {}) });
    res.end(`<h1>${page}</h1>`);
  });
  worker = await runExample('geo-localize', { origin: origin.url });
});

beforeEach(() => { origin.requests.length = 0; });

after(async () => {
  await worker?.close();
  await origin?.close();
});

async function visit(path: string, country: keyof typeof FROM | null, init: RequestInit = {}) {
  const headers = country ? { 'x-forwarded-for': FROM[country] } : {};
  const res = await worker.fetch(path, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) } });
  const body = await res.text();
  // The cache put runs in ctx.waitUntil: the next visit must not race it.
  await worker.idle();
  return { status: res.status, body, headers: res.headers };
}

describe('examples/geo-localize', () => {
  test('a visitor from Germany gets the German page; the second visit is a cache hit the origin never sees', async () => {
    const first = await visit('/about', 'DE');
    assert.equal(first.status, 200);
    assert.equal(first.body, '<h1>Über uns</h1>');
    assert.equal(first.headers.get('x-page-language'), 'de');
    assert.equal(first.headers.get('x-edge-cache'), 'MISS');
    assert.equal(first.headers.get('cache-control'), 'public, max-age=300');
    assert.deepEqual(origin.requests.map((r) => `${r.method} ${r.url}`), ['GET /de/about']);

    const second = await visit('/about', 'DE');
    assert.equal(second.body, '<h1>Über uns</h1>');
    assert.equal(second.headers.get('x-edge-cache'), 'HIT');
    assert.equal(second.headers.get('x-page-language'), 'de');
    assert.equal(origin.requests.length, 1, 'the origin was asked again');
  });

  test('no Spanish translation: the origin\'s 404 falls back to the default page, and that is cached for Spain', async () => {
    const first = await visit('/about', 'ES');
    assert.equal(first.status, 200);
    assert.equal(first.body, '<h1>About us</h1>');
    assert.equal(first.headers.get('x-page-language'), 'en');
    assert.deepEqual(origin.requests.map((r) => r.url), ['/es/about', '/about']);
    const second = await visit('/about', 'ES');
    assert.equal(second.body, '<h1>About us</h1>');
    assert.equal(second.headers.get('x-edge-cache'), 'HIT');
    assert.equal(origin.requests.length, 2);
  });

  test('each language has its own cache entry: France and Japan get theirs', async () => {
    assert.equal((await visit('/about', 'FR')).body, '<h1>À propos</h1>');
    assert.equal((await visit('/pricing', 'JP')).body, '<h1>料金</h1>');
    assert.equal((await visit('/pricing', 'DE')).body, '<h1>Pricing</h1>');
    assert.deepEqual(origin.requests.map((r) => r.url), ['/fr/about', '/ja/pricing', '/de/pricing', '/pricing']);
  });

  test('the default language and unknown countries go straight to the page, without a translation request', async () => {
    const us = await visit('/pricing', 'US');
    assert.equal(us.body, '<h1>Pricing</h1>');
    // A loopback client without X-Forwarded-For has no country (XX).
    const nowhere = await visit('/pricing', null);
    assert.equal(nowhere.body, '<h1>Pricing</h1>');
    assert.ok(origin.requests.every((r) => r.url === '/pricing'), origin.requests.map((r) => r.url).join());
  });

  test('the query string is kept', async () => {
    assert.equal((await visit('/search?q=lamps', 'DE')).body, '<h1>Ergebnisse für lamps</h1>');
    assert.equal(origin.requests[0].url, '/de/search?q=lamps');
  });

  test('a translation that fails (500) is passed on, not replaced by the default and not cached', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await visit('/broken', 'DE');
      assert.equal(r.status, 500);
      assert.equal(r.body, 'boom');
    }
    assert.deepEqual(origin.requests.map((r) => r.url), ['/de/broken', '/de/broken']);
  });

  test('a private page is not cached', async () => {
    for (let i = 0; i < 2; i++) assert.equal((await visit('/account', 'DE')).headers.get('x-edge-cache'), 'MISS');
    assert.equal(origin.requests.length, 2);
  });

  test('a URL that names its language and a POST go to the origin as they are', async () => {
    assert.equal((await visit('/fr/about', 'DE')).body, '<h1>À propos</h1>');
    const post = await visit('/about', 'DE', { method: 'POST', body: 'x=1' });
    assert.equal(post.body, '<h1>About us</h1>');
    assert.deepEqual(origin.requests.map((r) => `${r.method} ${r.url}`), ['GET /fr/about', 'POST /about']);
  });
});
