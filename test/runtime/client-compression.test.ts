// Compression of worker responses for clients that accept it: br and gzip bodies the
// client decodes, streamed without holding back the first bytes; bodies the worker
// encoded itself, HEAD, 204 and 304 untouched; types not worth compressing left alone.

import assert from 'node:assert/strict';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, createBrotliDecompress, createGunzip, gunzipSync, gzipSync } from 'node:zlib';
import { negotiate } from '../../src/runtime/client-compression.ts';
import { startWorker, type TestWorker } from '../helpers/worker.ts';

const HTML = `<!doctype html><title>x</title>${'<p>compress me, I repeat myself</p>\n'.repeat(200)}`;
const PRE = [...gzipSync('already gzipped '.repeat(100))];

const WORKER = `
let release;
export default { async fetch(request) {
  const path = new URL(request.url).pathname;
  const html = { 'content-type': 'text/html; charset=utf-8' };
  if (path === '/html') return new Response(${JSON.stringify(HTML)}, { headers: { ...html, etag: '"v1"', vary: 'Origin' } });
  if (path === '/json') return Response.json({ items: Array.from({ length: 200 }, (_, i) => ({ i, name: 'item ' + i })) });
  if (path === '/png') return new Response(new Uint8Array(4096), { headers: { 'content-type': 'image/png' } });
  if (path === '/tiny') return new Response('<p>hi</p>', { headers: html });
  if (path === '/manual') return new Response(new Uint8Array(${JSON.stringify(PRE)}), { headers: { ...html, 'content-encoding': 'gzip' }, encodeBody: 'manual' });
  if (path === '/manual-plain') return new Response(${JSON.stringify(HTML)}, { headers: html, encodeBody: 'manual' });
  if (path === '/no-transform') return new Response(${JSON.stringify(HTML)}, { headers: { ...html, 'cache-control': 'no-transform' } });
  if (path === '/204') return new Response(null, { status: 204, headers: html });
  if (path === '/304') return new Response(null, { status: 304, headers: { ...html, etag: '"v1"' } });
  if (path === '/release') { release?.(); return new Response('released'); }
  if (path === '/slow') {
    // First part now; the rest only when the test asks for it, after it saw the first.
    const { readable, writable } = new TransformStream();
    const w = writable.getWriter();
    const enc = new TextEncoder();
    (async () => {
      await w.write(enc.encode('<h1>first part</h1>'));
      await new Promise((r) => { release = r; });
      await w.write(enc.encode('<p>second part</p>'.repeat(100)));
      await w.close();
    })();
    return new Response(readable, { headers: html });
  }
  return new Response('not found', { status: 404 });
} };`;

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  raw: Buffer;
}

function get(url: string, headers: Record<string, string>, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, raw: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.setTimeout(30_000, () => req.destroy(new Error(`${url} timed out`)));
    req.on('error', reject);
    req.end();
  });
}

describe('http: compression to clients', () => {
  let w: TestWorker;
  before(async () => { w = await startWorker(WORKER, { limits: { cpuMs: 2000 } }); });
  after(async () => { await w?.close(); });

  test('compression: br for a client that accepts br and gzip; the client decodes the same HTML', async () => {
    const r = await get(`${w.url}/html`, { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(r.status, 200);
    assert.equal(r.headers['content-encoding'], 'br');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers['transfer-encoding'], 'chunked');
    assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
    assert.equal(r.headers.etag, 'W/"v1"', 'the compressed bytes are another representation: the ETag is weak');
    assert.equal(brotliDecompressSync(r.raw).toString(), HTML);
    assert.ok(r.raw.length < HTML.length / 5, `compressed to ${r.raw.length} of ${HTML.length} bytes`);
  });

  test('compression: gzip for a gzip-only client, and for JSON', async () => {
    const r = await get(`${w.url}/html`, { 'accept-encoding': 'gzip' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.equal(gunzipSync(r.raw).toString(), HTML);
    const j = await get(`${w.url}/json`, { 'accept-encoding': 'br;q=0.5, gzip;q=0.9' });
    assert.equal(j.headers['content-encoding'], 'gzip', 'the higher weight wins');
    assert.equal((JSON.parse(gunzipSync(j.raw).toString()) as { items: unknown[] }).items.length, 200);
  });

  test('compression: a client that accepts neither gets the body as it is, with Vary and its Content-Length', async () => {
    for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0', 'deflate']) {
      const r = await get(`${w.url}/html`, accept === undefined ? {} : { 'accept-encoding': accept });
      assert.equal(r.headers['content-encoding'], undefined, String(accept));
      assert.equal(r.headers['content-length'], String(Buffer.byteLength(HTML)));
      assert.equal(r.headers.vary, 'Origin, Accept-Encoding');
      assert.equal(r.headers.etag, '"v1"');
      assert.equal(r.raw.toString(), HTML);
    }
  });

  test('compression: a streamed body: the first bytes arrive decoded before the worker writes the rest', async () => {
    for (const coding of ['br', 'gzip'] as const) {
      const text = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(`${w.url}/slow`, { headers: { 'accept-encoding': coding } }, (res) => {
          assert.equal(res.headers['content-encoding'], coding);
          const decoder = coding === 'br' ? createBrotliDecompress() : createGunzip();
          let out = '';
          let released = false;
          decoder.on('data', (d: Buffer) => {
            out += d.toString();
            // The worker is still waiting for /release: this part was flushed, not buffered.
            if (!released && out.includes('<h1>first part</h1>')) {
              released = true;
              get(`${w.url}/release`, {}).catch(reject);
            }
          });
          decoder.on('end', () => resolve(out));
          decoder.on('error', reject);
          res.pipe(decoder);
        });
        req.setTimeout(30_000, () => req.destroy(new Error('the first part never arrived: the encoder held it back')));
        req.on('error', reject);
        req.end();
      });
      assert.equal(text, `<h1>first part</h1>${'<p>second part</p>'.repeat(100)}`);
    }
  });

  test('compression: a body the worker encoded itself (encodeBody "manual") passes through untouched', async () => {
    const r = await get(`${w.url}/manual`, { 'accept-encoding': 'br' });
    assert.equal(r.headers['content-encoding'], 'gzip');
    assert.deepEqual([...r.raw], PRE);
    const plain = await get(`${w.url}/manual-plain`, { 'accept-encoding': 'br' });
    assert.equal(plain.headers['content-encoding'], undefined, 'manual with no Content-Encoding: sent as it is');
    assert.equal(plain.raw.toString(), HTML);
  });

  test('compression: HEAD, 204 and 304 are untouched', async () => {
    const head = await get(`${w.url}/html`, { 'accept-encoding': 'br' }, 'HEAD');
    assert.equal(head.headers['content-encoding'], undefined);
    assert.equal(head.headers['content-length'], String(Buffer.byteLength(HTML)));
    assert.equal(head.raw.length, 0);
    for (const path of ['/204', '/304']) {
      const r = await get(`${w.url}${path}`, { 'accept-encoding': 'br' });
      assert.equal(r.headers['content-encoding'], undefined, path);
      assert.equal(r.raw.length, 0, path);
    }
  });

  test('compression: images, tiny bodies and no-transform responses are not compressed', async () => {
    for (const path of ['/png', '/tiny', '/no-transform']) {
      const r = await get(`${w.url}${path}`, { 'accept-encoding': 'br, gzip' });
      assert.equal(r.headers['content-encoding'], undefined, path);
      assert.ok(r.headers['content-length'], path);
    }
  });
});

test('compression: Accept-Encoding negotiation: weights, wildcards and nonsense (client input)', () => {
  assert.equal(negotiate('gzip, deflate, br'), 'br');
  assert.equal(negotiate('gzip;q=1, br;q=0.8'), 'gzip');
  assert.equal(negotiate('*'), 'br');
  assert.equal(negotiate('*;q=0.5, br;q=0'), 'gzip');
  assert.equal(negotiate('x-gzip'), 'gzip');
  assert.equal(negotiate('identity;q=1, *;q=0'), null);
  for (const bad of ['', ',,,', 'br;q=banana', ';;;', 'gzip;q=2', 'é'.repeat(500)]) {
    // A weight that is not a number counts as no weight (1), never as a crash.
    assert.doesNotThrow(() => negotiate(bad), bad);
  }
  assert.equal(negotiate('br;q=banana'), 'br');
});
