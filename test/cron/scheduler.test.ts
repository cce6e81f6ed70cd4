// The scheduler on real timers and a real isolate. Its clock is set a fraction of a
// second before a minute boundary, so a minute's trigger fires within the test.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CronError } from '../../src/cron/expression.ts';
import { cronFire } from '../../src/cron/fire.ts';
import { CronScheduler } from '../../src/cron/scheduler.ts';
import type { InvocationEvent } from '../../src/observe/event.ts';
import { Telemetry } from '../../src/observe/telemetry.ts';
import { outboundFetch } from '../../src/runtime/outbound.ts';
import { DEFAULT_LIMITS, WorkerIsolate } from '../../src/runtime/worker-isolate.ts';

const MINUTE = 60_000;

const TICKER = `export default {
  async scheduled(controller, env, ctx) {
    console.log('tick', controller.cron, new Date(controller.scheduledTime).toISOString());
    if (controller.cron === '*/1 * * * *') await new Promise((r) => setTimeout(r, 3000));
  },
};`;

async function ticker(): Promise<WorkerIsolate> {
  return WorkerIsolate.create({
    name: 'ticker', versionId: 'ver_t', format: 'modules', mainModule: 'index.js',
    modules: [{ name: 'index.js', type: 'esm', content: TICKER }], bindings: [],
    compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS, cpuMs: 1000 }, dev: false,
  }, { fetch: (_c, init, body, signal) => outboundFetch(init, body, signal), log: () => {} });
}

/** A clock `msBefore` ms before the next minute boundary of the real clock; returns that boundary. */
function clockBefore(msBefore: number): { now: () => number; boundary: number; shift(msBefore: number): number } {
  let offset = 0;
  const set = (ms: number) => {
    const real = Date.now();
    const boundary = (Math.floor((real + offset) / MINUTE) + 1) * MINUTE;
    offset = boundary - ms - real;
    return boundary;
  };
  const boundary = set(msBefore);
  return { now: () => Date.now() + offset, boundary, shift: set };
}

function setup(worker: WorkerIsolate, now: () => number) {
  const telemetry = new Telemetry();
  const events: InvocationEvent[] = [];
  telemetry.bus.subscribe((e) => events.push(e));
  const logs: Record<string, unknown>[] = [];
  const log = (f: Record<string, unknown>) => logs.push(f);
  const fire = cronFire({
    location: 'TST', telemetry, log,
    version: (_account, name) => (name === 'ticker' ? 'ver_t' : null),
    withIsolate: (_ref, fn) => fn(worker),
  });
  const scheduler = new CronScheduler({ fire, log, now });
  return { telemetry, events, logs, scheduler };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('CronScheduler: tick: a due trigger runs scheduled() at the minute boundary and is recorded like a request', async () => {
  const worker = await ticker();
  const clock = clockBefore(300);
  const { telemetry, events, scheduler } = setup(worker, clock.now);
  try {
    scheduler.setTriggers([{ accountId: 'acc_1', worker: 'ticker', crons: ['* * * * *', '0 0 1 1 *'] }]);
    await until(() => events.length === 1, 'the run');
    const e = events[0]!;
    assert.equal(e.trigger, 'scheduled');
    assert.deepEqual(e.scheduled, { cron: '* * * * *', scheduledTime: new Date(clock.boundary).toISOString() });
    assert.equal(e.request, undefined);
    assert.deepEqual([e.account, e.worker, e.version, e.location, e.outcome], ['acc_1', 'ticker', 'ver_t', 'TST', 'ok']);
    assert.deepEqual(e.logs.map((l) => l.message), [`tick * * * * * ${new Date(clock.boundary).toISOString()}`]);
    assert.ok(e.cpuMs > 0);
    const text = telemetry.metrics.prometheus();
    assert.ok(text.includes('atoll_worker_requests_total{account="acc_1",worker="ticker",location="TST",trigger="scheduled"} 1\n'), text);
    // The yearly trigger was not due; nothing else fired.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(events.length, 1);
  } finally {
    scheduler.stop();
    worker.dispose();
  }
});

test('CronScheduler: tick: a run still going at the next minute is not started twice', async () => {
  const worker = await ticker();
  const clock = clockBefore(200);
  const { events, logs, scheduler } = setup(worker, clock.now);
  try {
    // This cron's handler takes 3 s: the next minute comes (by the clock) while it runs.
    scheduler.setTriggers([{ accountId: 'acc_1', worker: 'ticker', crons: ['*/1 * * * *'] }]);
    await until(() => logs.length > 0 || events.length > 0 || worker.invocations.size > 0, 'the first run to start');
    clock.shift(200);
    // Setting the triggers again (as a deploy does) re-arms the timer on the shifted clock.
    scheduler.setTriggers([{ accountId: 'acc_1', worker: 'ticker', crons: ['*/1 * * * *'] }]);
    await until(() => logs.some((l) => l.msg === 'cron run skipped: the previous run is still going'), 'the skip');
    await until(() => events.length === 1, 'the first run to end');
    assert.equal(events[0]!.outcome, 'ok');
    assert.ok(events[0]!.wallMs >= 2900, `the run took ${events[0]!.wallMs} ms`);
  } finally {
    scheduler.stop();
    worker.dispose();
  }
});

test('CronScheduler: fire: a worker with no deployment runs nothing and says so', async () => {
  const worker = await ticker();
  const clock = clockBefore(200);
  const { events, logs, scheduler } = setup(worker, clock.now);
  try {
    scheduler.setTriggers([{ accountId: 'acc_1', worker: 'gone', crons: ['* * * * *'] }]);
    await until(() => logs.length > 0, 'the log line');
    assert.deepEqual(logs[0], { level: 'warn', msg: 'cron trigger for a worker with no deployment; nothing ran', location: 'TST', account: 'acc_1', worker: 'gone', cron: '* * * * *' });
    assert.equal(events.length, 0);
  } finally {
    scheduler.stop();
    worker.dispose();
  }
});

test('CronScheduler: setTriggers: a bad expression is refused naming the worker and the field, and nothing changes', () => {
  const scheduler = new CronScheduler({ fire: async () => {}, log: () => {} });
  try {
    scheduler.setTriggers([{ accountId: 'acc_1', worker: 'a', crons: ['0 12 * * *'] }]);
    assert.throws(
      () => scheduler.setTriggers([{ accountId: 'acc_1', worker: 'a', crons: ['0 12 * * *'] }, { accountId: 'acc_1', worker: 'b', crons: ['0 25 * * *'] }]),
      (err: unknown) => err instanceof CronError && /^worker "b": cron "0 25 \* \* \*": the hour field has 25, out of range; use 0-23/.test(err.message),
    );
    assert.deepEqual(scheduler.upcoming('acc_1', 'a').map((u) => u.cron), ['0 12 * * *']);
    assert.deepEqual(scheduler.upcoming('acc_1', 'b'), []);
    const next = scheduler.upcoming('acc_1', 'a')[0]!.next!;
    assert.equal(new Date(next).getUTCHours(), 12);
    assert.ok(next > Date.now() && next <= Date.now() + 24 * 3600_000);
    scheduler.setWorker({ accountId: 'acc_1', worker: 'a', crons: [] });
    assert.deepEqual(scheduler.upcoming('acc_1', 'a'), []);
  } finally {
    scheduler.stop();
  }
});

test('cronFire: a version whose top level throws runs nothing, records no event, and logs why', async () => {
  const telemetry = new Telemetry();
  const events: InvocationEvent[] = [];
  telemetry.bus.subscribe((e) => events.push(e));
  const logs: Record<string, unknown>[] = [];
  const fire = cronFire({
    location: 'TST', telemetry, log: (f) => logs.push(f),
    version: () => 'ver_bad',
    withIsolate: async (_ref, fn) => {
      const w = await WorkerIsolate.create({
        name: 'broken', versionId: 'ver_bad', format: 'modules', mainModule: 'index.js',
        modules: [{ name: 'index.js', type: 'esm', content: 'throw new Error("no config"); export default {};' }], bindings: [],
        compatibilityDate: '2025-01-01', compatibilityFlags: [], limits: { ...DEFAULT_LIMITS }, dev: false,
      }, { fetch: (_c, init, body, signal) => outboundFetch(init, body, signal), log: () => {} });
      return fn(w);
    },
  });
  await fire({ accountId: 'acc_1', worker: 'broken', cron: '* * * * *', scheduledTime: Date.now() });
  assert.equal(events.length, 0);
  assert.equal(logs.length, 1);
  assert.equal(logs[0]!.msg, 'cron run: the worker failed to start');
  assert.equal(logs[0]!.worker, 'broken');
  assert.match(String(logs[0]!.error), /worker "broken" threw while evaluating its top level: Error: no config/);
});
