// examples/sign-binary: a binary from the origin, streamed to the signed-in customer with
// a licence block appended and signed (ECDSA P-256, key from a secret). The signature is
// checked here with node:crypto against the key pair the test made.

import assert from 'node:assert/strict';
import { createHash, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { gate, runExample, startFake, WAIT_MS, type FakeService, type RunningExample } from './harness.ts';

const TOKEN = 'tok_grace_51aa';
const CUSTOMER = { id: 'cust_7', name: 'Grace Hopper' };
const sha256 = (b: string | Uint8Array) => createHash('sha256').update(b).digest('hex');
const BEGIN = Buffer.from('\n-----BEGIN ATOLL LICENCE-----\n');
const END = '-----END ATOLL LICENCE-----\n';

/** Splits a download into the binary, the licence JSON's bytes and the signature. */
function parse(download: Buffer): { binary: Buffer; licence: Buffer; signature: Buffer } {
  const at = download.lastIndexOf(BEGIN);
  assert.ok(at >= 0, 'a licence block');
  const block = download.subarray(at + BEGIN.length).toString('latin1');
  assert.ok(block.endsWith(END), 'the block ends the file');
  const [licence, signature, end, rest] = block.split('\n');
  assert.equal(`${end}\n${rest}`, END);
  return { binary: download.subarray(0, at), licence: Buffer.from(licence, 'latin1'), signature: Buffer.from(signature, 'base64') };
}

const verifies = (data: Buffer, signature: Buffer, key: KeyObject) =>
  verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);

describe('examples/sign-binary', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  // Bytes that look like an executable, and a second part the origin holds back.
  const head = Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(64 * 1024 - 7, 0x90)]);
  const tail = Buffer.from(Array.from({ length: 100_000 }, (_, i) => (i * 31) & 0xff));
  const binary = Buffer.concat([head, tail]);
  let release = gate();
  let origin: FakeService;
  let ex: RunningExample;
  const auth = { authorization: `Bearer ${TOKEN}` };

  before(async () => {
    origin = await startFake(async (req, res) => {
      if (req.url === '/downloads/tools/atoll-cli-1.2.bin') {
        res.writeHead(200, { 'content-type': 'application/x-executable', 'content-length': binary.length, etag: '"b1"', 'accept-ranges': 'bytes' });
        res.write(head);
        await release.promise;
        res.end(tail);
      } else {
        res.writeHead(404, { 'content-type': 'text/plain' });
        res.end('no such file');
      }
    });
    ex = await runExample('sign-binary', {
      origin: origin.url,
      vars: { SIGNING_KEY: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string },
      kv: { CUSTOMERS: { [sha256(TOKEN)]: JSON.stringify(CUSTOMER) } },
    });
  });
  after(async () => {
    release.open();
    await ex?.close();
    await origin?.close();
  });

  it('GET: the first bytes arrive while the origin still holds the rest; then the binary, unchanged, and a signed licence', async () => {
    release = gate();
    const before = origin.requests.length;
    const res = await ex.fetch('/downloads/tools/atoll-cli-1.2.bin', { headers: { ...auth, range: 'bytes=0-99' } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'application/octet-stream');
    assert.equal(res.headers.get('content-disposition'), 'attachment; filename="atoll-cli-1.2.bin"');
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    for (const h of ['content-length', 'etag', 'accept-ranges']) assert.equal(res.headers.get(h), null, h);

    // The origin has sent only `head`; its first bytes must reach us before it sends more.
    const reader = res.body!.getReader();
    const chunks: Buffer[] = [];
    let received = 0;
    while (received < 7) {
      const { value, done } = await reader.read();
      assert.ok(!done, 'the body ended before the origin finished');
      chunks.push(Buffer.from(value));
      received += value.length;
    }
    assert.equal(Buffer.concat(chunks).subarray(0, 7).toString('latin1'), '\x7fELF\x02\x01\x01');
    release.open();
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(Buffer.from(value));
    }

    const { binary: got, licence, signature } = parse(Buffer.concat(chunks));
    assert.ok(got.equals(binary), 'the binary is passed through byte for byte');
    const lic = JSON.parse(licence.toString('utf8'));
    assert.deepEqual(lic.licensee, CUSTOMER);
    assert.equal(lic.file, 'tools/atoll-cli-1.2.bin');
    assert.equal(lic.size, binary.length);
    assert.equal(lic.sha256, sha256(binary));
    assert.ok(Math.abs(Date.parse(lic.issued) - Date.now()) < 5 * 60_000, lic.issued);
    assert.equal(signature.length, 64, 'an IEEE P1363 (r || s) P-256 signature');
    assert.ok(verifies(licence, signature, publicKey), 'the signature verifies with the public key');
    const forged = Buffer.from(licence.toString('utf8').replace('Grace Hopper', 'Mallory'));
    assert.ok(!verifies(forged, signature, publicKey), 'a changed licence does not verify');

    const calls = origin.requests.slice(before);
    assert.equal(calls.length, 1);
    assert.equal(calls[0].method, 'GET');
    assert.equal(calls[0].url, '/downloads/tools/atoll-cli-1.2.bin');
    assert.equal(calls[0].headers.authorization, undefined, 'the token stays at the edge');
    assert.equal(calls[0].headers.range, undefined, 'a licence covers the whole file');
  });

  it('GET /.well-known/licence-key.json: the public key, which is the secret key\'s, and no private part', async () => {
    const res = await ex.fetch('/.well-known/licence-key.json');
    assert.equal(res.status, 200);
    const { keys } = await res.json() as { keys: Record<string, string>[] };
    assert.equal(keys.length, 1);
    assert.equal(keys[0].d, undefined);
    assert.deepEqual(Object.keys(keys[0]).sort(), ['alg', 'crv', 'kty', 'use', 'x', 'y']);
    assert.equal(keys[0].alg, 'ES256');
    const published = createPublicKey({ key: keys[0] as any, format: 'jwk' });
    assert.ok(published.equals(publicKey));
  });

  it('GET without a token or with an unknown one: 401, and the origin is not asked', async () => {
    const before = origin.requests.length;
    for (const headers of [{}, { authorization: 'Bearer nope' }]) {
      const res = await ex.fetch('/downloads/tools/atoll-cli-1.2.bin', { headers });
      assert.equal(res.status, 401);
      assert.equal(res.headers.get('www-authenticate'), 'Bearer realm="downloads"');
      await res.arrayBuffer();
    }
    assert.equal(origin.requests.length, before);
  });

  it('GET of a file the origin does not have: its 404 as it is, with no licence', async () => {
    const res = await ex.fetch('/downloads/nope.bin', { headers: auth });
    assert.equal(res.status, 404);
    assert.equal(await res.text(), 'no such file');
  });

  it('paths outside /downloads/ and other methods: 404', async () => {
    assert.equal((await ex.fetch('/', { headers: auth })).status, 404);
    assert.equal((await ex.fetch('/downloads/x.bin', { method: 'POST', headers: auth, body: 'x' })).status, 404);
  });
});

describe('examples/sign-binary without its secret', () => {
  it('GET: a 500, and the log says SIGNING_KEY is not set', async () => {
    const ex = await runExample('sign-binary', { kv: { CUSTOMERS: { [sha256(TOKEN)]: JSON.stringify(CUSTOMER) } } });
    try {
      const res = await ex.fetch('/downloads/x.bin', { headers: { authorization: `Bearer ${TOKEN}` } });
      assert.equal(res.status, 500);
      await res.arrayBuffer();
      // The request's log lines are written once its response has gone out.
      const until = Date.now() + WAIT_MS;
      while (!ex.logs.some((l) => l.event === 'request') && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
      assert.ok(ex.logs.some((l) => l.event === 'exception' && /SIGNING_KEY is not set/.test(l.message)), JSON.stringify(ex.logs));
    } finally {
      await ex.close();
    }
  });
});
