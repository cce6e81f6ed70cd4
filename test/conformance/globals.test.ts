// The small globals inside a real isolate: queueMicrotask, navigator, performance, and
// how the global scope presents them.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker } from '../helpers/relaxed-worker.ts';

test('queueMicrotask: runs callbacks in order, after the current job and before timers', async () => {
  const out = await runInIsolate<string[]>(`
    const order = [];
    setTimeout(() => order.push('timeout'), 0);
    queueMicrotask(() => { order.push('a'); queueMicrotask(() => order.push('nested')); });
    Promise.resolve().then(() => order.push('promise'));
    queueMicrotask(() => order.push('b'));
    order.push('sync');
    await new Promise((r) => setTimeout(r, 5));
    return order;
  `);
  assert.deepEqual(out, ['sync', 'a', 'promise', 'b', 'nested', 'timeout']);
});

test('queueMicrotask: a throwing callback is reported to the log and later callbacks still run', async () => {
  const w = await startWorker(`export default { async fetch() {
    let ran = false;
    queueMicrotask(() => { throw new TypeError('microtask boom'); });
    queueMicrotask(() => { ran = true; });
    await new Promise((r) => setTimeout(r, 1));
    return new Response(String(ran));
  } }`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'true');
    assert.ok(w.logs.some((l) => l.startsWith('error: Uncaught TypeError: microtask boom')), w.logs.join('\n'));
  } finally {
    await w.close();
  }
});

test('queueMicrotask: bad input: a non-function or no argument is a TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    return [attempt(() => queueMicrotask('code')), attempt(() => queueMicrotask()), attempt(() => queueMicrotask(null))];
  `);
  assert.match(out[0], /^TypeError: .*parameter 1 is not of type 'Function'/);
  assert.match(out[1], /^TypeError: .*1 argument required/);
  assert.match(out[2], /^TypeError/);
});

test('navigator: userAgent and hardwareConcurrency: what Workers reports, read-only', async () => {
  const out = await runInIsolate<unknown[]>(`
    'use strict';
    let assigned; try { navigator.userAgent = 'x'; assigned = 'assigned'; } catch (e) { assigned = e.name; }
    let ctor; try { new Navigator(); ctor = 'constructed'; } catch (e) { ctor = e.name; }
    return [navigator.userAgent, navigator.hardwareConcurrency, navigator instanceof Navigator, String(navigator), assigned, ctor];
  `);
  assert.deepEqual(out, ['Cloudflare-Workers', 1, true, '[object Navigator]', 'TypeError', 'TypeError']);
});

test('performance: now and timeOrigin: timeOrigin is 0 and now() follows the wall clock, as on Workers', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const a = performance.now(), d = Date.now();
    await new Promise((r) => setTimeout(r, 30));
    const b = performance.now();
    return { origin: performance.timeOrigin, nearDate: Math.abs(a - d) <= 1, waited: b - a, monotonic: b >= a,
      json: JSON.stringify(performance), tag: String(performance), isPerf: performance instanceof Performance };
  `);
  assert.equal(out.origin, 0);
  assert.equal(out.nearDate, true);
  assert.ok((out.waited as number) >= 25 && (out.waited as number) < 5000, `waited ${out.waited}`);
  assert.equal(out.monotonic, true);
  assert.equal(out.json, '{"timeOrigin":0}');
  assert.equal(out.tag, '[object Performance]');
  assert.equal(out.isPerf, true);
});

test('global scope: the small globals are installed with WebIDL descriptors', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const d = (n) => { const p = Object.getOwnPropertyDescriptor(globalThis, n); return p ? [typeof p.value, p.enumerable, p.writable, p.configurable] : 'missing'; };
    const r = {};
    for (const n of ['structuredClone', 'atob', 'btoa', 'queueMicrotask', 'setTimeout', 'clearInterval', 'navigator', 'performance', 'crypto', 'console',
      'Navigator', 'Performance', 'Crypto', 'SubtleCrypto', 'CryptoKey', 'Event', 'EventTarget', 'AbortController', 'AbortSignal', 'DOMException']) r[n] = d(n);
    r.gone = ['__atoll_boot', 'process', 'require', 'Buffer', 'global'].filter((n) => n in globalThis);
    return r;
  `);
  for (const n of ['structuredClone', 'atob', 'btoa', 'queueMicrotask', 'setTimeout', 'clearInterval']) assert.deepEqual(out[n], ['function', true, true, true], n);
  for (const n of ['navigator', 'performance', 'crypto', 'console']) assert.deepEqual(out[n], ['object', true, true, true], n);
  for (const n of ['Navigator', 'Performance', 'Crypto', 'SubtleCrypto', 'CryptoKey', 'Event', 'EventTarget', 'AbortController', 'AbortSignal', 'DOMException']) {
    assert.deepEqual(out[n], ['function', false, true, true], n);
  }
  assert.deepEqual(out.gone, []);
});
