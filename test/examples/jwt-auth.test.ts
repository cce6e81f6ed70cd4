// examples/jwt-auth on atoll with a fake identity provider (a JWKS with an RSA and an
// EC key) and fake object storage: good HS256, RS256 and ES256 tokens reach storage with
// their claims in headers; every bad token is a 401 with WWW-Authenticate and never
// reaches storage; the JWKS is fetched once and cached.

import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { after, before, beforeEach, describe, test } from 'node:test';
import { deadUrl } from '../cli/platform-harness.ts';
import { runExample, startFake, type FakeService, type RunningExample } from './harness.ts';

const { subtle } = webcrypto;
type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;
type JsonWebKey = webcrypto.JsonWebKey;
const SECRET = 'a-long-random-hs256-secret-for-tests-only';
const ISSUER = 'https://idp.test/';
const AUDIENCE = 'tiles-api';

const b64url = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

let rsa: CryptoKeyPair;
let ec: CryptoKeyPair;
let rotated: CryptoKeyPair;
let jwks: JsonWebKey[];
let idp: FakeService;
let storage: FakeService;
let worker: RunningExample;

async function sign(alg: 'HS256' | 'RS256' | 'ES256' | 'none', claims: Record<string, unknown>, options: { kid?: string; key?: CryptoKey } = {}): Promise<string> {
  const header: Record<string, unknown> = { alg, typ: 'JWT' };
  if (options.kid !== undefined) header.kid = options.kid;
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(claims))}`;
  const data = new TextEncoder().encode(input);
  let sig: ArrayBuffer;
  if (alg === 'none') return `${input}.`;
  if (alg === 'HS256') {
    const key = await subtle.importKey('raw', new TextEncoder().encode(SECRET), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    sig = await subtle.sign('HMAC', key, data);
  } else if (alg === 'RS256') {
    sig = await subtle.sign('RSASSA-PKCS1-v1_5', options.key ?? rsa.privateKey, data);
  } else {
    sig = await subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, options.key ?? ec.privateKey, data);
  }
  return `${input}.${b64url(new Uint8Array(sig))}`;
}

const good = (extra: Record<string, unknown> = {}) => ({ iss: ISSUER, aud: AUDIENCE, sub: 'pilot-7', exp: now() + 600, iat: now(), ...extra });

before(async () => {
  const rsaParams = { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
  rsa = await subtle.generateKey(rsaParams, true, ['sign', 'verify']) as CryptoKeyPair;
  rotated = await subtle.generateKey(rsaParams, true, ['sign', 'verify']) as CryptoKeyPair;
  ec = await subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']) as CryptoKeyPair;
  jwks = [
    { ...(await subtle.exportKey('jwk', rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' } as JsonWebKey,
    { ...(await subtle.exportKey('jwk', ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' } as JsonWebKey,
  ];
  idp = await startFake((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'public, max-age=300' });
    res.end(JSON.stringify({ keys: jwks }));
  });
  storage = await startFake((req, res) => {
    res.writeHead(200, { 'content-type': 'image/png', etag: '"tile-1"' });
    res.end(`object ${req.url}`);
  });
  worker = await runExample('jwt-auth', {
    vars: { JWT_SECRET: SECRET, JWKS_URL: `${idp.url}/.well-known/jwks.json`, ISSUER, AUDIENCE, STORAGE_URL: `${storage.url}/bucket`, REALM: 'drone-images' },
  });
});

beforeEach(() => { storage.requests.length = 0; });

after(async () => {
  await worker?.close();
  await idp?.close();
  await storage?.close();
});

const get = (path: string, token: string | null, headers: Record<string, string> = {}) =>
  worker.fetch(path, { headers: token === null ? headers : { authorization: `Bearer ${token}`, ...headers } });

/** Asserts a 401 whose challenge says invalid_token, and that storage was not asked. */
async function refused(res: Response, reason: RegExp): Promise<void> {
  const body = await res.text();
  assert.equal(res.status, 401, body);
  const challenge = res.headers.get('www-authenticate') ?? '';
  assert.match(challenge, /^Bearer realm="drone-images", error="invalid_token", error_description="[^"]+"$/);
  assert.match(challenge, reason);
  assert.equal(storage.requests.length, 0, 'storage was asked');
}

describe('examples/jwt-auth: good tokens', () => {
  for (const [alg, kid] of [['HS256', undefined], ['RS256', 'rsa-1'], ['ES256', 'ec-1']] as const) {
    test(`${alg}: the object comes from storage, which gets the subject and the verified claims`, async () => {
      const claims = good({ scope: 'tiles:read', name: 'Zoë' });
      const res = await get('/fields/7/panel.png', await sign(alg, claims, { kid }), { 'x-auth-subject': 'forged', cookie: 'sid=1' });
      assert.equal(res.status, 200);
      assert.equal(await res.text(), 'object /bucket/fields/7/panel.png');
      assert.equal(res.headers.get('etag'), '"tile-1"');
      assert.equal(res.headers.get('cache-control'), 'private, max-age=0');
      assert.equal(storage.requests.length, 1);
      const call = storage.requests[0];
      assert.equal(call.method, 'GET');
      assert.equal(call.headers['x-auth-subject'], 'pilot-7');
      assert.deepEqual(JSON.parse(String(call.headers['x-auth-claims'])), claims);
      // The token and the cookie stay at the edge.
      assert.equal(call.headers.authorization, undefined);
      assert.equal(call.headers.cookie, undefined);
    });
  }

  test('the JWKS is fetched once and cached across requests', async () => {
    const before = idp.requests.length;
    for (let i = 0; i < 3; i++) {
      assert.equal((await get('/a.png', await sign('RS256', good(), { kid: 'rsa-1' }))).status, 200);
      assert.equal((await get('/b.png', await sign('ES256', good(), { kid: 'ec-1' }))).status, 200);
    }
    // Only the first good-token test of this file may have fetched it.
    assert.equal(idp.requests.length, before);
    assert.ok(idp.requests.length <= 1, `fetched ${idp.requests.length} times`);
    assert.equal(idp.requests[0]?.url, '/.well-known/jwks.json');
  });

  test('an aud list containing the audience is accepted, and Range reaches storage', async () => {
    const res = await get('/big.tif', await sign('HS256', good({ aud: ['other', AUDIENCE] })), { range: 'bytes=0-99' });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(storage.requests[0].headers.range, 'bytes=0-99');
  });
});

describe('examples/jwt-auth: refused', () => {
  test('no token: 401 with a bare Bearer challenge', async () => {
    for (const headers of [{}, { authorization: 'Basic YWRhOnB3' }, { authorization: 'Bearer' }]) {
      const res = await worker.fetch('/x.png', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="drone-images"');
      await res.arrayBuffer();
    }
    assert.equal(storage.requests.length, 0);
  });

  test('malformed tokens: not three parts, bad base64url, a payload that is not JSON', async () => {
    const header = b64url(JSON.stringify({ alg: 'HS256' }));
    for (const token of ['abc', 'a.b', 'a.b.c.d', `${header}.!!!.sig`, `${header}.${b64url('not json')}.c2ln`, `${b64url('[1]')}.${b64url('{}')}.c2ln`]) {
      await refused(await get('/x.png', token), /error_description="The token/);
    }
  });

  test('a wrong signature and a tampered payload', async () => {
    const token = await sign('HS256', good());
    const [h, , s] = token.split('.');
    await refused(await get('/x.png', `${h}.${b64url(JSON.stringify(good({ sub: 'admin' })))}.${s}`), /signature does not match/);
    await refused(await get('/x.png', await sign('ES256', good(), { kid: 'rsa-1' })), /No signing key 'rsa-1' for ES256/);
    await refused(await get('/x.png', await sign('RS256', good(), { kid: 'rsa-1', key: rotated.privateKey })), /signature does not match/);
  });

  test('alg none and unknown algorithms', async () => {
    await refused(await get('/x.png', await sign('none', good())), /algorithm 'none' is not accepted/);
    const hs512 = `${b64url(JSON.stringify({ alg: 'HS512' }))}.${b64url(JSON.stringify(good()))}.c2ln`;
    await refused(await get('/x.png', hs512), /algorithm 'HS512'/);
    await refused(await get('/x.png', `${b64url(JSON.stringify(good()))}.${b64url('{}')}.`), /algorithm 'undefined'/);
  });

  test('a kid with quotes and a line break cannot break the WWW-Authenticate header', async () => {
    await refused(await get('/x.png', await sign('RS256', good(), { kid: 'x"\r\nSet-Cookie: a=b' })), /No signing key 'x\?\?\?Set-Cookie: a=b' for RS256/);
  });

  test('algorithm confusion: an HS256 token signed with the RSA public key as its secret', async () => {
    const pub = JSON.stringify(jwks[0]);
    const key = await subtle.importKey('raw', new TextEncoder().encode(pub), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const input = `${b64url(JSON.stringify({ alg: 'HS256', kid: 'rsa-1' }))}.${b64url(JSON.stringify(good()))}`;
    const sig = await subtle.sign('HMAC', key, new TextEncoder().encode(input));
    await refused(await get('/x.png', `${input}.${b64url(new Uint8Array(sig))}`), /signature does not match/);
  });

  test('expired, not yet valid, no expiry, wrong issuer, wrong audience', async () => {
    await refused(await get('/x.png', await sign('HS256', good({ exp: now() - 3600 }))), /expired/);
    await refused(await get('/x.png', await sign('RS256', good({ nbf: now() + 3600 }), { kid: 'rsa-1' })), /not valid yet/);
    await refused(await get('/x.png', await sign('HS256', good({ exp: undefined }))), /no expiry/);
    await refused(await get('/x.png', await sign('ES256', good({ iss: 'https://evil.test/' }), { kid: 'ec-1' })), /\(iss\)/);
    await refused(await get('/x.png', await sign('HS256', good({ aud: 'billing' }))), /\(aud\)/);
  });

  test('an unknown kid fetches the JWKS again once (a rotation), then is refused without asking again', async () => {
    const before = idp.requests.length;
    await refused(await get('/x.png', await sign('RS256', good(), { kid: 'rsa-2', key: rotated.privateKey })), /No signing key 'rsa-2'/);
    await refused(await get('/x.png', await sign('RS256', good(), { kid: 'rsa-3', key: rotated.privateKey })), /No signing key 'rsa-3'/);
    assert.ok(idp.requests.length - before <= 1, `JWKS fetched ${idp.requests.length - before} more times`);
  });

  test('methods other than GET and HEAD are refused before any token check', async () => {
    const res = await worker.fetch('/x.png', { method: 'PUT', body: 'x', headers: { authorization: `Bearer ${await sign('HS256', good())}` } });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET, HEAD');
    await res.arrayBuffer();
    assert.equal(storage.requests.length, 0);
  });
});

describe('examples/jwt-auth: without a secret, with the identity provider down', () => {
  test('RS256 answers 503 (not the user\'s fault), and HS256 is refused without JWT_SECRET', async () => {
    const down = await runExample('jwt-auth', {
      vars: { JWKS_URL: `${await deadUrl()}/jwks.json`, ISSUER, AUDIENCE, STORAGE_URL: `${storage.url}/bucket`, REALM: 'drone-images' },
    });
    try {
      const res = await down.fetch('/x.png', { headers: { authorization: `Bearer ${await sign('RS256', good(), { kid: 'rsa-1' })}` } });
      assert.equal(res.status, 503);
      assert.equal(res.headers.get('retry-after'), '10');
      await res.arrayBuffer();
      const hs = await down.fetch('/x.png', { headers: { authorization: `Bearer ${await sign('HS256', good())}` } });
      await refused(hs, /HS256 tokens are not accepted here/);
    } finally {
      await down.close();
    }
  });
});
