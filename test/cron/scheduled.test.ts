// The `scheduled` handler inside a real isolate: both syntaxes, the controller's
// fields, console lines and exceptions on the Invocation, waitUntil, a missing handler.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScheduled } from '../../src/cron/run.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import type { HostServices } from '../../src/runtime/ops/index.ts';
import { DEFAULT_LIMITS, WorkerIsolate, type WorkerDefinition } from '../../src/runtime/worker-isolate.ts';

const services: HostServices = {
  fetch: (_ctx, init, body, signal) => outboundFetch(init, body, signal),
  log: () => {},
};

function def(code: string, limits: Partial<WorkerDefinition['limits']> = {}): WorkerDefinition {
  return {
    name: 'cron-test', versionId: 'v1', format: /\bexport\b/.test(code) ? 'modules' : 'service-worker', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: code }], bindings: [{ type: 'plain_text', name: 'GREETING', text: 'hi' }],
    compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS, cpuMs: 1000, ...limits }, dev: false,
  };
}

async function withWorker<T>(code: string, fn: (w: WorkerIsolate) => Promise<T>, limits?: Partial<WorkerDefinition['limits']>): Promise<T> {
  const w = await WorkerIsolate.create(def(code, limits), services);
  try {
    return await fn(w);
  } finally {
    w.dispose();
  }
}

const TIME = Date.UTC(2026, 10, 27, 10, 5);

test('Scheduled: modules: scheduled(controller, env, ctx) sees the cron, the time and env; its console lines land on the run', async () => {
  const code = `export default {
    async scheduled(controller, env, ctx) {
      console.log('cron', controller.cron, 'at', new Date(controller.scheduledTime).toISOString(), env.GREETING, String(controller));
      controller.noRetry();
      ctx.waitUntil(new Promise((r) => setTimeout(r, 30)).then(() => console.log('later')));
    },
  };`;
  const inv = await withWorker(code, (w) => runScheduled(w, '5 * * * *', TIME));
  assert.equal(inv.outcome, 'ok');
  assert.deepEqual(inv.logs.map((l) => `${l.level}: ${l.message}`), [
    'log: cron 5 * * * * at 2026-11-27T10:05:00.000Z hi [object ScheduledController]',
    'log: later',
  ]);
  assert.ok(inv.wallMs >= 25, `waitUntil work is part of the run: wall ${inv.wallMs} ms`);
  assert.ok(inv.cpuMs > 0);
});

test('Scheduled: modules: a handler that throws ends the run as an exception with its stack', async () => {
  const code = `export default { async scheduled() { await null; throw new RangeError('no backups today'); } };`;
  const inv = await withWorker(code, (w) => runScheduled(w, '0 3 * * *', TIME));
  assert.equal(inv.outcome, 'exception');
  assert.equal(inv.exceptions[0]?.type, 'RangeError');
  assert.equal(inv.exceptions[0]?.message, 'no backups today');
  assert.match(inv.exceptions[0]?.stack ?? '', /RangeError: no backups today\n\s+at /);
});

test('Scheduled: modules: a worker with only fetch fails the run with a message saying what to add', async () => {
  const inv = await withWorker('export default { fetch() { return new Response("x"); } };', (w) => runScheduled(w, '* * * * *', TIME));
  assert.equal(inv.outcome, 'exception');
  assert.match(inv.exceptions[0]?.message ?? '', /does not export a scheduled\(\) function: add `async scheduled\(controller, env, ctx\)/);
});

test('Scheduled: service worker: addEventListener("scheduled") gets a ScheduledEvent whose waitUntil work is awaited', async () => {
  const code = `addEventListener('scheduled', (event) => {
    event.waitUntil((async () => {
      await new Promise((r) => setTimeout(r, 10));
      console.log(event.cron, event.scheduledTime, typeof event.noRetry, GREETING);
    })());
  });`;
  const inv = await withWorker(code, (w) => runScheduled(w, '*/5 * * * *', TIME));
  assert.equal(inv.outcome, 'ok');
  assert.deepEqual(inv.logs.map((l) => l.message), [`*/5 * * * * ${TIME} function hi`]);
});

test('Scheduled: service worker: a script with no scheduled listener fails the run and says how to add one', async () => {
  const inv = await withWorker('addEventListener("fetch", (e) => e.respondWith(new Response("x")));', (w) => runScheduled(w, '* * * * *', TIME));
  assert.equal(inv.outcome, 'exception');
  assert.match(inv.exceptions[0]?.message ?? '', /No scheduled event listener: add `addEventListener\("scheduled"/);
});

test('Scheduled: limits: a runaway scheduled handler is stopped at its CPU limit', async () => {
  const code = 'export default { async scheduled() { await null; for (;;) {} } };';
  const inv = await withWorker(code, (w) => runScheduled(w, '* * * * *', TIME), { cpuMs: 50 });
  assert.equal(inv.outcome, 'exceededCpu');
  assert.ok(inv.cpuMs < 200, `stopped at ${inv.cpuMs} ms of CPU`);
});
