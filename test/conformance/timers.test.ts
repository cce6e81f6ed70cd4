// setTimeout / setInterval / clearTimeout / clearInterval inside a real isolate.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker } from '../helpers/relaxed-worker.ts';

const sleep = (ms: number) => `await new Promise((r) => setTimeout(r, ${ms}));`;

test('setTimeout: runs callbacks with their arguments, in delay order, and returns distinct positive ids', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    const order = [];
    // Deadlines far apart: a timer's deadline counts from its own creation, so on a slow
    // host a 0 ms timer made more than the gap after another can rightly come after it.
    const ids = [setTimeout((a, b) => order.push('30:' + a + b), 300, 'x', 'y'), setTimeout(() => order.push('0'), 0), setTimeout(() => order.push('10'), 150), setTimeout(() => order.push('neg'), -5), setTimeout(() => order.push('nan'), 'abc')];
    ${sleep(450)}
    return { order, ids: ids.every((id) => Number.isInteger(id) && id > 0) && new Set(ids).size === ids.length };
  `);
  assert.deepEqual(out, { order: ['0', 'neg', 'nan', '10', '30:xy'], ids: true });
});

test('setTimeout: nested timers run, and a timer cleared before it fires never runs', async () => {
  const out = await runInIsolate<string[]>(`
    const log = [];
    setTimeout(() => { log.push('outer'); setTimeout(() => { log.push('inner'); setTimeout(() => log.push('innermost'), 0); }, 5); }, 5);
    const t = setTimeout(() => log.push('cleared'), 10);
    clearTimeout(t);
    const t2 = setTimeout(() => log.push('cleared by another'), 20);
    setTimeout(() => clearTimeout(t2), 5);
    clearTimeout(); clearTimeout(null); clearTimeout(99999); clearTimeout('x'); clearInterval({});
    ${sleep(60)}
    return log;
  `);
  assert.deepEqual(out, ['outer', 'inner', 'innermost']);
});

test('setInterval: repeats until cleared from inside its own callback', async () => {
  const out = await runInIsolate<Record<string, unknown>>(`
    let n = 0;
    const seen = [];
    const id = setInterval((tag) => { seen.push(tag + ++n); if (n === 3) clearInterval(id); }, 5, 'tick');
    ${sleep(80)}
    let m = 0;
    const id2 = setInterval(() => { m++; }, 5);
    ${sleep(30)}
    clearInterval(id2);
    const after = m;
    ${sleep(30)}
    return { seen, n, stopped: m === after && after >= 2 };
  `);
  assert.deepEqual(out, { seen: ['tick1', 'tick2', 'tick3'], n: 3, stopped: true });
});

test('setTimeout: a throwing callback is reported and other timers still run', async () => {
  const w = await startWorker(`export default { async fetch() {
    setTimeout(() => { throw new Error('timer boom'); }, 1);
    await new Promise((r) => setTimeout(r, 20));
    return new Response('survived');
  } }`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'survived');
    assert.ok(w.logs.some((l) => l.startsWith('error: Uncaught Error: timer boom')), w.logs.join('\n'));
  } finally {
    await w.close();
  }
});

test('setTimeout: bad input: a string or a missing callback is a TypeError', async () => {
  const out = await runInIsolate<string[]>(`
    const attempt = (f) => { try { f(); return 'ok'; } catch (e) { return e.name + ': ' + e.message; } };
    return [attempt(() => setTimeout('globalThis.evaluated = 1', 0)), attempt(() => setInterval()), attempt(() => setTimeout({}, 1))];
  `);
  assert.match(out[0], /^TypeError: .*'setTimeout'.*parameter 1 is not of type 'Function'/);
  assert.match(out[1], /^TypeError: .*'setInterval'/);
  assert.match(out[2], /^TypeError/);
});

test('setTimeout: waiting is wall time, not CPU time', async () => {
  const w = await startWorker(`export default { async fetch() {
    await new Promise((r) => setTimeout(r, 120));
    return new Response('waited');
  } }`, { limits: { cpuMs: 20 } });
  try {
    const res = await w.fetch('/');
    assert.equal(await res.text(), 'waited');
    const [inv] = await w.settled(1);
    assert.ok(inv.cpuMs < 20, `charged ${inv.cpuMs} ms of CPU for a 120 ms sleep`);
  } finally {
    await w.close();
  }
});

test('setTimeout: in the global scope: never fires, and the log says why', async () => {
  const w = await startWorker(`let fired = false;
    setTimeout(() => { fired = true; }, 0);
    export default { async fetch() { await new Promise((r) => setTimeout(r, 20)); return new Response(String(fired)); } }`);
  try {
    assert.equal(await (await w.fetch('/')).text(), 'false');
    assert.ok(w.logs.some((l) => l.startsWith('error: Uncaught Error: Disallowed operation called within global scope')), w.logs.join('\n'));
  } finally {
    await w.close();
  }
});

test('setTimeout: exhaustion: pending timers are bounded per request, and the log says so', async () => {
  const w = await startWorker(`export default { async fetch() {
    // The wait is armed first: once the cap is reached, no new timer starts.
    const waited = new Promise((r) => setTimeout(r, 50));
    for (let i = 0; i < 10005; i++) setTimeout(() => {}, 60000);
    await waited;
    // The refusals were queued during the loop; an op started now completes after them.
    await crypto.subtle.digest('SHA-256', new Uint8Array(1));
    return new Response('done');
  } }`, { limits: { cpuMs: 5000 } });
  try {
    assert.equal(await (await w.fetch('/')).text(), 'done');
    const refused = w.logs.filter((l) => l.startsWith('error: Uncaught RangeError: Too many timers pending in this request (the limit is 10000).'));
    assert.equal(refused.length, 5, w.logs.slice(0, 3).join('\n'));
  } finally {
    await w.close();
  }
});

test('timer ops: the host checks its arguments: bad delays sleep 0 ms, a forged cancel is a no-op', async () => {
  const { timerOps } = await import('../../src/runtime/ops/timers.ts');
  const inflight = new Map<number, AbortController>();
  const ac = new AbortController();
  inflight.set(7, ac);
  const ctx = { worker: {}, inv: { inflight }, opId: 1 } as never;
  for (const bad of [Number.NaN, -5, 'x', {}, null, Infinity * -1]) {
    const t0 = performance.now();
    await timerOps.async.timer_sleep(ctx, bad as number);
    assert.ok(performance.now() - t0 < 1000, `delay ${String(bad)}`);
  }
  timerOps.sync.timer_cancel(ctx, '7' as never);
  assert.equal(ac.signal.aborted, false, 'an op id must be a number');
  timerOps.sync.timer_cancel(ctx, 7);
  assert.equal(ac.signal.aborted, true);
});
