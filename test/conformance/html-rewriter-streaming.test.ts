// HTMLRewriter streaming, in a real isolate behind a real HTTP server, fed by real origin
// servers on 127.0.0.1: bodies split into single bytes and through multi-byte characters,
// output that starts before the origin finishes, tenant streams, and handlers that never
// settle. https://developers.cloudflare.com/workers/runtime-apis/html-rewriter/
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, get, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { runInIsolate, startWorker } from '../helpers/relaxed-worker.ts';

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

async function origin(handler: Handler): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => { void handler(req, res); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Writes `body` in the given pieces, each flushed on its own, `gapMs` apart. */
async function writePieces(res: ServerResponse, pieces: Buffer[], gapMs: number): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
  for (const piece of pieces) {
    res.write(piece);
    await sleep(gapMs);
  }
  res.end();
}

// The worker cuts what the origin sends (TCP may join the origin's pieces on a loaded
// machine) so lol-html gets exactly the pieces under test: `?cut=byte` one byte each,
// `?cut=multibyte` a cut after every byte of a multi-byte character. It reports in a
// trailing comment how many pieces it wrote into the rewriter.
const CUTTING_WORKER = `export default { async fetch(request) {
  const url = new URL(request.url);
  const res = await fetch(url.searchParams.get('origin'));
  const cut = url.searchParams.get('cut');
  let pieces = 0;
  const cutter = new TransformStream({ transform(c, ctl) {
    let start = 0;
    for (let i = 0; i < c.length; i++) {
      if (cut === 'byte' || c[i] >= 0x80) { ctl.enqueue(c.slice(start, i + 1)); pieces++; start = i + 1; }
    }
    if (start < c.length) { ctl.enqueue(c.slice(start)); pieces++; }
  } });
  let text = '';
  return new HTMLRewriter()
    .on('a', { element(e) { e.setAttribute('href', 'https://example.com' + e.getAttribute('href')); } })
    .on('h1', { text(t) { text += t.text; if (t.lastInTextNode) { t.after(' [' + text + ']'); } } })
    .on('p', { text(t) { if (t.text) t.replace(t.text.toUpperCase()); } })
    .onDocument({ end(end) { end.append('<!--pieces=' + pieces + '-->', { html: true }); } })
    .transform(new Response(res.body.pipeThrough(cutter), res));
} }`;

/** The body without the worker's trailing comment, and the count it reported. */
function split(body: string): [string, number] {
  const m = /<!--pieces=(\d+)-->$/.exec(body);
  return [body.replace(/<!--pieces=\d+-->$/, ''), Number(m?.[1])];
}

const PAGE = '<!doctype html><html><head><title>Café ☕</title></head><body><h1>日本語のテキスト 😀 héllo</h1>'
  + '<p>crème brûlée — ünïcödé</p><a href="/path?q=ü">link</a></body></html>';
const REWRITTEN = '<!doctype html><html><head><title>Café ☕</title></head><body><h1>日本語のテキスト 😀 héllo [日本語のテキスト 😀 héllo]</h1>'
  + '<p>CRÈME BRÛLÉE — ÜNÏCÖDÉ</p><a href="https://example.com/path?q=ü">link</a></body></html>';

test('HTMLRewriter: transform: a body fed one byte at a time by the origin rewrites exactly as a whole one', async () => {
  const bytes = Buffer.from(PAGE);
  const o = await origin((_req, res) => writePieces(res, [...bytes].map((b) => Buffer.from([b])), 1));
  const w = await startWorker(CUTTING_WORKER);
  try {
    const res = await w.fetch(`/?cut=byte&origin=${encodeURIComponent(o.url)}`);
    const [body, pieces] = split(await res.text());
    assert.equal(body, REWRITTEN);
    assert.equal(pieces, bytes.length);
  } finally {
    await w.close();
    await o.close();
  }
});

test('HTMLRewriter: transform: multi-byte characters split across chunks come out whole', async () => {
  const bytes = Buffer.from(PAGE);
  // The origin cuts after the lead byte of every multi-byte sequence; the worker after each of its bytes.
  const pieces: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0xc0) {
      pieces.push(bytes.subarray(start, i + 1));
      start = i + 1;
    }
  }
  pieces.push(bytes.subarray(start));
  const o = await origin((_req, res) => writePieces(res, pieces, 2));
  const w = await startWorker(CUTTING_WORKER);
  try {
    const res = await w.fetch(`/?cut=multibyte&origin=${encodeURIComponent(o.url)}`);
    const [body, count] = split(await res.text());
    assert.ok(!body.includes('\uFFFD'), 'a character was broken');
    assert.equal(body, REWRITTEN);
    assert.ok(count >= bytes.filter((b) => b >= 0x80).length, `only ${count} pieces`);
  } finally {
    await w.close();
    await o.close();
  }
});

test('HTMLRewriter: transform: the first bytes reach the client before a slow origin has finished', async () => {
  let release!: () => void;
  const held = new Promise<void>((r) => { release = r; });
  let originDone = false;
  const o = await origin(async (_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.write(`<html><body><p>first</p>${'<i>pad</i>'.repeat(100)}`);
    // Holds the rest until the client has seen output (or 10 s pass: then the test fails).
    await Promise.race([held, sleep(10_000)]);
    originDone = true;
    res.end('<p>last</p></body></html>');
  });
  const w = await startWorker(`export default { async fetch(request) {
    const res = await fetch(new URL(request.url).searchParams.get('origin'));
    return new HTMLRewriter().on('p', { element(e) { e.setAttribute('class', 'seen'); } }).transform(res);
  } }`);
  try {
    const res = await w.fetch(`/?origin=${encodeURIComponent(o.url)}`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    const firstText = Buffer.from(first.value!).toString();
    assert.equal(originDone, false, 'the origin had already finished');
    assert.ok(firstText.startsWith('<html><body><p class="seen">first</p>'), firstText.slice(0, 80));
    release();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += Buffer.from(r.value).toString();
    assert.ok((firstText + rest).endsWith('<p class="seen">last</p></body></html>'));
  } finally {
    release();
    await w.close();
    await o.close();
  }
});

test('HTMLRewriter: transform: a body that is a tenant ReadableStream streams through; its error, or a chunk that is not bytes, errors the output', async () => {
  const out = await runInIsolate<{ text: string; error: string; notBytes: string }>(`
    const enc = new TextEncoder();
    const parts = ['<ul>', '<li>a</li>', '<li>b</li>', '</ul>'];
    const slow = new ReadableStream({
      async pull(c) {
        await new Promise((r) => setTimeout(r, 2));
        if (parts.length) c.enqueue(enc.encode(parts.shift())); else c.close();
      },
    });
    const text = await new HTMLRewriter().on('li', { element(e) { e.setAttribute('x', '1'); } }).transform(new Response(slow)).text();
    const failing = new ReadableStream({ start(c) { c.enqueue(enc.encode('<p>ok</p>')); c.error(new RangeError('origin broke')); } });
    let error = 'no error';
    try { await new HTMLRewriter().on('p', { element() {} }).transform(new Response(failing)).text(); } catch (e) { error = e.name + ': ' + e.message; }
    const strings = new ReadableStream({ start(c) { c.enqueue('<p>not bytes</p>'); c.close(); } });
    let notBytes = 'no error';
    try { await new HTMLRewriter().on('p', { element() {} }).transform(new Response(strings)).text(); } catch (e) { notBytes = e.name + ': ' + e.message; }
    return { text, error, notBytes };
  `);
  assert.equal(out.text, '<ul><li x="1">a</li><li x="1">b</li></ul>');
  assert.equal(out.error, 'RangeError: origin broke');
  assert.equal(out.notBytes, "TypeError: Failed to execute 'transform' on 'HTMLRewriter': the response body's ReadableStream did not return bytes.");
});

test('HTMLRewriter: async handlers: a handler that never settles holds only its own response', async () => {
  const w = await startWorker(`export default { async fetch(request) {
    const hang = new URL(request.url).pathname === '/hang';
    return new HTMLRewriter()
      .on('p', { element(e) { if (hang) return new Promise(() => {}); e.setInnerContent('fine'); } })
      .transform(new Response('<h1>before</h1><p>x</p><footer>after</footer>'));
  } }`);
  const abort = new AbortController();
  try {
    const hung = await w.fetch('/hang', { signal: abort.signal });
    const reader = hung.body!.getReader();
    // What lol-html wrote before the handler paused it is sent at once.
    const first = await reader.read();
    assert.equal(Buffer.from(first.value!).toString(), '<h1>before</h1>');
    const ok = await Promise.race([w.fetch('/ok').then((r) => r.text()), sleep(5000).then(() => 'timed out')]);
    assert.equal(ok, '<h1>before</h1><p>fine</p><footer>after</footer>');
  } finally {
    abort.abort();
    await w.close();
  }
});

test('HTMLRewriter: handlers: an error thrown mid-stream cuts the response after what was sent and is recorded as the exception', async () => {
  const w = await startWorker(`export default { async fetch() {
    const page = '<p>x</p>'.repeat(5000) + '<b>boom</b>';
    return new HTMLRewriter().on('b', { element() { throw new RangeError('handler failed on <b>'); } }).transform(new Response(page));
  } }`);
  try {
    // node:http, not fetch: fetch's body stream, once errored, drops chunks that arrived
    // but were not read yet, so it would not show everything the server sent.
    const { status, received, complete } = await new Promise<{ status: number; received: string; complete: boolean }>((resolve, reject) => {
      get(w.url + '/', (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => { text += d; });
        res.on('error', () => {});
        res.on('close', () => resolve({ status: res.statusCode ?? 0, received: text, complete: res.complete }));
      }).on('error', reject);
    });
    assert.equal(status, 200);
    assert.equal(complete, false, 'the response was cut, not ended normally');
    // The 16 KiB slices before the failing tag went out.
    assert.ok(received.startsWith('<p>x</p>'.repeat(100)), `received ${received.length} bytes`);
    assert.ok(!received.includes('<b>'));
    const [inv] = await w.settled(1);
    assert.equal(inv.outcome, 'exception');
    assert.equal(inv.exceptions[0]?.message, 'handler failed on <b>');
  } finally {
    await w.close();
  }
});
