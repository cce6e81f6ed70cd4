import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition } from '../../src/runtime/worker-isolate.ts';
import { UserError } from '../../src/runtime/errors.ts';
import type { ModuleSource } from '../../src/runtime/modules.ts';
import type { HostServices } from '../../src/runtime/ops/index.ts';

const services: HostServices = {
  fetch: () => Promise.reject(new Error('no network in this test')),
  log: () => {},
};

function def(code: string, limits: Partial<WorkerDefinition['limits']> = {}, extra: ModuleSource[] = []): WorkerDefinition {
  return {
    name: 'startup-test',
    versionId: 'v1',
    format: /\bexport\b/.test(code) ? 'modules' : 'service-worker',
    mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }, ...extra],
    bindings: [],
    compatibilityDate: '2025-01-01',
    compatibilityFlags: [],
    limits: { ...DEFAULT_LIMITS, ...limits },
    dev: true,
  };
}

async function startupError(d: WorkerDefinition): Promise<UserError> {
  try {
    const w = await WorkerIsolate.create(d, services);
    w.dispose();
  } catch (err) {
    assert.ok(err instanceof UserError, `a UserError, not ${(err as Error)?.stack}`);
    return err;
  }
  assert.fail('the worker started');
}

for (const format of ['modules', 'service-worker'] as const) {
  test(`Limits: startup: a top-level loop (${format}) is stopped by the startup CPU limit`, async () => {
    const code = format === 'modules' ? 'for (;;) {}\nexport default {};' : 'for (;;) {}';
    const t0 = performance.now();
    const err = await startupError(def(code, { startupMs: 100 }));
    assert.equal(err.code, 'exceededCpu');
    assert.match(err.message, /worker "startup-test" exceeded its startup CPU limit of 100 ms/);
    assert.ok(performance.now() - t0 < 10_000);
  });
}

test('Limits: startup: a top-level loop after a top-level await is stopped too', async () => {
  const err = await startupError(def('await Promise.resolve(); for (;;) {}\nexport default {};', { startupMs: 100 }));
  assert.equal(err.code, 'exceededCpu');
});

test('Limits: startup: a top level that exhausts the heap is reported as exceededMemory', async () => {
  const err = await startupError(def('const keep = []; for (;;) keep.push(new Array(1e5).fill(1.5));\nexport default {};', { startupMs: 20_000, memoryMb: 32 }));
  assert.equal(err.code, 'exceededMemory');
  assert.match(err.message, /exceeded its memory limit of 32 MB while evaluating its top level/);
});

test('Limits: startup: WebAssembly memories over the budget at the top level: the RangeError that says so, not exceededMemory', async () => {
  // Each memory without a maximum counts as 128 MiB: the second passes a 128 MB budget.
  const err = await startupError(def('new WebAssembly.Memory({ initial: 1 });\nnew WebAssembly.Memory({ initial: 1 });\nexport default {};'));
  assert.equal(err.code, 'startup_error');
  assert.match(err.message, /threw while evaluating its top level: RangeError: WebAssembly\.Memory\(\): this worker's WebAssembly memories would exceed its memory limit of 128 MB \(a memory counts at its maximum size/);
});

test('Limits: bundle: a bundle over the size limit is refused before any isolate loads it', async () => {
  const big: ModuleSource = { name: 'big.txt', type: 'text', content: new Uint8Array(2 * 1024 * 1024) };
  const err = await startupError(def('export default {};', { bundleMb: 1 }, [big]));
  assert.equal(err.code, 'bundle_too_large');
  assert.match(err.message, /worker "startup-test" is 2\.0 MB; the bundle size limit is 1 MB/);
});

test('Limits: bundle: a bundle under the limit starts', async () => {
  const w = await WorkerIsolate.create(def('export default { fetch() { return new Response("ok"); } };', { bundleMb: 1 }), services);
  assert.equal(w.dead, null);
  w.dispose();
});

test('Limits: config: a limit that is not a number in range is refused with the name of the limit', async () => {
  for (const [limits, pattern] of [
    [{ cpuMs: -5 }, /limits\.cpuMs must be a number from 1 to 300000, not -5/],
    [{ memoryMb: Number.NaN }, /limits\.memoryMb must be a number from 8 to 16384, not null/],
    [{ subrequests: '50' as unknown as number }, /limits\.subrequests must be a number from 0 to 100000, not "50"/],
    [{ bundleMb: Infinity }, /limits\.bundleMb must be a number/],
  ] as const) {
    const err = await startupError(def('export default {};', limits));
    assert.equal(err.code, 'invalid_limits');
    assert.match(err.message, pattern);
  }
});
