// crypto.getRandomValues and crypto.randomUUID inside a real isolate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate } from '../helpers/relaxed-worker.ts';

test('Crypto: getRandomValues: fills every integer typed array in place and returns it', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const r = {};
    for (const T of [Int8Array, Uint8Array, Uint8ClampedArray, Int16Array, Uint16Array, Int32Array, Uint32Array, BigInt64Array, BigUint64Array]) {
      const a = new T(64);
      r[T.name] = crypto.getRandomValues(a) === a && a.some((v) => v != 0);
    }
    const buf = new Uint8Array(16);
    crypto.getRandomValues(new Uint8Array(buf.buffer, 4, 8));
    r.window = buf.slice(0, 4).every((v) => v === 0) && buf.slice(12).every((v) => v === 0) && buf.slice(4, 12).some((v) => v !== 0);
    r.max = crypto.getRandomValues(new Uint8Array(65536)).length;
    r.empty = crypto.getRandomValues(new Uint8Array(0)).length;
    const a = crypto.getRandomValues(new Uint32Array(4)), b = crypto.getRandomValues(new Uint32Array(4));
    r.differs = a.join() !== b.join();
    // Byte frequencies of 64 KiB: a stuck or biased source would be far off 256 per value.
    const big = crypto.getRandomValues(new Uint8Array(65536)), counts = new Array(256).fill(0);
    for (const v of big) counts[v]++;
    r.spread = Math.max(...counts) < 400 && Math.min(...counts) > 150;
    return r;
  `);
  for (const [name, ok] of Object.entries(out)) {
    if (typeof ok === 'boolean') assert.equal(ok, true, name);
  }
  assert.equal(out.max, 65536);
  assert.equal(out.empty, 0);
});

test('Crypto: getRandomValues: rejects float arrays, DataViews, non-views and more than 65536 bytes', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { f(); return 'no error'; } catch (e) { return e.name + (e.code !== undefined ? ':' + e.code : '') + ': ' + e.message; } };
    return [
      attempt(() => crypto.getRandomValues(new Float32Array(4))),
      attempt(() => crypto.getRandomValues(new Float64Array(4))),
      attempt(() => crypto.getRandomValues(new DataView(new ArrayBuffer(4)))),
      attempt(() => crypto.getRandomValues(new Uint8Array(65537))),
      attempt(() => crypto.getRandomValues(new Uint32Array(16385))),
      attempt(() => crypto.getRandomValues(new ArrayBuffer(4))),
      attempt(() => crypto.getRandomValues([1, 2, 3])),
      attempt(() => crypto.getRandomValues()),
      attempt(() => crypto.getRandomValues(Object.setPrototypeOf(new Float32Array(4), Uint8Array.prototype))),
    ];
  `);
  assert.match(out[0], /^TypeMismatchError:17: .*'Float32Array', which is not an integer array type/);
  assert.match(out[1], /^TypeMismatchError:17/);
  assert.match(out[2], /^TypeMismatchError:17: .*'DataView'/);
  assert.match(out[3], /^QuotaExceededError:22: .*byte length \(65537\) exceeds the number of bytes of entropy available via this API \(65536\)/);
  assert.match(out[4], /^QuotaExceededError:22: .*\(65540\)/);
  assert.match(out[5], /^TypeError: .*not of type 'ArrayBufferView'/);
  assert.match(out[6], /^TypeError/);
  assert.match(out[7], /^TypeError: .*1 argument required/);
  assert.match(out[8], /^TypeMismatchError/, 'a float array dressed as a Uint8Array is still a float array');
});

test('Crypto: randomUUID: returns distinct version 4 UUIDs in the RFC 9562 layout', async () => {
  const out = await runInIsolate<string[]>(`return Array.from({ length: 500 }, () => crypto.randomUUID());`);
  assert.equal(new Set(out).size, 500);
  for (const u of out) assert.match(u, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test('Crypto: globals: crypto, Crypto, SubtleCrypto and CryptoKey are installed as WebIDL defines them', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const d = (n) => { const p = Object.getOwnPropertyDescriptor(globalThis, n); return [typeof p.value, p.enumerable, p.writable, p.configurable]; };
    return {
      crypto: d('crypto'), Crypto: d('Crypto'), SubtleCrypto: d('SubtleCrypto'), CryptoKey: d('CryptoKey'),
      instance: crypto instanceof Crypto && crypto.subtle instanceof SubtleCrypto && crypto.subtle === crypto.subtle,
      newCrypto: (() => { try { new Crypto(); return 'constructed'; } catch (e) { return e.name; } })(),
    };
  `);
  assert.deepEqual(out.crypto, ['object', true, true, true]);
  assert.deepEqual(out.Crypto, ['function', false, true, true]);
  assert.deepEqual(out.SubtleCrypto, ['function', false, true, true]);
  assert.deepEqual(out.CryptoKey, ['function', false, true, true]);
  assert.equal(out.instance, true);
  assert.equal(out.newCrypto, 'TypeError');
});

test('Crypto: DigestStream: hashes what is written or piped, chunk by chunk', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const hex = (b) => [...new Uint8Array(b)].map((x) => x.toString(16).padStart(2, '0')).join('');
    const s = new crypto.DigestStream('SHA-256');
    const w = s.getWriter();
    await w.write(new TextEncoder().encode('a'));
    await w.write(new TextEncoder().encode('bc').buffer);
    await w.close();
    const piped = new crypto.DigestStream({ name: 'MD5' });
    await new ReadableStream({ start(c) { c.enqueue(new Uint8Array([0x61])); c.enqueue(new DataView(new Uint8Array([0x62, 0x63]).buffer)); c.close(); } }).pipeTo(piped);
    const big = new crypto.DigestStream('SHA-512');
    const bw = big.getWriter();
    for (let i = 0; i < 64; i++) await bw.write(new Uint8Array(65536).fill(i));
    await bw.close();
    return { sha256: hex(await s.digest), md5: hex(await piped.digest), big: (await big.digest).byteLength, isWritable: s instanceof WritableStream };
  `);
  assert.deepEqual(out, {
    sha256: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    md5: '900150983cd24fb0d6963f7d28e17f72', big: 64, isWritable: true,
  });
});

test('Crypto: DigestStream: bad input: unknown algorithms throw, bad chunks and aborts reject', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = async (f) => { try { await f(); return 'ok'; } catch (e) { return e?.name + ': ' + (e?.message ?? e); } };
    const bad = new crypto.DigestStream('SHA-256');
    const aborted = new crypto.DigestStream('SHA-1');
    const digestOfAborted = aborted.digest;
    await aborted.abort('stop');
    return [
      await attempt(() => new crypto.DigestStream('SHA-3')), await attempt(() => new crypto.DigestStream()), await attempt(() => new crypto.DigestStream({})),
      await attempt(() => bad.getWriter().write('text')), await attempt(() => digestOfAborted),
    ];
  `);
  assert.match(out[0], /^NotSupportedError: Unrecognized algorithm name/);
  assert.match(out[1], /^TypeError: .*1 argument required/);
  assert.match(out[2], /^TypeError: .*'name'/);
  assert.match(out[3], /^TypeError: DigestStream: a chunk must be an ArrayBuffer or ArrayBufferView/);
  assert.equal(out[4], 'undefined: stop');
});
