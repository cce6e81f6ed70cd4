// crypto.subtle against hostile tenants: keys are handles into a per-isolate table that
// forged or foreign handles cannot reach, the host re-checks every argument, results are
// the isolate's own objects, and work that would cost the host dearly is refused.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import { cryptoAsyncOps, cryptoSyncOps, MAX_HASHES_PER_ISOLATE } from '../../src/runtime/ops/crypto.ts';
import { addKey, liveKeyCount, MAX_KEYS_PER_ISOLATE } from '../../src/runtime/crypto-keys.ts';
import type { OpContext } from '../../src/runtime/ops/index.ts';
import { OpError } from '../../src/runtime/errors.ts';
import { runInIsolate, startWorker } from '../helpers/relaxed-worker.ts';

// The ops only use ctx.worker as the key of its tables, so a plain object stands in for an isolate.
const ctxFor = (worker: object): OpContext => ({ worker, inv: null, opId: 1 } as unknown as OpContext);

async function opError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OpError, `expected an OpError, got ${String(err)}`);
    return `${err.type}: ${err.message}`;
  }
  return 'resolved';
}

test('crypto ops: key handles: a handle from another isolate, or a forged number, names no key', async () => {
  const a = ctxFor({});
  const b = ctxFor({});
  const info = (await cryptoAsyncOps.crypto_import_key(a, 'raw', new Uint8Array(16), { name: 'HMAC', hash: { name: 'SHA-256' } }, true, ['sign'])) as { handle: number };
  const data = new Uint8Array(4);
  assert.equal((await cryptoAsyncOps.crypto_sign(a, { name: 'HMAC' }, info.handle, data)).byteLength, 32);
  assert.match(await opError(cryptoAsyncOps.crypto_sign(b, { name: 'HMAC' }, info.handle, data)), /^TypeError: .*not of type 'CryptoKey'/);
  assert.match(await opError(cryptoAsyncOps.crypto_export_key(b, 'raw', info.handle)), /^TypeError/);
  for (const forged of [info.handle + 1, 0, -1, 1.5, '1', null, { handle: info.handle }]) {
    assert.match(await opError(cryptoAsyncOps.crypto_sign(a, { name: 'HMAC' }, forged as number, data)), /^TypeError/, `handle ${JSON.stringify(forged)}`);
  }
  // A released handle is gone for good.
  cryptoSyncOps.crypto_key_release(a, info.handle);
  assert.match(await opError(cryptoAsyncOps.crypto_sign(a, { name: 'HMAC' }, info.handle, data)), /^TypeError/);
});

test('crypto ops: arguments: the host rejects what the prelude would never send', async () => {
  const ctx = ctxFor({});
  const bytes = new Uint8Array(1);
  const cases: [string, () => Promise<unknown>][] = [
    ['unknown member', () => cryptoAsyncOps.crypto_digest(ctx, { name: 'SHA-256', evil: 1 } as never, bytes)],
    ['non-plain algorithm', () => cryptoAsyncOps.crypto_digest(ctx, new Date() as never, bytes)],
    ['name not a string', () => cryptoAsyncOps.crypto_digest(ctx, { name: 5 } as never, bytes)],
    ['long name', () => cryptoAsyncOps.crypto_digest(ctx, { name: 'x'.repeat(100) }, bytes)],
    ['data not bytes', () => cryptoAsyncOps.crypto_digest(ctx, { name: 'SHA-256' }, [1, 2] as never)],
    ['iv not bytes', () => cryptoAsyncOps.crypto_encrypt(ctx, { name: 'AES-GCM', iv: 'x' } as never, 1, bytes)],
    ['number member NaN', () => cryptoAsyncOps.crypto_generate_key(ctx, { name: 'AES-GCM', length: Number.NaN }, true, ['encrypt'])],
    ['nested hash', () => cryptoAsyncOps.crypto_digest(ctx, { name: 'SHA-256', hash: { name: 'SHA-1', hash: { name: 'SHA-1' } } }, bytes)],
    ['usages not strings', () => cryptoAsyncOps.crypto_generate_key(ctx, { name: 'AES-GCM', length: 128 }, true, [{}] as never)],
    ['unknown usage', () => cryptoAsyncOps.crypto_generate_key(ctx, { name: 'AES-GCM', length: 128 }, true, ['launch'])],
    ['extractable not boolean', () => cryptoAsyncOps.crypto_generate_key(ctx, { name: 'AES-GCM', length: 128 }, 'yes' as never, ['encrypt'])],
    ['bad format', () => cryptoAsyncOps.crypto_import_key(ctx, 'pem', bytes, { name: 'AES-GCM' }, true, ['encrypt'])],
    ['jwk not plain', () => cryptoAsyncOps.crypto_import_key(ctx, 'jwk', bytes, { name: 'AES-GCM' }, true, ['encrypt'])],
    ['deriveBits length', () => cryptoAsyncOps.crypto_derive_bits(ctx, { name: 'HKDF' }, 1, -8)],
  ];
  for (const [what, call] of cases) assert.match(await opError(call()), /^TypeError: /, what);
  assert.match(await opError(cryptoAsyncOps.crypto_encrypt(ctx, { name: 'AES-GCM', iv: new Uint8Array(65537) }, 1, bytes)), /^DOMException:OperationError: Algorithm: iv is too large/);
  assert.throws(() => cryptoSyncOps.random_bytes(ctx, 65537), /QuotaExceeded|exceeds/);
  assert.throws(() => cryptoSyncOps.random_bytes(ctx, -1));
  assert.throws(() => cryptoSyncOps.random_bytes(ctx, 'x' as never));
});

test('crypto ops: key table: bounded per isolate, with a clear QuotaExceededError', async () => {
  const owner = {};
  const key = await webcrypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  for (let i = 0; i < MAX_KEYS_PER_ISOLATE; i++) addKey(owner, key as webcrypto.CryptoKey);
  assert.equal(liveKeyCount(owner), MAX_KEYS_PER_ISOLATE);
  assert.throws(() => addKey(owner, key as webcrypto.CryptoKey), (err: OpError) => err.type === 'DOMException:QuotaExceededError' && /too many live CryptoKeys/.test(err.message));
  assert.equal(liveKeyCount({}), 0, 'another isolate is not affected');
});

test('SubtleCrypto: limits: expensive requests are refused before they cost the host', async () => {
  const out = await runInIsolate<Record<string, string>>(`
    const rejects = async (p) => { try { await p; return 'resolved'; } catch (e) { return e.name + ': ' + e.message; } };
    const pw = await crypto.subtle.importKey('raw', new Uint8Array(8), 'PBKDF2', false, ['deriveBits']);
    const t0 = Date.now();
    const r = {
      pbkdf2: await rejects(crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 10000000 }, pw, 256)),
      rsa: await rejects(crypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: 16384, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, false, ['sign'])),
      exponent: await rejects(crypto.subtle.generateKey({ name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([0xff, 0xff, 0xff, 0xff]), hash: 'SHA-256' }, false, ['sign'])),
      length: await rejects(crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt: new Uint8Array(8), iterations: 1 }, pw, 2 ** 30)),
      hugeIv: await rejects(crypto.subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(1 << 20) }, await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-CBC', false, ['encrypt']), new Uint8Array(1))),
    };
    r.ms = String(Date.now() - t0);
    return r;
  `);
  assert.match(out.pbkdf2, /^NotSupportedError: Pbkdf2 failed: iteration counts above 100000 are not supported \(requested 10000000\)/);
  assert.match(out.rsa, /^NotSupportedError: RSA keys longer than 4096 bits/);
  assert.match(out.exponent, /^OperationError: The RSA public exponent must be 3 or 65537/);
  assert.match(out.length, /^OperationError: deriveBits: length/);
  assert.match(out.hugeIv, /^OperationError: Algorithm: iv is too large/);
  assert.ok(Number(out.ms) < 2000, `refusals took ${out.ms} ms`);
});

test('SubtleCrypto: escape: keys, results and errors are the isolate\'s own objects', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const key = await crypto.subtle.generateKey({ name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
    const jwk = await crypto.subtle.exportKey('jwk', key);
    const digest = await crypto.subtle.digest('SHA-256', new Uint8Array(1));
    let err; try { await crypto.subtle.digest('nope', new Uint8Array(1)); } catch (e) { err = e; }
    const reach = (o) => { try { return o.constructor.constructor('return typeof process + typeof require + typeof Buffer')(); } catch (e) { return 'threw ' + e.name; } };
    let forged; try { await crypto.subtle.sign('HMAC', Object.create(CryptoKey.prototype), new Uint8Array(1)); } catch (e) { forged = e.name; }
    let ctor; try { new CryptoKey(); } catch (e) { ctor = e.message; }
    let getter; try { Object.getOwnPropertyDescriptor(CryptoKey.prototype, 'type').get.call({}); } catch (e) { getter = e.message; }
    return {
      sameRealm: [key.algorithm.constructor === Object, jwk.constructor === Object, Array.isArray(jwk.key_ops) && jwk.key_ops.constructor === Array,
        digest.constructor === ArrayBuffer, err instanceof DOMException, key instanceof CryptoKey, Object.getPrototypeOf(key.usages) === Array.prototype],
      reach: [reach(key.algorithm), reach(jwk), reach(digest), reach(err), reach(crypto.subtle), reach(key)],
      forged, ctor, getter,
      subtleCtor: (() => { try { new SubtleCrypto(); return 'constructed'; } catch (e) { return e.message; } })(),
      tag: Object.prototype.toString.call(key) + Object.prototype.toString.call(crypto.subtle) + Object.prototype.toString.call(crypto),
    };
  `);
  assert.deepEqual(out.sameRealm, [true, true, true, true, true, true, true]);
  for (const r of out.reach as string[]) assert.equal(r, 'undefinedundefinedundefined');
  assert.equal(out.forged, 'TypeError');
  assert.equal(out.ctor, 'Illegal constructor');
  assert.equal(out.getter, 'Illegal invocation');
  assert.equal(out.subtleCtor, 'Illegal constructor');
  assert.equal(out.tag, '[object CryptoKey][object SubtleCrypto][object Crypto]');
});

test('SubtleCrypto: buffers: inputs are copied when the call is made, so later writes do not change the result', async () => {
  const out = await runInIsolate<string[]>(`
    const data = new TextEncoder().encode('abc');
    const p = crypto.subtle.digest('SHA-256', data);
    data[0] = 0x7a;
    const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    return [hex(await p)];
  `);
  assert.deepEqual(out, ['ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad']);
});

test('SubtleCrypto: concurrency: many operations in flight at once all complete', async () => {
  const out = await runInIsolate<number>(`
    const key = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    const sigs = await Promise.all(Array.from({ length: 40 }, (_, i) => crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, key.privateKey, new Uint8Array([i]))));
    const ok = await Promise.all(sigs.map((s, i) => crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, key.publicKey, s, new Uint8Array([i]))));
    return ok.filter(Boolean).length;
  `);
  assert.equal(out, 40);
});

test('crypto ops: DigestStream hashes: per isolate, bounded, closed after digest', () => {
  const a = ctxFor({});
  const b = ctxFor({});
  const h = cryptoSyncOps.crypto_hash_create(a, 'SHA-256');
  assert.throws(() => cryptoSyncOps.crypto_hash_update(b, h, new Uint8Array(1)), /DigestStream is closed or was never opened/);
  cryptoSyncOps.crypto_hash_free(b, h); // another isolate cannot free it either
  cryptoSyncOps.crypto_hash_update(a, h, new TextEncoder().encode('abc'));
  assert.throws(() => cryptoSyncOps.crypto_hash_update(a, h, 'abc' as never), /ArrayBuffer or ArrayBufferView/);
  assert.equal(Buffer.from(cryptoSyncOps.crypto_hash_digest(a, h)).toString('hex'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.throws(() => cryptoSyncOps.crypto_hash_digest(a, h), /closed/);
  for (const forged of [h + 1, -1, '1', null]) assert.throws(() => cryptoSyncOps.crypto_hash_update(a, forged as number, new Uint8Array(1)), /closed/);
  assert.throws(() => cryptoSyncOps.crypto_hash_create(a, 'SHA-3'), (e: OpError) => e.type === 'DOMException:NotSupportedError');
  assert.throws(() => cryptoSyncOps.crypto_hash_create(a, {} as never), (e: OpError) => e.type === 'DOMException:NotSupportedError');
  const c = ctxFor({});
  for (let i = 0; i < MAX_HASHES_PER_ISOLATE; i++) cryptoSyncOps.crypto_hash_create(c, 'MD5');
  assert.throws(() => cryptoSyncOps.crypto_hash_create(c, 'MD5'), (e: OpError) => e.type === 'DOMException:QuotaExceededError');
  cryptoSyncOps.crypto_hash_free(c, 1);
  assert.equal(typeof cryptoSyncOps.crypto_hash_create(c, 'MD5'), 'number', 'a freed slot can be used again');
});

test('crypto ops: key release: a foreign isolate cannot release another isolate\'s key', async () => {
  const a = ctxFor({});
  const b = ctxFor({});
  const info = (await cryptoAsyncOps.crypto_import_key(a, 'raw', new Uint8Array(16), { name: 'AES-GCM' }, false, ['encrypt'])) as { handle: number };
  cryptoSyncOps.crypto_key_release(b, info.handle);
  cryptoSyncOps.crypto_key_release(a, 'x' as never);
  const sealed = await cryptoAsyncOps.crypto_encrypt(a, { name: 'AES-GCM', iv: new Uint8Array(12) }, info.handle, new Uint8Array(4));
  assert.equal(sealed.byteLength, 20);
});

test('CryptoKey: garbage collection: keys a worker drops are released from the host table', async () => {
  // A worker that imports its key on every request (a JWT check) must not run into the
  // per-isolate key limit: keys the isolate collects are forgotten by the host.
  const w = await startWorker(`export default { async fetch(req) {
    if (new URL(req.url).pathname === '/make') {
      for (let i = 0; i < 500; i++) await crypto.subtle.importKey('raw', new Uint8Array(16), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
      return new Response('made');
    }
    let junk = [];
    for (let i = 0; i < 400; i++) { junk.push(new Array(10000).fill(i)); if (junk.length > 20) junk = []; }
    await new Promise((r) => setTimeout(r, 5));
    return new Response('collected');
  } }`);
  try {
    assert.equal(await (await w.fetch('/make')).text(), 'made');
    const made = liveKeyCount(w.worker());
    assert.ok(made > 0 && made <= 500, `${made} live keys after the first request`);
    for (let i = 0; i < 5 && liveKeyCount(w.worker()) > 100; i++) assert.equal(await (await w.fetch('/gc')).text(), 'collected');
    assert.ok(liveKeyCount(w.worker()) < 100, `${liveKeyCount(w.worker())} of 500 dropped keys still held by the host`);
  } finally {
    await w.close();
  }
});
