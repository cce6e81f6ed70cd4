// crypto.subtle inside a real isolate, against published vectors (NIST digests,
// RFC 4231 HMAC, RFC 5869 HKDF, RFC 6070 PBKDF2) and against node:crypto on the host:
// keys made and tokens signed here are verified in the isolate, and the other way round.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createCipheriv, createPublicKey, createSign, generateKeyPairSync, publicEncrypt, sign as nodeSign, verify as nodeVerify, constants } from 'node:crypto';
import { runInIsolate } from '../helpers/relaxed-worker.ts';

const HELPERS = `
  const hex = (buf) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
  const utf8 = (s) => new TextEncoder().encode(s);
  const b64url = (s) => Uint8Array.from(atobUrl(s), (c) => c.charCodeAt(0));
  const atobUrl = (s) => { s = s.replace(/-/g, '+').replace(/_/g, '/'); while (s.length % 4) s += '='; return decodeB64(s); };
  const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  function decodeB64(s) { let out = '', buf = 0, bits = 0; for (const c of s.replace(/=+$/, '')) { buf = (buf << 6) | B64.indexOf(c); bits += 6; if (bits >= 8) { bits -= 8; out += String.fromCharCode((buf >> bits) & 255); } } return out; }
  const rejects = async (p) => { try { await p; return 'resolved'; } catch (e) { return e.name + ': ' + e.message; } };
`;

const run = <T = unknown>(body: string) => runInIsolate<T>(HELPERS + body);

test('SubtleCrypto: digest: matches the NIST vectors for SHA-1/256/384/512 and MD5', async () => {
  const out = await run<Record<string, string>>(`
    const r = {};
    for (const name of ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512', 'MD5', 'sha-256']) r[name] = hex(await crypto.subtle.digest(name, utf8('abc')));
    r.empty = hex(await crypto.subtle.digest({ name: 'SHA-256' }, new ArrayBuffer(0)));
    const big = new Uint8Array(1 << 20).fill(0x61);
    r.view = hex(await crypto.subtle.digest('SHA-256', new DataView(utf8('xabcx').buffer, 1, 3)));
    r.bigLen = (await crypto.subtle.digest('SHA-512', big)).byteLength;
    return r;
  `);
  assert.equal(out['SHA-1'], 'a9993e364706816aba3e25717850c26c9cd0d89d');
  assert.equal(out['SHA-256'], 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(out['sha-256'], out['SHA-256']);
  assert.equal(out['SHA-384'], 'cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7');
  assert.equal(out['SHA-512'], 'ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f');
  assert.equal(out.MD5, '900150983cd24fb0d6963f7d28e17f72');
  assert.equal(out.empty, 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(out.view, out['SHA-256']);
  assert.equal(out.bigLen, 64);
});

test('SubtleCrypto: digest: rejects bad input with the platform error types', async () => {
  const out = await run<string[]>(`
    return [
      await rejects(crypto.subtle.digest('SHA-7', utf8('x'))),
      await rejects(crypto.subtle.digest('SHA-256', 'abc')),
      await rejects(crypto.subtle.digest('SHA-256')),
      await rejects(crypto.subtle.digest({}, utf8('x'))),
      await rejects(crypto.subtle.digest(Symbol('x'), utf8('x'))),
      await rejects(crypto.subtle.digest('SHA-256', { byteLength: 3 })),
    ];
  `);
  assert.equal(out[0], 'NotSupportedError: Unrecognized algorithm name');
  assert.match(out[1], /^TypeError: .*'digest'.*ArrayBuffer or ArrayBufferView/);
  assert.match(out[2], /^TypeError: .*2 arguments required, but only 1 present/);
  assert.match(out[3], /^TypeError: .*'name'/);
  assert.match(out[4], /^TypeError/);
  assert.match(out[5], /^TypeError: .*ArrayBuffer or ArrayBufferView/);
});

test('SubtleCrypto: sign: HMAC matches RFC 4231 test cases 1 and 2, and verify checks them', async () => {
  const out = await run<Record<string, unknown>>(`
    const k1 = await crypto.subtle.importKey('raw', new Uint8Array(20).fill(0x0b), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign', 'verify']);
    const k1b = await crypto.subtle.importKey('raw', new Uint8Array(20).fill(0x0b), { name: 'HMAC', hash: { name: 'SHA-512' } }, false, ['sign']);
    const k2 = await crypto.subtle.importKey('raw', utf8('Jefe'), { name: 'HMAC', hash: 'SHA-384' }, false, ['sign', 'verify']);
    const s1 = await crypto.subtle.sign('HMAC', k1, utf8('Hi There'));
    const s2 = await crypto.subtle.sign({ name: 'HMAC' }, k2, utf8('what do ya want for nothing?'));
    const bad = new Uint8Array(s1.slice(0)); bad[0] ^= 1;
    return {
      tc1: hex(s1), tc1sha512: hex(await crypto.subtle.sign('HMAC', k1b, utf8('Hi There'))), tc2: hex(s2),
      ok: await crypto.subtle.verify('HMAC', k1, s1, utf8('Hi There')),
      tampered: await crypto.subtle.verify('HMAC', k1, bad, utf8('Hi There')),
      algorithm: k1.algorithm, type: k1.type, extractable: k1.extractable, usages: k1.usages,
      cached: k1.algorithm === k1.algorithm && k1.usages === k1.usages,
      raw: hex(await crypto.subtle.exportKey('raw', k1)),
      jwk: await crypto.subtle.exportKey('jwk', k1),
    };
  `);
  assert.equal(out.tc1, 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7');
  assert.equal(out.tc1sha512, '87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cdedaa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854');
  assert.equal(out.tc2, 'af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e8e2240ca5e69e2c78b3239ecfab21649');
  assert.equal(out.ok, true);
  assert.equal(out.tampered, false);
  assert.deepEqual(out.algorithm, { name: 'HMAC', length: 160, hash: { name: 'SHA-256' } });
  assert.equal(out.type, 'secret');
  assert.equal(out.extractable, true);
  assert.deepEqual(out.usages, ['sign', 'verify']);
  assert.equal(out.cached, true);
  assert.equal(out.raw, '0b'.repeat(20));
  assert.deepEqual(out.jwk, { key_ops: ['sign', 'verify'], ext: true, kty: 'oct', k: 'CwsLCwsLCwsLCwsLCwsLCwsLCws', alg: 'HS256' });
});

test('SubtleCrypto: verify: accepts RS256 and ES256 JWTs signed on the host by node:crypto', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const b64u = (b: Buffer | string) => Buffer.from(b).toString('base64url');
  const jwt = (alg: string, signer: (input: string) => Buffer) => {
    const input = `${b64u(JSON.stringify({ alg, typ: 'JWT' }))}.${b64u(JSON.stringify({ sub: 'atoll', iat: 1700000000 }))}`;
    return `${input}.${b64u(signer(input))}`;
  };
  const rs256 = jwt('RS256', (input) => createSign('sha256').update(input).sign(rsa.privateKey));
  const es256 = jwt('ES256', (input) => nodeSign('sha256', Buffer.from(input), { key: ec.privateKey, dsaEncoding: 'ieee-p1363' }));
  const rsaJwk = rsa.publicKey.export({ format: 'jwk' });
  const ecSpki = ec.publicKey.export({ format: 'der', type: 'spki' }).toString('hex');
  const out = await run<Record<string, unknown>>(`
    async function check(token, key, alg) {
      const [h, p, s] = token.split('.');
      return crypto.subtle.verify(alg, key, b64url(s), utf8(h + '.' + p));
    }
    const rsaKey = await crypto.subtle.importKey('jwk', ${JSON.stringify(rsaJwk)}, { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }, false, ['verify']);
    const ecKey = await crypto.subtle.importKey('spki', unhex('${ecSpki}'), { name: 'ECDSA', namedCurve: 'P-256' }, true, ['verify']);
    const rs = ${JSON.stringify(rs256)}, es = ${JSON.stringify(es256)};
    const forged = rs.slice(0, -6) + (rs.endsWith('AAAAAA') ? 'BBBBBB' : 'AAAAAA');
    return {
      rs256: await check(rs, rsaKey, 'RSASSA-PKCS1-v1_5'),
      es256: await check(es, ecKey, { name: 'ECDSA', hash: 'SHA-256' }),
      forged: await check(forged, rsaKey, 'RSASSA-PKCS1-v1_5'),
      rsaAlg: { ...rsaKey.algorithm, publicExponent: [...rsaKey.algorithm.publicExponent] },
      ecAlg: ecKey.algorithm, ecType: ecKey.type,
      ecJwk: await crypto.subtle.exportKey('jwk', ecKey),
    };
  `);
  assert.equal(out.rs256, true);
  assert.equal(out.es256, true);
  assert.equal(out.forged, false);
  assert.deepEqual(out.rsaAlg, { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: [1, 0, 1], hash: { name: 'SHA-256' } });
  assert.deepEqual(out.ecAlg, { name: 'ECDSA', namedCurve: 'P-256' });
  assert.equal(out.ecType, 'public');
  const ecJwk = out.ecJwk as Record<string, string>;
  const hostJwk = ec.publicKey.export({ format: 'jwk' });
  assert.equal(ecJwk.x, hostJwk.x);
  assert.equal(ecJwk.y, hostJwk.y);
});

test('SubtleCrypto: sign: RSA-PSS, ECDSA P-384 and Ed25519 signatures made in the isolate verify on the host', async () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = rsa.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex');
  const out = await run<Record<string, string>>(`
    const data = utf8('signed in an isolate');
    const pss = await crypto.subtle.importKey('pkcs8', unhex('${pkcs8}'), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['sign']);
    const p384 = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-384' }, true, ['sign', 'verify']);
    const ed = await crypto.subtle.generateKey('Ed25519', true, ['sign', 'verify']);
    const edSig = await crypto.subtle.sign('Ed25519', ed.privateKey, data);
    return {
      pss: hex(await crypto.subtle.sign({ name: 'RSA-PSS', saltLength: 32 }, pss, data)),
      p384: hex(await crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-384' }, p384.privateKey, data)),
      p384Spki: hex(await crypto.subtle.exportKey('spki', p384.publicKey)),
      ed: hex(edSig),
      edRaw: hex(await crypto.subtle.exportKey('raw', ed.publicKey)),
      edSpki: hex(await crypto.subtle.exportKey('spki', ed.publicKey)),
      edSelf: String(await crypto.subtle.verify('Ed25519', ed.publicKey, edSig, data)),
      edAlg: JSON.stringify(ed.privateKey.algorithm) + ed.privateKey.usages.join(','),
    };
  `);
  const data = Buffer.from('signed in an isolate');
  assert.ok(nodeVerify('sha256', data, { key: rsa.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, Buffer.from(out.pss, 'hex')));
  const p384 = createPublicKey({ key: Buffer.from(out.p384Spki, 'hex'), format: 'der', type: 'spki' });
  assert.ok(nodeVerify('sha384', data, { key: p384, dsaEncoding: 'ieee-p1363' }, Buffer.from(out.p384, 'hex')));
  const ed = createPublicKey({ key: Buffer.from(out.edSpki, 'hex'), format: 'der', type: 'spki' });
  assert.ok(nodeVerify(null, data, ed, Buffer.from(out.ed, 'hex')));
  assert.equal(out.edRaw.length, 64);
  assert.equal(out.edSelf, 'true');
  assert.equal(out.edAlg, '{"name":"Ed25519"}sign');
});

test('SubtleCrypto: encrypt: AES-CBC and AES-CTR agree with node:crypto; AES-GCM round-trips and detects tampering', async () => {
  const key = Buffer.from('000102030405060708090a0b0c0d0e0f', 'hex');
  const iv = Buffer.from('f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff', 'hex');
  const text = 'The quick brown fox jumps over the lazy dog';
  const cbc = (() => { const c = createCipheriv('aes-128-cbc', key, iv); return Buffer.concat([c.update(text), c.final()]).toString('hex'); })();
  const ctr = (() => { const c = createCipheriv('aes-128-ctr', key, iv); return Buffer.concat([c.update(text), c.final()]).toString('hex'); })();
  const out = await run<Record<string, string>>(`
    const raw = unhex('${key.toString('hex')}'), iv = unhex('${iv.toString('hex')}');
    const cbcKey = await crypto.subtle.importKey('raw', raw, 'AES-CBC', false, ['encrypt', 'decrypt']);
    const ctrKey = await crypto.subtle.importKey('raw', raw, { name: 'AES-CTR' }, false, ['encrypt', 'decrypt']);
    const gcmKey = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, ['encrypt', 'decrypt']);
    const cbc = await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, cbcKey, utf8(${JSON.stringify(text)}));
    const ctr = await crypto.subtle.encrypt({ name: 'AES-CTR', counter: iv, length: 64 }, ctrKey, utf8(${JSON.stringify(text)}));
    const gcmIv = crypto.getRandomValues(new Uint8Array(12));
    const sealed = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: gcmIv, additionalData: utf8('aad') }, gcmKey, utf8('secret'));
    const opened = await crypto.subtle.decrypt({ name: 'AES-GCM', iv: gcmIv, additionalData: utf8('aad') }, gcmKey, sealed);
    const tampered = new Uint8Array(sealed); tampered[0] ^= 1;
    return {
      cbc: hex(cbc), ctr: hex(ctr),
      cbcBack: new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-CBC', iv }, cbcKey, cbc)),
      gcm: new TextDecoder().decode(opened), gcmLen: String(sealed.byteLength),
      tampered: await rejects(crypto.subtle.decrypt({ name: 'AES-GCM', iv: gcmIv, additionalData: utf8('aad') }, gcmKey, tampered)),
      badIv: await rejects(crypto.subtle.encrypt({ name: 'AES-CBC', iv: new Uint8Array(3) }, cbcKey, utf8('x'))),
      noIv: await rejects(crypto.subtle.encrypt({ name: 'AES-CBC' }, cbcKey, utf8('x'))),
      gcmAlg: JSON.stringify(gcmKey.algorithm),
    };
  `);
  assert.equal(out.cbc, cbc);
  assert.equal(out.ctr, ctr);
  assert.equal(out.cbcBack, text);
  assert.equal(out.gcm, 'secret');
  assert.equal(out.gcmLen, String(6 + 16));
  assert.match(out.tampered, /^OperationError/);
  assert.match(out.badIv, /^OperationError/);
  assert.match(out.noIv, /^TypeError/);
  assert.equal(out.gcmAlg, '{"name":"AES-GCM","length":256}');
});

test('SubtleCrypto: encrypt: RSA-OAEP round-trips with a label and decrypts what node:crypto encrypted', async () => {
  const host = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const pkcs8 = host.privateKey.export({ format: 'der', type: 'pkcs8' }).toString('hex');
  const fromHost = publicEncrypt({ key: host.publicKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256', oaepLabel: Buffer.from('H') }, Buffer.from('from the host')).toString('hex');
  const out = await run<Record<string, string>>(`
    const pair = await crypto.subtle.generateKey({ name: 'RSA-OAEP', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' }, true, ['encrypt', 'decrypt']);
    const label = utf8('L');
    const ct = await crypto.subtle.encrypt({ name: 'RSA-OAEP', label }, pair.publicKey, utf8('oaep'));
    const hostKey = await crypto.subtle.importKey('pkcs8', unhex('${pkcs8}'), { name: 'RSA-OAEP', hash: 'SHA-256' }, false, ['decrypt']);
    return {
      back: new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'RSA-OAEP', label }, pair.privateKey, ct)),
      wrongLabel: await rejects(crypto.subtle.decrypt({ name: 'RSA-OAEP', label: utf8('M') }, pair.privateKey, ct)),
      fromHost: new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'RSA-OAEP', label: utf8('H') }, hostKey, unhex('${fromHost}'))),
      spki: hex(await crypto.subtle.exportKey('spki', pair.publicKey)),
      ct: hex(ct),
    };
  `);
  assert.equal(out.back, 'oaep');
  assert.match(out.wrongLabel, /^OperationError/);
  assert.equal(out.fromHost, 'from the host');
  // And the other way: the host can use the isolate's exported public key.
  const isolatePublic = createPublicKey({ key: Buffer.from(out.spki, 'hex'), format: 'der', type: 'spki' });
  assert.equal(isolatePublic.asymmetricKeyDetails?.modulusLength, 2048);
  assert.equal(out.ct.length, 512);
});

test('SubtleCrypto: deriveBits: HKDF matches RFC 5869, PBKDF2 matches RFC 6070, ECDH and X25519 agree both ways', async () => {
  const out = await run<Record<string, unknown>>(`
    const ikm = await crypto.subtle.importKey('raw', new Uint8Array(22).fill(0x0b), 'HKDF', false, ['deriveBits', 'deriveKey']);
    const hkdf = await crypto.subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: unhex('000102030405060708090a0b0c'), info: unhex('f0f1f2f3f4f5f6f7f8f9') }, ikm, 42 * 8);
    const pw = await crypto.subtle.importKey('raw', utf8('password'), { name: 'PBKDF2' }, false, ['deriveBits', 'deriveKey']);
    const pbkdf2 = await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-1', salt: utf8('salt'), iterations: 2 }, pw, 160);
    const aes = await crypto.subtle.deriveKey({ name: 'PBKDF2', hash: 'SHA-256', salt: utf8('salt'), iterations: 1000 }, pw, { name: 'AES-GCM', length: 128 }, true, ['encrypt']);
    const a = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits', 'deriveKey']);
    const b = await crypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
    const ab = await crypto.subtle.deriveBits({ name: 'ECDH', public: b.publicKey }, a.privateKey, 256);
    const ba = await crypto.subtle.deriveBits({ name: 'ECDH', public: a.publicKey }, b.privateKey, 256);
    const x = await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
    const y = await crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
    const xy = await crypto.subtle.deriveBits({ name: 'X25519', public: y.publicKey }, x.privateKey, null);
    const yx = await crypto.subtle.deriveBits({ name: 'X25519', public: x.publicKey }, y.privateKey);
    const shared = await crypto.subtle.deriveKey({ name: 'ECDH', public: b.publicKey }, a.privateKey, { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
    return {
      hkdf: hex(hkdf), pbkdf2: hex(pbkdf2), aes: aes.algorithm, aesLen: (await crypto.subtle.exportKey('raw', aes)).byteLength,
      ecdh: hex(ab) === hex(ba) && ab.byteLength === 32, x25519: hex(xy) === hex(yx) && xy.byteLength === 32,
      shared: shared.algorithm,
      wrongCurve: await rejects(crypto.subtle.deriveBits({ name: 'ECDH', public: x.publicKey }, a.privateKey, 256)),
      notKey: await rejects(crypto.subtle.deriveBits({ name: 'ECDH', public: {} }, a.privateKey, 256)),
    };
  `);
  assert.equal(out.hkdf, '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865');
  assert.equal(out.pbkdf2, 'ea6c014dc72d6f8ccd1ed92ace1d41f0d8de8957');
  assert.deepEqual(out.aes, { name: 'AES-GCM', length: 128 });
  assert.equal(out.aesLen, 16);
  assert.equal(out.ecdh, true);
  assert.equal(out.x25519, true);
  assert.deepEqual(out.shared, { name: 'HMAC', length: 256, hash: { name: 'SHA-256' } });
  assert.match(out.wrongCurve as string, /^InvalidAccessError/);
  assert.match(out.notKey as string, /^TypeError: .*'public'.*CryptoKey/);
});

test('SubtleCrypto: wrapKey: AES-KW wraps a key that unwrapKey restores', async () => {
  const out = await run<Record<string, unknown>>(`
    const kek = await crypto.subtle.generateKey({ name: 'AES-KW', length: 256 }, false, ['wrapKey', 'unwrapKey']);
    const key = await crypto.subtle.importKey('raw', new Uint8Array(16).fill(7), 'AES-GCM', true, ['encrypt', 'decrypt']);
    const wrapped = await crypto.subtle.wrapKey('raw', key, kek, 'AES-KW');
    const back = await crypto.subtle.unwrapKey('raw', wrapped, kek, 'AES-KW', 'AES-GCM', true, ['decrypt']);
    const jwkWrapped = await crypto.subtle.wrapKey('jwk', key, await crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['wrapKey', 'unwrapKey']), { name: 'AES-GCM', iv: new Uint8Array(12) });
    return { len: wrapped.byteLength, back: hex(await crypto.subtle.exportKey('raw', back)), usages: back.usages, jwkLen: jwkWrapped.byteLength > 40 };
  `);
  assert.equal(out.len, 24);
  assert.equal(out.back, '07'.repeat(16));
  assert.deepEqual(out.usages, ['decrypt']);
  assert.equal(out.jwkLen, true);
});

test('SubtleCrypto: importKey/exportKey: reject bad keys, usages and formats with the spec errors', async () => {
  const out = await run<Record<string, string>>(`
    const hmac = await crypto.subtle.importKey('raw', utf8('k'), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    const pair = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign', 'verify']);
    return {
      shortAes: await rejects(crypto.subtle.importKey('raw', new Uint8Array(5), 'AES-GCM', false, ['encrypt'])),
      badUsage: await rejects(crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['sign'])),
      unknownUsage: await rejects(crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, ['fly'])),
      usagesNotSeq: await rejects(crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-GCM', false, 3)),
      badFormat: await rejects(crypto.subtle.importKey('pem', new Uint8Array(16), 'AES-GCM', false, ['encrypt'])),
      badSpki: await rejects(crypto.subtle.importKey('spki', new Uint8Array(40), { name: 'ECDSA', namedCurve: 'P-256' }, false, ['verify'])),
      badJwk: await rejects(crypto.subtle.importKey('jwk', { kty: 'oct', k: 'AAAA', alg: 'A256GCM' }, 'AES-GCM', false, ['encrypt'])),
      jwkNotObject: await rejects(crypto.subtle.importKey('jwk', 'x', 'AES-GCM', false, ['encrypt'])),
      rawNotBytes: await rejects(crypto.subtle.importKey('raw', 'x', 'AES-GCM', false, ['encrypt'])),
      unknownAlg: await rejects(crypto.subtle.importKey('raw', new Uint8Array(16), 'AES-XYZ', false, ['encrypt'])),
      noExport: await rejects(crypto.subtle.exportKey('raw', hmac)),
      wrongUsage: await rejects(crypto.subtle.verify({ name: 'HMAC' }, hmac, new Uint8Array(32), utf8('x'))),
      wrongAlg: await rejects(crypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, hmac, utf8('x'))),
      ecdsaNoHash: await rejects(crypto.subtle.sign('ECDSA', pair.privateKey, utf8('x'))),
      noUsages: await rejects(crypto.subtle.generateKey({ name: 'AES-GCM', length: 128 }, false, [])),
      badLength: await rejects(crypto.subtle.generateKey({ name: 'AES-GCM', length: 100 }, false, ['encrypt'])),
      privateAsPublic: await rejects(crypto.subtle.verify({ name: 'ECDSA', hash: 'SHA-256' }, pair.privateKey, new Uint8Array(64), utf8('x'))),
      notAKey: await rejects(crypto.subtle.sign('HMAC', { type: 'secret' }, utf8('x'))),
      exportPrivateRaw: await rejects(crypto.subtle.exportKey('raw', pair.publicKey)),
    };
  `);
  assert.match(out.shortAes, /^DataError/);
  assert.match(out.badUsage, /^SyntaxError/);
  assert.match(out.unknownUsage, /^(TypeError|SyntaxError)/);
  assert.match(out.usagesNotSeq, /^TypeError: .*sequence/);
  assert.match(out.badFormat, /^(TypeError|NotSupportedError)/);
  assert.match(out.badSpki, /^DataError/);
  assert.match(out.badJwk, /^DataError/);
  assert.match(out.jwkNotObject, /^TypeError: .*JsonWebKey/);
  assert.match(out.rawNotBytes, /^TypeError/);
  assert.match(out.unknownAlg, /^NotSupportedError/);
  assert.match(out.noExport, /^InvalidAccessError/);
  assert.match(out.wrongUsage, /^InvalidAccessError/);
  assert.match(out.wrongAlg, /^InvalidAccessError/);
  assert.match(out.ecdsaNoHash, /^TypeError: .*'hash' is required/);
  assert.match(out.noUsages, /^SyntaxError/);
  assert.match(out.badLength, /^OperationError/);
  assert.match(out.privateAsPublic, /^InvalidAccessError/);
  assert.match(out.notAKey, /^TypeError: Failed to execute 'sign' on 'SubtleCrypto': parameter 2 is not of type 'CryptoKey'/);
  assert.equal(out.exportPrivateRaw, 'resolved', 'an EC public key exports as raw');
});

test('SubtleCrypto: timingSafeEqual: compares bytes and refuses different lengths', async () => {
  const out = await run<unknown[]>(`
    const s = crypto.subtle;
    let err; try { s.timingSafeEqual(new Uint8Array(2), new Uint8Array(3)); } catch (e) { err = e.name; }
    return [s.timingSafeEqual(utf8('abc'), utf8('abc')), s.timingSafeEqual(utf8('abc'), utf8('abd')), s.timingSafeEqual(new ArrayBuffer(0), new Uint8Array(0)), err];
  `);
  assert.deepEqual(out, [true, false, true, 'TypeError']);
});
