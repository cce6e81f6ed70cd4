import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, WorkerIsolate } from '../../src/runtime/worker-isolate.ts';
import type { Invocation } from '../../src/runtime/invocation.ts';

// Tasks queued while the isolate is busy go in together (one batch, one hand-over
// between the threads); each must still be charged its own CPU time, and a runaway
// among them must be the one stopped.

const CODE = `export default { async fetch(req) {
  const path = new URL(req.url).pathname;
  if (path === '/heavy') { let x = 0; for (let i = 0; i < 3e7; i++) x ^= i; if (x === 1) return new Response('never'); }
  if (path === '/spin') for (;;) {}
  return new Response(path);
} };`;

async function start(): Promise<WorkerIsolate> {
  return WorkerIsolate.create({
    name: 'batch', versionId: 'v1', format: 'modules', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: CODE }],
    bindings: [], compatibilityDate: '2025-01-01', compatibilityFlags: [],
    limits: { ...DEFAULT_LIMITS, cpuMs: 50 }, dev: false,
  }, { log: () => {}, console: () => {}, fetch: () => Promise.reject(new Error('no fetch')) });
}

function request(w: WorkerIsolate, path: string): Invocation {
  return w.fetch({ method: 'GET', url: `http://test${path}`, headers: [], body: null, cf: {} });
}

async function finish(w: WorkerIsolate, inv: Invocation): Promise<void> {
  await inv.result;
  inv.bodyDone();
  await inv.finished(1000);
  await w.end(inv);
}

test('Limits: cpu: batched tasks: a heavy request is charged its own CPU, the light ones beside it theirs', async () => {
  const w = await start();
  try {
    await finish(w, request(w, '/warm'));
    // The first request goes in alone; the rest queue behind it and go in as one batch.
    const first = request(w, '/a');
    const light1 = request(w, '/b');
    const heavy = request(w, '/heavy');
    const light2 = request(w, '/c');
    await Promise.all([first, light1, heavy, light2].map((inv) => finish(w, inv)));
    // A fixed amount of work (not a wall-clock loop), so the ratio holds on a busy machine.
    assert.ok(heavy.cpuMs >= 5, `heavy charged ${heavy.cpuMs.toFixed(2)} ms`);
    for (const inv of [first, light1, light2]) {
      assert.ok(inv.cpuMs < heavy.cpuMs / 4, `light request charged ${inv.cpuMs.toFixed(2)} ms beside one of ${heavy.cpuMs.toFixed(2)} ms`);
    }
    for (const inv of [first, light1, heavy, light2]) assert.equal(inv.outcome, 'ok');
  } finally {
    w.dispose();
  }
});

test('Limits: cpu: batched tasks: a runaway between light requests is the one stopped, at its limit', async () => {
  const w = await start();
  try {
    await finish(w, request(w, '/warm'));
    const first = request(w, '/a');
    const before = request(w, '/b');
    const spin = request(w, '/spin');
    const after = request(w, '/c');
    const results = await Promise.all([first, before, spin, after].map((inv) => inv.result));
    assert.equal(results[0].kind, 'response');
    assert.equal(results[1].kind, 'response', 'the task before the runaway in its batch had answered');
    assert.equal(spin.outcome, 'exceededCpu');
    assert.ok(spin.cpuMs >= 50 && spin.cpuMs <= 60, `stopped at ${spin.cpuMs.toFixed(1)} ms of CPU`);
    assert.equal(after.outcome, 'canceled');
    assert.ok(before.cpuMs < 10, `the light request before it was charged ${before.cpuMs.toFixed(2)} ms`);
    assert.equal(w.dead, 'exceededCpu');
  } finally {
    w.dispose();
  }
});
