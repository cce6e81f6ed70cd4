// Bodies stream across the bridge in chunks with backpressure, in both directions:
// a worker behind a real HTTP server on 127.0.0.1, driven by raw node:http clients.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { createHash } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { startWorker } from '../helpers/worker.ts';

// CPU limits are not under test here: a loaded machine can push tiny handlers past 50 ms.
const RELAXED = { limits: { cpuMs: 5000 } };

const UPPERCASE_WORKER = `export default { async fetch(req) {
  const upper = new TransformStream({ transform(chunk, c) {
    const out = new Uint8Array(chunk.length);
    for (let i = 0; i < chunk.length; i++) { const b = chunk[i]; out[i] = b >= 97 && b <= 122 ? b - 32 : b; }
    c.enqueue(out);
  } });
  return new Response(req.body.pipeThrough(upper), { headers: { 'content-type': 'text/plain' } });
} }`;

test('streaming: response body chunks may be any ArrayBuffer or view and arrive byte-exact', async () => {
  const w = await startWorker(`export default { async fetch() {
    const chunks = [new Uint8Array([65, 66]).buffer, new DataView(new Uint8Array([0, 67, 68, 0]).buffer, 1, 2), new Uint16Array([0x4645]), new Uint8Array(0), new Int8Array([71])];
    return new Response(new ReadableStream({ pull(c) { chunks.length ? c.enqueue(chunks.shift()) : c.close(); } }));
  } }`, RELAXED);
  try {
    const res = await w.fetch('/');
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ABCDEFG');
  } finally {
    await w.close();
  }
});

test('streaming: a string chunk in a response body cuts the response, the invocation records why, and the worker keeps serving', async () => {
  const w = await startWorker(`export default { async fetch(req) {
    if (new URL(req.url).pathname === '/ok') return new Response('fine');
    let n = 0;
    return new Response(new ReadableStream({ pull(c) { n++ === 0 ? c.enqueue(new TextEncoder().encode('first ')) : c.enqueue('a string'); } }));
  } }`, RELAXED);
  try {
    // The connection is cut after the head and the first chunk, or before them if the
    // server had not flushed yet: either way no clean end.
    await assert.rejects(w.fetch('/').then((res) => res.text()), /terminated|aborted|socket|other side closed|fetch failed/i);
    const inv = (await w.settled(1))[0];
    assert.ok(inv.exceptions.some((e) => /did not return bytes/.test(e.message)), JSON.stringify(inv.exceptions));
    assert.equal(await (await w.fetch('/ok')).text(), 'fine');
  } finally {
    await w.close();
  }
});

test('streaming: hostile chunks and shadowed stream methods cannot stall or fool the body bridge', async () => {
  const w = await startWorker(`export default { async fetch(req) {
    const path = new URL(req.url).pathname;
    const one = (chunk) => new Response(new ReadableStream({ start(c) { c.enqueue(chunk); c.close(); } }));
    if (path === '/getter') {
      const u8 = new Uint8Array([1, 2]);
      Object.defineProperty(u8, 'buffer', { get() { throw new Error('getter trap'); } });
      return one(u8);
    }
    if (path === '/proxy') return one(new Proxy(new Uint8Array([65]), {}));
    if (path === '/shadowed') {
      const rs = new ReadableStream({ start(c) { c.enqueue(new TextEncoder().encode('real bytes')); c.close(); } });
      rs.getReader = () => ({ read: async () => ({ done: false, value: new TextEncoder().encode('fake') }), cancel: async () => {} });
      return new Response(rs);
    }
    if (path === '/shared') {
      if (typeof SharedArrayBuffer === 'undefined') return new Response('no SharedArrayBuffer');
      const u8 = new Uint8Array(new SharedArrayBuffer(6));
      u8.set(new TextEncoder().encode('shared'));
      return one(u8);
    }
    return new Response('fine');
  } }`, RELAXED);
  try {
    // The first chunk fails, so the connection is cut before or right after the head.
    for (const path of ['/getter', '/proxy']) {
      await assert.rejects(w.fetch(path).then((res) => res.text()), /terminated|aborted|socket|other side closed|fetch failed/i, path);
    }
    assert.equal(await (await w.fetch('/shadowed')).text(), 'real bytes');
    assert.match(await (await w.fetch('/shared')).text(), /^(shared|no SharedArrayBuffer)$/);
    assert.equal(await (await w.fetch('/')).text(), 'fine');
    const invs = await w.settled(5);
    const reasons = invs.slice(0, 2).map((i) => i.exceptions.map((e) => e.message).join());
    assert.match(reasons[0], /getter trap/);
    assert.match(reasons[1], /did not return bytes/);
  } finally {
    await w.close();
  }
});

test('streaming: a body stream that errors midway cuts the HTTP response after the bytes already sent', async () => {
  const w = await startWorker(`export default { async fetch() {
    let n = 0;
    return new Response(new ReadableStream({ async pull(c) {
      if (n++ < 2) { c.enqueue(new TextEncoder().encode('part' + n + ';')); return; }
      await new Promise((r) => setTimeout(r, 5));
      c.error(new RangeError('source broke'));
    } }));
  } }`, RELAXED);
  try {
    const got = await new Promise<{ status: number; body: string; error: string | null }>((resolve) => {
      const req = request(w.url + '/', (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => { body += d; });
        res.on('end', () => resolve({ status: res.statusCode!, body, error: null }));
        res.on('error', (e) => resolve({ status: res.statusCode!, body, error: e.message }));
        res.on('aborted', () => resolve({ status: res.statusCode!, body, error: 'aborted' }));
      });
      req.end();
    });
    assert.equal(got.status, 200);
    assert.equal(got.body, 'part1;part2;');
    assert.notEqual(got.error, null, 'the client must see the response cut, not a clean end');
  } finally {
    await w.close();
  }
});

test('streaming: a client that stops reading stops the worker pulling its response stream (backpressure)', async () => {
  const w = await startWorker(`let pulls = 0;
  export default { async fetch(req) {
    if (new URL(req.url).pathname === '/count') return new Response(String(pulls));
    return new Response(new ReadableStream({ type: 'bytes', pull(c) { pulls++; c.enqueue(new Uint8Array(64 * 1024)); } }));
  } }`, RELAXED);
  try {
    const req = request(w.url + '/endless');
    const paused = new Promise<void>((resolve) => req.on('response', (res) => { res.pause(); resolve(); }));
    req.end();
    await paused;
    const count = async () => Number(await (await w.fetch('/count')).text());
    // Wait (up to 5 s on a loaded machine) until the socket buffers are full and the count settles.
    let first = await count();
    for (let i = 0; i < 50; i++) {
      await new Promise((r) => setTimeout(r, 100));
      const now = await count();
      if (now > 0 && now === first) break;
      first = now;
    }
    await new Promise((r) => setTimeout(r, 400));
    const second = await count();
    req.destroy();
    // Socket buffers hold a few MB at most; without backpressure this would be thousands.
    assert.ok(first > 0 && first < 200, `pulled ${first} chunks of 64 KB for a paused client`);
    assert.ok(second - first <= 2, `kept pulling while the client was paused: ${first} -> ${second}`);
  } finally {
    await w.close();
  }
});

test('streaming: request body piped through a TransformStream answers before the client has finished sending', async () => {
  const w = await startWorker(UPPERCASE_WORKER, RELAXED);
  try {
    const events: string[] = [];
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(w.url + '/', { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          if (text === '') events.push('first response bytes');
          text += d;
          // Only once the first bytes are back does the client send the rest.
          if (events.length === 1) setTimeout(() => { events.push('client sends the rest'); req.write('second part'); req.end(); }, 50);
        });
        res.on('end', () => resolve(text));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.write('first part, ');
    });
    assert.deepEqual(events, ['first response bytes', 'client sends the rest']);
    assert.equal(body, 'FIRST PART, SECOND PART');
  } finally {
    await w.close();
  }
});

test('streaming: chunks a worker writes later through an IdentityTransformStream reach the client as they are written', async () => {
  const w = await startWorker(`export default { async fetch(req, env, ctx) {
    const { readable, writable } = new IdentityTransformStream();
    const writer = writable.getWriter();
    const enc = new TextEncoder();
    ctx.waitUntil((async () => {
      for (const word of ['one ', 'two ', 'three']) {
        await writer.write(enc.encode(word));
        await new Promise((r) => setTimeout(r, 150));
      }
      await writer.close();
    })());
    return new Response(readable);
  } }`, RELAXED);
  try {
    const started = performance.now();
    const arrivals: [string, number][] = [];
    const res = await w.fetch('/');
    const reader = res.body!.getReader();
    const dec = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      arrivals.push([dec.decode(value), performance.now() - started]);
    }
    assert.equal(arrivals.map(([t]) => t).join(''), 'one two three');
    // The first word arrives well before the writer has finished (~450 ms in all).
    assert.ok(arrivals[0][1] < arrivals[arrivals.length - 1][1] - 200, JSON.stringify(arrivals));
  } finally {
    await w.close();
  }
});

test('streaming: a gzip request body is decompressed, transformed as text and gzipped back in one pipeline', async () => {
  const w = await startWorker(`export default { async fetch(req) {
    const shout = new TransformStream({ transform(text, c) { c.enqueue(text.toUpperCase()); } });
    const body = req.body
      .pipeThrough(new DecompressionStream('gzip'))
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(shout)
      .pipeThrough(new TextEncoderStream())
      .pipeThrough(new CompressionStream('gzip'));
    return new Response(body);
  } }`, RELAXED);
  try {
    const text = 'grüße aus atoll 😀 '.repeat(5000);
    const res = await w.fetch('/', { method: 'POST', body: gzipSync(Buffer.from(text)) });
    assert.equal(res.status, 200);
    assert.equal(gunzipSync(Buffer.from(await res.arrayBuffer())).toString(), text.toUpperCase());
    // Corrupt input errors the pipeline at its first chunk: the response is cut.
    await assert.rejects(w.fetch('/', { method: 'POST', body: 'not gzip at all' }).then((r) => r.text()), /terminated|aborted|socket|other side closed|fetch failed/i);
  } finally {
    await w.close();
  }
});

test('streaming: a 64 MB request body streams through a worker TransformStream with bounded memory', async () => {
  const TOTAL = 64 * 1024 * 1024;
  const CHUNK = 64 * 1024;
  const w = await startWorker(UPPERCASE_WORKER, { limits: { cpuMs: 60_000 } });
  try {
    // A repeating lower-case pattern; the expected output is hashed as it is produced.
    const pattern = Buffer.alloc(CHUNK);
    for (let i = 0; i < CHUNK; i++) pattern[i] = 97 + (i % 26);
    const upper = Buffer.from(pattern.toString('latin1').toUpperCase(), 'latin1');
    const expected = createHash('sha256');
    for (let sent = 0; sent < TOTAL; sent += CHUNK) expected.update(upper);

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss); }, 20);
    const started = performance.now();
    const got = await new Promise<{ bytes: number; hash: string }>((resolve, reject) => {
      const hash = createHash('sha256');
      let bytes = 0;
      const req = request(w.url + '/', { method: 'POST', headers: { 'content-length': String(TOTAL) } }, (res) => {
        res.on('data', (d: Buffer) => { bytes += d.length; hash.update(d); });
        res.on('end', () => resolve({ bytes, hash: hash.digest('hex') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      let sent = 0;
      const pump = () => {
        while (sent < TOTAL) {
          sent += CHUNK;
          if (!req.write(pattern)) { req.once('drain', pump); return; }
        }
        req.end();
      };
      pump();
    });
    const seconds = (performance.now() - started) / 1000;
    clearInterval(sampler);
    peak = Math.max(peak, process.memoryUsage().rss);
    const growthMb = (peak - baseline) / 1024 / 1024;
    const inv = (await w.settled(1))[0];
    console.log(`# 64 MB through a worker TransformStream: ${seconds.toFixed(2)} s (${(64 / seconds).toFixed(0)} MB/s), peak RSS growth ${growthMb.toFixed(1)} MB, worker CPU ${inv.cpuMs.toFixed(0)} ms`);
    assert.equal(got.bytes, TOTAL);
    assert.equal(got.hash, expected.digest('hex'));
    assert.ok(growthMb < 200, `RSS grew by ${growthMb.toFixed(1)} MB while streaming 64 MB`);
  } finally {
    await w.close();
  }
});
