import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runInIsolate, startWorker } from '../helpers/worker.ts';

// The prelude holds two things the host hands it at boot for batched tasks: a bound
// reader of the isolate's CPU clock (made from the isolate's own isolated-vm handle) and
// the task board, a SharedArrayBuffer the host reads. Neither may reach tenant code,
// and tenant code that patches the built-ins they use must not break CPU accounting.

test('Security: task board: no isolate handle and no shared memory is reachable from tenant code', async () => {
  const out = await runInIsolate(`
    const seen = new Set();
    const queue = [globalThis, env, ctx, request, new Response('x'), request.headers];
    const found = [];
    while (queue.length > 0 && seen.size < 50000) {
      const value = queue.shift();
      if (value === null || (typeof value !== 'object' && typeof value !== 'function') || seen.has(value)) continue;
      seen.add(value);
      if (value instanceof SharedArrayBuffer) found.push('a SharedArrayBuffer');
      for (const m of ['cpuTime', 'compileScriptSync', 'createContextSync', 'wallTime']) {
        try { if (m in value) found.push('an object with ' + m); } catch {}
      }
      queue.push(Object.getPrototypeOf(value));
      for (const key of Reflect.ownKeys(value)) {
        const d = Reflect.getOwnPropertyDescriptor(value, key);
        if (!d) continue;
        if ('value' in d) queue.push(d.value);
        if (d.get) queue.push(d.get);
        if (d.set) queue.push(d.set);
      }
    }
    return { found: [...new Set(found)], walked: seen.size > 1000 };
  `);
  assert.deepEqual(out, { found: [], walked: true });
});

test('Security: task board: patched Atomics, BigInt and Function.prototype do not stop CPU accounting or the watchdog', async () => {
  const w = await startWorker(`
    Atomics.store = () => 0;
    Atomics.load = () => 0n;
    globalThis.BigInt = () => 7n;
    globalThis.BigInt64Array = function () { return []; };
    Function.prototype.call = function () { return 0n; };
    Function.prototype.bind = function () { return () => 0n; };
    Object.getOwnPropertyDescriptor = () => ({ get: () => 0n });
    export default { async fetch(req) {
      if (new URL(req.url).pathname === '/spin') for (;;) {}
      const t = Date.now(); while (Date.now() - t < 5);
      return new Response('ok');
    } };`, { limits: { cpuMs: 50 } });
  try {
    assert.equal(await (await w.fetch('/')).text(), 'ok');
    const spun = await w.fetch('/spin');
    assert.equal(spun.headers.get('atoll-error'), 'exceededCpu');
    await spun.text();
    const [ok, spin] = await w.settled(2, 10_000);
    assert.ok(ok.cpuMs >= 4, `a 5 ms request was charged ${ok.cpuMs.toFixed(2)} ms`);
    assert.equal(spin.outcome, 'exceededCpu');
    assert.ok(spin.cpuMs >= 50 && spin.cpuMs <= 60, `stopped at ${spin.cpuMs.toFixed(1)} ms of CPU`);
  } finally {
    await w.close();
  }
});
