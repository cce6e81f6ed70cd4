// HTMLRewriter: rewrite speed on a 1 MB page and time to first byte on a slowly streamed
// 10 MB page, through a real worker behind node:http, from an origin on 127.0.0.1 (both
// in this process). One worker serves every mode, chosen by the path, so each figure has
// its baseline from the same isolate in the same run:
//   pass     returns the origin's response as it is (the host streams it: no isolate work)
//   stream   pipes the body through a TransformStream in the isolate (per-chunk crossings)
//   noop     HTMLRewriter with a selector that matches nothing (lol-html's parse cost)
//   rewrite  HTMLRewriter doing typical work: a[href] rewritten, img attributes added,
//            the title's text replaced, a script appended at the end of the document
// Also: the first transform in a fresh isolate (fetching the module's bytes from the
// host and compiling them, op html_rewriter_wasm) against the next one.
//
//   node_modules/.bin/node --no-node-snapshot bench/html-rewriter.ts [--quick] [--rounds 15]

import { request } from 'node:http';
import { fmt, median, numFlag, command, report, sleep, type ResultRow } from './lib/harness.ts';
import { listen, quietServices, serveSlot, workerDef, WorkerSlot } from './lib/atoll-server.ts';
import type { Invocation } from '../src/runtime/invocation.ts';

const MB = 1024 * 1024;
const rounds = numFlag('rounds', 15, 4);
const SLOW_MB = 10;
const SLOW_CHUNK = 64 * 1024;
const SLOW_GAP_MS = numFlag('gap', 10, 10);

// A page shaped like real ones: nested blocks, links, images, text with some non-ASCII.
function page(bytes: number): Buffer {
  const head = '<!doctype html><html><head><meta charset="utf-8"><title>Bench page</title><link rel="stylesheet" href="/s.css"></head><body>';
  const block = (i: number) => `<div class="card" id="c${i}"><h2>Item ${i} — café</h2><p>Some text about item ${i}, with <a href="/item/${i}">a link</a> and <em>emphasis</em>.</p><img src="/img/${i}.png" alt="item ${i}"><!-- c${i} --></div>\n`;
  const parts = [head];
  let size = head.length;
  for (let i = 0; size < bytes - 20; i++) {
    const b = block(i);
    parts.push(b);
    size += Buffer.byteLength(b);
  }
  parts.push('</body></html>');
  return Buffer.from(parts.join(''));
}

const onePage = page(1 * MB);
const slowPage = page(SLOW_MB * MB);

const WORKER = `export default { async fetch(request) {
  const url = new URL(request.url);
  const [, mode, which] = url.pathname.split('/');
  const res = await fetch(url.searchParams.get('origin') + which);
  if (mode === 'pass') return res;
  if (mode === 'stream') return new Response(res.body.pipeThrough(new TransformStream()), res);
  if (mode === 'noop') return new HTMLRewriter().on('nothing-matches', { element() {} }).transform(res);
  return new HTMLRewriter()
    .on('a[href]', { element(e) { e.setAttribute('href', 'https://cdn.example.com' + e.getAttribute('href')); } })
    .on('img', { element(e) { e.setAttribute('loading', 'lazy'); } })
    .on('title', { text(t) { if (t.text) t.replace('Rewritten'); } })
    .onDocument({ end(end) { end.append('<script src="/analytics.js"></script>', { html: true }); } })
    .transform(res);
} }`;

interface Timing { ttfbMs: number; totalMs: number; bytes: number; cpuMs: number }

async function main(): Promise<void> {
  const origin = await listen(async (req, res) => {
    if (req.url === '/one') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': onePage.length });
      res.end(onePage);
      return;
    }
    // The slow page: 64 KiB every SLOW_GAP_MS, so the whole takes ~1.6 s to arrive.
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    for (let at = 0; at < slowPage.length; at += SLOW_CHUNK) {
      if (!res.write(slowPage.subarray(at, at + SLOW_CHUNK))) await new Promise((r) => res.once('drain', r));
      await sleep(SLOW_GAP_MS);
    }
    res.end();
  });
  let lastInv: Invocation | null = null;
  const newSlot = () => WorkerSlot.create(workerDef('html-rewriter', WORKER, { cpuMs: 30_000 }), quietServices());
  let slot = await newSlot();
  const atoll = await listen((req, res) => serveSlot(slot, req, res, (inv) => { lastInv = inv; }));

  const get = (path: string) => new Promise<Timing>((resolve, reject) => {
    const t0 = performance.now();
    let ttfb = 0;
    let bytes = 0;
    request(`${atoll.url}${path}?origin=${encodeURIComponent(origin.url + '/')}`, (res) => {
      if (res.statusCode !== 200) reject(new Error(`${path}: status ${res.statusCode}`));
      res.on('data', (d: Buffer) => { if (bytes === 0) ttfb = performance.now() - t0; bytes += d.length; });
      res.on('end', async () => {
        const totalMs = performance.now() - t0;
        // The invocation is recorded just after the response ends.
        for (let i = 0; i < 100 && !lastInv; i++) await sleep(1);
        const cpuMs = lastInv?.cpuMs ?? NaN;
        lastInv = null;
        resolve({ ttfbMs: ttfb, totalMs, bytes, cpuMs });
      });
      res.on('error', reject);
    }).on('error', reject).end();
  });

  // First transform in a fresh isolate vs the next (a small page, so the module load shows).
  const firstUse: number[] = [];
  const secondUse: number[] = [];
  for (let i = 0; i < Math.min(rounds, 5); i++) {
    slot = await newSlot();
    await get('/pass/one');
    firstUse.push((await get('/rewrite/one')).totalMs);
    secondUse.push((await get('/rewrite/one')).totalMs);
  }

  // 1 MB page: the modes interleaved, round by round, after a warm-up.
  const modes = ['pass', 'stream', 'noop', 'rewrite'] as const;
  const one: Record<string, Timing[]> = { pass: [], stream: [], noop: [], rewrite: [] };
  for (const m of modes) await get(`/${m}/one`);
  for (let r = 0; r < rounds; r++) {
    for (const m of modes) {
      const t = await get(`/${m}/one`);
      if (m !== 'pass' && m !== 'stream' && t.bytes < onePage.length) throw new Error(`${m}: short body (${t.bytes} bytes)`);
      one[m].push(t);
    }
  }
  const mbps = (m: string) => onePage.length / MB / (median(one[m].map((t) => t.totalMs)) / 1000);
  const cpu = (m: string) => median(one[m].map((t) => t.cpuMs));

  // Slow 10 MB page: time to first byte and to the end, pass vs rewrite.
  const slowRounds = Math.max(2, Math.round(rounds / 5));
  const slow: Record<string, Timing[]> = { pass: [], rewrite: [] };
  for (let r = 0; r < slowRounds; r++) {
    for (const m of ['pass', 'rewrite']) slow[m].push(await get(`/${m}/slow`));
  }
  const ttfb = (m: string) => median(slow[m].map((t) => t.ttfbMs));
  const total = (m: string) => median(slow[m].map((t) => t.totalMs));

  const cmd = command('html-rewriter');
  const row = (figure: string, value: number, unit: string, baseline: string, baselineValue: number, notes?: string): ResultRow => ({
    bench: 'html-rewriter', figure, value, unit, baseline, baselineValue, ratio: value / baselineValue, target: 'report', met: null, command: cmd, ...(notes && { notes }),
  });
  const rows: ResultRow[] = [
    row('HTMLRewriter rewrite, 1 MB page', mbps('rewrite'), 'MB/s', 'same worker, body passed through untouched (pass)', mbps('pass'),
      `isolate CPU per request: rewrite ${fmt(cpu('rewrite'))} ms, noop ${fmt(cpu('noop'))} ms, stream ${fmt(cpu('stream'))} ms, pass ${fmt(cpu('pass'))} ms`),
    row('HTMLRewriter rewrite, 1 MB page', mbps('rewrite'), 'MB/s', 'same worker, body piped through a TransformStream (stream)', mbps('stream')),
    row('HTMLRewriter parse only (no selector matches), 1 MB page', mbps('noop'), 'MB/s', 'same worker, pass', mbps('pass')),
    row(`HTMLRewriter time to first byte, ${SLOW_MB} MB page streamed at 64 KiB / ${SLOW_GAP_MS} ms`, ttfb('rewrite'), 'ms', 'same worker, pass', ttfb('pass'),
      `whole response: rewrite ${fmt(total('rewrite'))} ms, pass ${fmt(total('pass'))} ms`),
    row('HTMLRewriter first transform in a fresh isolate (1 MB page, module fetched and compiled)', median(firstUse), 'ms', 'the next transform in that isolate', median(secondUse)),
  ];
  report('html-rewriter', rows, { rounds, slowRounds, onePageBytes: onePage.length, slowPageBytes: slowPage.length });
  for (const r of rows) if (r.notes) console.log(`  ${r.notes}`);

  atoll.server.closeAllConnections();
  atoll.server.close();
  origin.server.closeAllConnections();
  origin.server.close();
  slot.current.dispose();
}

await main();
