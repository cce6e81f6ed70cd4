// src/runtime/http.ts: one HTTP request through a worker, including the requests a
// hostile or broken client sends. Raw sockets write what fetch() would refuse to.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { brotliDecompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS, WorkerIsolate } from '../../src/runtime/worker-isolate.ts';
import { handleClientError, invokeHttp } from '../../src/runtime/http.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import type { Invocation } from '../../src/runtime/invocation.ts';

interface Served {
  url: string;
  port: number;
  logs: string[];
  invocations: Invocation[];
  close(): Promise<void>;
}

/** Serves `code` with invokeHttp behind node:http, as a server embedding atoll would. */
async function serve(code: string, maxBodyBytes = 1024): Promise<Served> {
  const logs: string[] = [];
  const invocations: Invocation[] = [];
  const worker = await WorkerIsolate.create({
    name: 'http-test', versionId: 'v1', format: 'modules', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }], bindings: [],
    compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS, cpuMs: 1000 }, dev: true,
  }, {
    fetch: (_ctx, init, body, signal) => outboundFetch(init, body, signal),
    log: () => {},
    console: (_w, _inv, level, message) => logs.push(`${level}: ${message}`),
  });
  const server: Server = createServer({ maxHeaderSize: 8192 }, async (req, res) => {
    const url = `http://${req.headers.host ?? 'localhost'}${req.url}`;
    invocations.push(await invokeHttp(worker, req, res, { url, cf: {}, maxBodyBytes, exposeErrors: true }));
  });
  server.on('clientError', handleClientError);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    logs,
    invocations,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      worker.dispose();
    },
  };
}

/** Writes `raw` to the server and returns everything it answers until it closes (or 3 s pass). */
function rawExchange(port: number, raw: string | Buffer, opts: { endAfterWrite?: boolean } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => { socket.destroy(); resolve(Buffer.concat(chunks).toString('latin1')); }, 3000);
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', (err: NodeJS.ErrnoException) => { if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err); });
    socket.on('close', () => { clearTimeout(timer); resolve(Buffer.concat(chunks).toString('latin1')); });
    socket.write(raw);
    if (opts.endAfterWrite) socket.end();
  });
}

const ECHO = `export default { async fetch(request) {
  console.log('ran ' + request.method);
  const body = request.body ? await request.text() : null;
  return new Response(JSON.stringify({ method: request.method, length: body === null ? null : body.length }), { headers: { 'content-type': 'application/json' } });
} }`;

test('http: oversized body: a declared Content-Length past the limit gets 413 and never runs the worker', async () => {
  const s = await serve(ECHO, 1024);
  try {
    const answer = await rawExchange(s.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 999999\r\n\r\nabc');
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /The request body is 999999 bytes; the limit is 1024 bytes\./);
    assert.deepEqual(s.logs, []);
    // The server keeps serving.
    const ok = await fetch(s.url, { method: 'POST', body: 'small' });
    assert.deepEqual(await ok.json(), { method: 'POST', length: 5 });
  } finally {
    await s.close();
  }
});

test('http: oversized body: a chunked body that grows past the limit gets 413 with the limit named', async () => {
  const s = await serve(ECHO, 1024);
  try {
    const chunk = 'x'.repeat(800);
    const raw = `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n${(800).toString(16)}\r\n${chunk}\r\n${(800).toString(16)}\r\n${chunk}\r\n0\r\n\r\n`;
    const answer = await rawExchange(s.port, raw);
    assert.match(answer, /^HTTP\/1\.1 413 /);
    assert.match(answer, /The request body is larger than the limit of 1024 bytes\./);
  } finally {
    await s.close();
  }
});

test('http: huge headers: 431 with a clear reason, and the server keeps serving', async () => {
  const s = await serve(ECHO);
  try {
    const answer = await rawExchange(s.port, `GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20000)}\r\n\r\n`);
    assert.match(answer, /^HTTP\/1\.1 431 Request Header Fields Too Large/);
    assert.match(answer, /The request headers are larger than the server accepts\./);
    assert.equal((await fetch(s.url)).status, 200);
  } finally {
    await s.close();
  }
});

test('http: bad methods and garbage: unknown methods get 501, TRACE 405, a broken request line or Host 400', async () => {
  const s = await serve(ECHO);
  try {
    assert.match(await rawExchange(s.port, 'FROB / HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 (501 Not Implemented|400 Bad Request)/);
    const trace = await rawExchange(s.port, 'TRACE / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(trace, /^HTTP\/1\.1 405 /);
    assert.match(trace, /The TRACE method is not allowed\./);
    // Node's parser reads leading garbage as an unknown method.
    assert.match(await rawExchange(s.port, '\x00\x01garbage\r\n\r\n'), /^HTTP\/1\.1 501 Not Implemented[^]*not a method this server knows/);
    assert.match(await rawExchange(s.port, 'GET / HTTP/9\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request[^]*not valid HTTP\/1\.1/);
    assert.match(await rawExchange(s.port, 'GET / HTTP/1.1\r\nHost: x\r\nBad Header Name: y\r\n\r\n'), /^HTTP\/1\.1 400 Bad Request/);
    const badHost = await rawExchange(s.port, 'GET / HTTP/1.1\r\nHost: exa mple:99999\r\nConnection: close\r\n\r\n');
    assert.match(badHost, /^HTTP\/1\.1 400 [^]*The request URL \(from the Host header and the request target\) is not a valid URL\./);
    assert.deepEqual(s.logs, [], 'the worker never ran');
    assert.equal((await fetch(s.url)).status, 200);
  } finally {
    await s.close();
  }
});

test('http: client disconnects mid-body: the invocation ends as canceled and the server keeps serving', async () => {
  const s = await serve(ECHO, 1024 * 1024);
  try {
    await rawExchange(s.port, 'POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\npartial body', { endAfterWrite: true });
    for (let i = 0; i < 100 && s.invocations.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(s.invocations.length, 1);
    assert.equal(s.invocations[0].outcome, 'canceled');
    const ok = await fetch(s.url, { method: 'POST', body: 'fine' });
    assert.deepEqual(await ok.json(), { method: 'POST', length: 4 });
  } finally {
    await s.close();
  }
});

test('http: HEAD: headers and Content-Length as for GET, no body', async () => {
  const s = await serve(`export default { async fetch(request) { return new Response('twelve bytes', { headers: { 'x-kind': 'head-test' } }); } }`);
  try {
    const answer = await rawExchange(s.port, 'HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(answer, /^HTTP\/1\.1 200 OK/);
    assert.match(answer, /content-length: 12\r\n/i);
    assert.match(answer, /x-kind: head-test\r\n/i);
    assert.ok(answer.endsWith('\r\n\r\n'), `no body after the head: ${JSON.stringify(answer.slice(-20))}`);
  } finally {
    await s.close();
  }
});

test('http: null-body statuses: 204 has no Content-Length and no body, 304 no body', async () => {
  const s = await serve(`export default { async fetch(request) {
    const status = Number(new URL(request.url).searchParams.get('s'));
    return new Response(null, { status, headers: { etag: '"v1"' } });
  } }`);
  try {
    const a = await rawExchange(s.port, 'GET /?s=204 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(a, /^HTTP\/1\.1 204 No Content/);
    assert.doesNotMatch(a, /content-length/i);
    assert.ok(a.endsWith('\r\n\r\n'));
    const b = await rawExchange(s.port, 'GET /?s=304 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.match(b, /^HTTP\/1\.1 304 Not Modified/);
    assert.match(b, /etag: "v1"/i);
    assert.ok(b.endsWith('\r\n\r\n'));
  } finally {
    await s.close();
  }
});

test('http: Set-Cookie: each cookie the worker appends is its own header line', async () => {
  const s = await serve(`export default { async fetch() {
    const h = new Headers(); h.append('set-cookie', 'a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT'); h.append('set-cookie', 'b=2'); h.append('x-multi', 'one'); h.append('x-multi', 'two');
    return new Response('ok', { headers: h });
  } }`);
  try {
    const raw = await new Promise<string[]>((resolve, reject) => {
      httpRequest(s.url, (res) => { res.resume(); resolve(res.rawHeaders); }).on('error', reject).end();
    });
    const values = (name: string) => raw.filter((_, i) => i % 2 === 1 && raw[i - 1].toLowerCase() === name);
    assert.deepEqual(values('set-cookie'), ['a=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT', 'b=2']);
    assert.deepEqual(values('x-multi'), ['one, two']);
  } finally {
    await s.close();
  }
});

test('http: response headers Node cannot send: a 500 that says why, not a crash', async () => {
  const s = await serve(`export default { async fetch() { return new Response('x', { headers: { 'x-bad': 'a\\u0001b' } }); } }`);
  try {
    const res = await fetch(s.url);
    assert.equal(res.status, 500);
    assert.match(await res.text(), /The worker's response could not be sent: .*header/);
    assert.equal((await fetch(s.url)).status, 500, 'the server still answers');
  } finally {
    await s.close();
  }
});

test('http: multipart upload: request.formData() sees the fields and the files of a browser-style upload', async () => {
  const s = await serve(`export default { async fetch(request) {
    const form = await request.formData();
    const file = form.get('upload');
    return Response.json({ title: form.get('title'), name: file.name, type: file.type, size: file.size, isFile: file instanceof File,
      bytes: [...new Uint8Array(await file.arrayBuffer())].slice(0, 4) });
  } }`, 1024 * 1024);
  try {
    const fd = new FormData();
    fd.append('title', 'holiday ☀');
    fd.append('upload', new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 255, 13, 10])], { type: 'image/png' }), 'pic.png');
    const res = await fetch(s.url, { method: 'POST', body: fd });
    assert.deepEqual(await res.json(), { title: 'holiday ☀', name: 'pic.png', type: 'image/png', size: 8, isFile: true, bytes: [0x89, 0x50, 0x4e, 0x47] });
  } finally {
    await s.close();
  }
});

test('http: encodeBody: "automatic" compresses a body sent with Content-Encoding; "manual" sends the bytes as they are', async () => {
  const pre = [...gzipSync('already gzipped')];
  const s = await serve(`export default { async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/auto') return new Response('plain text '.repeat(100), { headers: { 'content-encoding': 'gzip', 'content-length': '1100' } });
    if (path === '/stream') return new Response(new Blob(['streamed '.repeat(50)]).stream(), { headers: { 'content-encoding': 'br' } });
    return new Response(new Uint8Array(${JSON.stringify(pre)}), { headers: { 'content-encoding': 'gzip' }, encodeBody: 'manual' });
  } }`);
  try {
    const get = (path: string) => new Promise<{ headers: Record<string, unknown>; body: Buffer }>((resolve, reject) => {
      httpRequest(s.url + path, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
      }).on('error', reject).end();
    });
    const auto = await get('/auto');
    assert.equal(auto.headers['content-encoding'], 'gzip');
    assert.equal(auto.headers['content-length'], undefined, 'the stale length is dropped');
    assert.equal(gunzipSync(auto.body).toString(), 'plain text '.repeat(100));
    const stream = await get('/stream');
    assert.equal(brotliDecompressSync(stream.body).toString(), 'streamed '.repeat(50));
    const manual = await get('/manual');
    assert.equal(gunzipSync(manual.body).toString(), 'already gzipped');
  } finally {
    await s.close();
  }
});

test('http: malformed heads: a response head that does not hold up is a clear 500, not a crash', async () => {
  const s = await serve(`export default { async fetch(request) {
    const path = new URL(request.url).pathname;
    if (path === '/error') return Response.error();
    // Tenant code reaching for the prelude's internals finds nothing that sets a body.
    const Body = Object.getPrototypeOf(Response);
    return new Response(String(typeof Body.init) + ',' + String(Object.getOwnPropertyNames(Body).filter((n) => !['length', 'name', 'prototype'].includes(n))));
  } }`);
  try {
    const err = await fetch(s.url + '/error');
    assert.equal(err.status, 500);
    assert.match(await err.text(), /The worker's response could not be sent: it is Response\.error\(\), a network error\./);
    assert.equal(await (await fetch(s.url + '/internals')).text(), 'undefined,');
  } finally {
    await s.close();
  }
});

test('http: request body: the worker reads the first chunk while the client is still sending', async () => {
  // The client holds the rest of its body until it has the answer: a server that
  // buffered whole bodies would never answer.
  const s = await serve(`export default { async fetch(request) {
    const { value } = await request.body.getReader().read();
    return new Response('got ' + new TextDecoder().decode(value));
  } }`, 1024 * 1024);
  try {
    const answer = await new Promise<string>((resolve, reject) => {
      const req = httpRequest(s.url, { method: 'POST', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => { text += c; });
        res.on('end', () => { req.end('rest'); resolve(text); });
      });
      req.on('error', reject);
      req.write('first');
    });
    assert.equal(answer, 'got first');
  } finally {
    await s.close();
  }
});

test('http: Content-Length: a streamed body shorter or longer than its Content-Length cuts the connection instead of hanging', async () => {
  const s = await serve(`export default { async fetch(request) {
    const n = Number(new URL(request.url).searchParams.get('n'));
    const body = new ReadableStream({ start(c) { c.enqueue(new Uint8Array(n)); c.close(); } });
    return new Response(body, { headers: { 'content-length': '10' } });
  } }`);
  try {
    for (const n of [3, 20]) {
      const t0 = Date.now();
      const outcome = await fetch(`${s.url}/?n=${n}`).then((r) => r.arrayBuffer()).then((b) => `read ${b.byteLength}`, (e: Error) => e.name);
      assert.equal(outcome, 'TypeError', `n=${n}: the client sees a failed body`);
      assert.ok(Date.now() - t0 < 5000, 'without waiting for a timeout');
    }
    const exact = await (await fetch(`${s.url}/?n=10`)).arrayBuffer();
    assert.equal(exact.byteLength, 10);
  } finally {
    await s.close();
  }
});

test('http: request body: a worker that cancels the body still gets its response to the client', async () => {
  const s = await serve(`export default { async fetch(request) {
    const reader = request.body.getReader();
    await reader.read();
    await reader.cancel();
    return new Response('ignored the rest');
  } }`, 64 * 1024 * 1024);
  try {
    for (let i = 0; i < 2; i++) {
      const res = await fetch(s.url, { method: 'POST', body: new Uint8Array(4 * 1024 * 1024) });
      assert.equal(await res.text(), 'ignored the rest');
    }
  } finally {
    await s.close();
  }
});

test('http: a FixedLengthStream body goes out with its Content-Length, not chunked; one that falls short cuts the connection', async () => {
  const s = await serve(`export default { fetch(request) {
    const short = new URL(request.url).pathname === '/short';
    const { readable, writable } = new FixedLengthStream(11);
    const w = writable.getWriter();
    (async () => {
      await w.write(new TextEncoder().encode('hello '));
      if (short) { await w.abort(new Error('gave up')); return; }
      await w.write(new TextEncoder().encode('world'));
      await w.close();
    })();
    return new Response(readable, { headers: { 'content-type': 'text/plain' } });
  } };`);
  try {
    // identity: a response compressed for the client has no length known in advance.
    const res = await fetch(`${s.url}/`, { headers: { 'accept-encoding': 'identity' } });
    assert.equal(res.headers.get('content-length'), '11');
    assert.equal(res.headers.get('transfer-encoding'), null);
    assert.equal(await res.text(), 'hello world');
    await assert.rejects(async () => (await fetch(`${s.url}/short`)).text(), /fetch failed|terminated|other side closed|premature close/i);
    // The server keeps serving after the cut connection.
    assert.equal(await (await fetch(`${s.url}/`)).text(), 'hello world');
  } finally {
    await s.close();
  }
});
