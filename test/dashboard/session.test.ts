// Dashboard sign-in over real HTTP against a real control API: the session cookie's
// attributes, the cookie as an alternative to a bearer token with the token's scopes,
// CSRF and Origin checks on calls that change something, sign-out, revocation, and
// bad sign-in input refused with clear errors.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { assertError, startHarness, type Harness } from '../control/harness.ts';

interface Signed {
  cookie: string;
  csrf: string;
  setCookie: string;
}

async function signIn(h: Harness, token: string, headers: Record<string, string> = {}): Promise<Signed> {
  const r = await h.call('POST', '/dashboard/session', { token: null, json: { token }, headers });
  assert.equal(r.status, 201, r.text);
  const setCookie = r.headers.get('set-cookie') ?? '';
  return { cookie: setCookie.split(';')[0]!, csrf: r.body.csrf, setCookie };
}

describe('dashboard sessions', () => {
  let h: Harness;
  before(async () => { h = await startHarness(); });
  after(async () => { await h.close(); });

  test('sign-in: the cookie is HttpOnly and SameSite=Strict, Secure only over TLS', async () => {
    const plain = await signIn(h, h.token);
    assert.match(plain.setCookie, /^atoll_session=[A-Za-z0-9_-]{43};/);
    assert.match(plain.setCookie, /; HttpOnly/);
    assert.match(plain.setCookie, /; SameSite=Strict/);
    assert.doesNotMatch(plain.setCookie, /Secure/);
    const tls = await signIn(h, h.token, { 'x-forwarded-proto': 'https' });
    assert.match(tls.setCookie, /; Secure/);
  });

  test('sign-in answers who signed in, and GET /dashboard/session tells a reloaded page', async () => {
    const r = await h.call('POST', '/dashboard/session', { token: null, json: { token: h.token } });
    assert.deepEqual(r.body.token.scopes, ['admin']);
    assert.equal(r.body.account.operator, true);
    const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
    const again = await h.call('GET', '/dashboard/session', { token: null, headers: { cookie } });
    assert.equal(again.status, 200);
    assert.equal(again.body.csrf, r.body.csrf);
    assertError(await h.call('GET', '/dashboard/session', { token: null }), 401, 'unauthorized', 'sign in');
  });

  test('the cookie reads the API; changes need the CSRF header and a same-origin Origin', async () => {
    const s = await signIn(h, h.token);
    const list = await h.call('GET', '/api/v1/workers', { token: null, headers: { cookie: s.cookie } });
    assert.equal(list.status, 200);
    assertError(await h.call('POST', '/api/v1/kv/namespaces', { token: null, json: { title: 'no-csrf' }, headers: { cookie: s.cookie } }), 403, 'forbidden', 'x-atoll-csrf');
    assertError(await h.call('POST', '/api/v1/kv/namespaces', { token: null, json: { title: 'wrong-csrf' }, headers: { cookie: s.cookie, 'x-atoll-csrf': 'x'.repeat(32) } }), 403, 'forbidden', 'x-atoll-csrf');
    assertError(await h.call('POST', '/api/v1/kv/namespaces', {
      token: null, json: { title: 'cross' }, headers: { cookie: s.cookie, 'x-atoll-csrf': s.csrf, origin: 'https://evil.example' },
    }), 403, 'forbidden', 'evil.example');
    const made = await h.call('POST', '/api/v1/kv/namespaces', { token: null, json: { title: 'with-csrf' }, headers: { cookie: s.cookie, 'x-atoll-csrf': s.csrf, origin: h.api.url } });
    assert.equal(made.status, 201, made.text);
    // Behind a TLS-terminating proxy the page's origin is the proxy's.
    const proxied = await h.call('POST', '/api/v1/kv/namespaces', {
      token: null, json: { title: 'via-proxy' },
      headers: { cookie: s.cookie, 'x-atoll-csrf': s.csrf, origin: 'https://dash.example.com', 'x-forwarded-proto': 'https', 'x-forwarded-host': 'dash.example.com' },
    });
    assert.equal(proxied.status, 201, proxied.text);
  });

  test('a read-only token\'s session can read but not deploy', async () => {
    const ro = await h.call('POST', '/api/v1/tokens', { json: { name: 'viewer', scopes: ['workers:read'] } });
    const s = await signIn(h, ro.body.token);
    assert.equal((await h.call('GET', '/api/v1/workers', { token: null, headers: { cookie: s.cookie } })).status, 200);
    const form = new FormData();
    form.set('metadata', JSON.stringify({ main_module: 'index.js', compatibility_date: '2026-01-01' }));
    form.set('index.js', new Blob(['export default { fetch() { return new Response("x") } }'], { type: 'application/javascript+module' }), 'index.js');
    assertError(await h.call('PUT', '/api/v1/workers/ro-deploy', { token: null, body: form, headers: { cookie: s.cookie, 'x-atoll-csrf': s.csrf } }), 403, 'forbidden', 'workers:write');
  });

  test('sign-out and token revocation end the session', async () => {
    const s = await signIn(h, h.token);
    assertError(await h.call('DELETE', '/dashboard/session', { token: null, headers: { cookie: s.cookie } }), 403, 'forbidden', 'x-atoll-csrf');
    const out = await h.call('DELETE', '/dashboard/session', { token: null, headers: { cookie: s.cookie, 'x-atoll-csrf': s.csrf } });
    assert.equal(out.status, 200);
    assert.match(out.headers.get('set-cookie') ?? '', /atoll_session=; .*Max-Age=0/);
    assertError(await h.call('GET', '/api/v1/workers', { token: null, headers: { cookie: s.cookie } }), 401, 'unauthorized', 'sign in again');

    const made = await h.call('POST', '/api/v1/tokens', { json: { name: 'short-lived', scopes: ['workers:read'] } });
    const s2 = await signIn(h, made.body.token);
    assert.equal((await h.call('GET', '/api/v1/workers', { token: null, headers: { cookie: s2.cookie } })).status, 200);
    assert.equal((await h.call('DELETE', `/api/v1/tokens/${made.body.record.id}`)).status, 200);
    assertError(await h.call('GET', '/api/v1/workers', { token: null, headers: { cookie: s2.cookie } }), 401, 'unauthorized', 'revoked');
  });

  test('sign-in: bad input is refused with a clear error', async () => {
    assertError(await h.call('POST', '/dashboard/session', { token: null, body: `token=${h.token}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } }), 400, 'invalid_json', 'application/json');
    assertError(await h.call('POST', '/dashboard/session', { token: null, body: '{', headers: { 'content-type': 'application/json' } }), 400, 'invalid_json');
    assertError(await h.call('POST', '/dashboard/session', { token: null, json: {} }), 400, 'invalid_field', '"token"');
    assertError(await h.call('POST', '/dashboard/session', { token: null, json: { token: 42 } }), 400, 'invalid_field', '"token"');
    assertError(await h.call('POST', '/dashboard/session', { token: null, json: { token: 'hunter2' } }), 401, 'unauthorized', 'not an atoll API token');
    assertError(await h.call('POST', '/dashboard/session', { token: null, json: { token: `atoll_${'A'.repeat(43)}` } }), 401, 'unauthorized', 'not known');
    assertError(await h.call('POST', '/dashboard/session', { token: null, json: { token: h.token }, headers: { origin: 'https://evil.example' } }), 403, 'forbidden', 'evil.example');
    assertError(await h.call('GET', '/api/v1/workers', { token: null, headers: { cookie: 'atoll_session=forged' } }), 401, 'unauthorized', 'sign in again');
  });

  test('the page and its assets are served with their types and caching', async () => {
    const page = await h.call('GET', '/dashboard/', { token: null });
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type')!, /^text\/html/);
    assert.equal(page.headers.get('cache-control'), 'no-cache');
    assert.match(page.headers.get('content-security-policy')!, /script-src 'self'/);
    const script = /src="(assets\/app-[A-Za-z0-9]+\.js)"/.exec(page.text)![1]!;
    const style = /href="(assets\/style-[A-Za-z0-9]+\.css)"/.exec(page.text)![1]!;
    const js = await h.call('GET', `/dashboard/${script}`, { token: null });
    assert.equal(js.status, 200);
    assert.match(js.headers.get('content-type')!, /^text\/javascript/);
    assert.match(js.headers.get('cache-control')!, /immutable/);
    assert.match((await h.call('GET', `/dashboard/${style}`, { token: null })).headers.get('content-type')!, /^text\/css/);
    assert.equal((await h.call('GET', '/dashboard/assets/nope.js', { token: null })).status, 404);
    const root = await fetch(`${h.api.url}/`, { redirect: 'manual' });
    assert.equal(root.headers.get('location'), '/dashboard/');
  });
});
