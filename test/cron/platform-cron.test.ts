// Cron triggers end to end on the embedded platform (`atoll up`'s startEmbedded, in this
// process, SQLite in a temp dir): the real CLI deploys a worker whose wrangler.toml has
// triggers.crons, the scheduler fed from the control store fires it through the edge's
// registry, scheduled() writes to KV, and the run arrives on the tail like a request.
// The scheduler's clock is moved to just before a minute boundary, as
// test/cron/scheduler.test.ts does, so a real timer fires within the test.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { startEmbedded, type Embedded, type EmbeddedOptions } from '../../src/edge/embedded.ts';
import type { InvocationEvent } from '../../src/observe/event.ts';
import { processTelemetry } from '../../src/observe/telemetry.ts';
import { runAtoll, type RunOptions } from '../cli/platform-harness.ts';
import { openSse, type SseClient } from '../observe/sse.ts';

const MINUTE = 60_000;

const TICKER = `export default {
  async scheduled(controller, env, ctx) {
    console.log('tick', controller.cron, new Date(controller.scheduledTime).toISOString());
    await env.STORE.put('last-run', controller.cron + ' @ ' + new Date(controller.scheduledTime).toISOString());
  },
  fetch() { return new Response('ticker'); },
};`;

describe('Cron triggers on atoll up', () => {
  let up: Embedded;
  let options: EmbeddedOptions;
  let token = '';
  let root: string;
  let offset = 0;
  let accountId = '';
  let kvId = '';
  let tail: SseClient;
  const errors: string[] = [];
  const cli = (args: string[], o: RunOptions = {}) => runAtoll(args, { ...o, env: { ATOLL_CONFIG_DIR: join(root, 'config'), ...o.env } });
  const api = async (method: string, path: string, json?: unknown) => {
    const res = await fetch(up.api.url + path, {
      method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : null };
  };
  const scheduledEvents = () => tail.frames.filter((f) => f.event === 'invocation' && f.data.trigger === 'scheduled').map((f) => f.data);

  before(async () => {
    root = mkdtempSync(join(tmpdir(), 'atoll-cron-'));
    options = {
      dataDir: join(root, 'data'), ip: '127.0.0.1', edgePort: 0, apiPort: 0, location: 'CRN',
      cronNow: () => Date.now() + offset,
      log: (f) => { if (f.level === 'error') errors.push(JSON.stringify(f)); },
    };
    up = await startEmbedded(options);
    token = up.token!;
    const login = await cli(['login', '--url', up.api.url], { stdin: token });
    assert.equal(login.code, 0, login.stderr);
    accountId = (await api('GET', '/api/v1/whoami')).body.account.id;
    const ns = await cli(['kv', 'namespace', 'create', 'cron-store', '--json']);
    assert.equal(ns.code, 0, ns.stderr);
    kvId = JSON.parse(ns.stdout).namespace.id;
    const dir = join(root, 'ticker');
    mkdirSync(dir);
    writeFileSync(join(dir, 'index.js'), TICKER);
    writeFileSync(join(dir, 'wrangler.toml'), [
      'name = "ticker"', 'main = "index.js"', 'compatibility_date = "2026-01-01"',
      `kv_namespaces = [{ binding = "STORE", id = "${kvId}" }]`,
      '[triggers]', 'crons = ["* * * * *"]',
    ].join('\n'));
    const deploy = await cli(['deploy'], { cwd: dir });
    assert.equal(deploy.code, 0, deploy.stderr);
    assert.match(deploy.stdout, /Schedules:\n {2}\* \* \* \* \*\n$/);
    tail = await openSse(`${up.api.url}/api/v1/workers/ticker/tail`, token);
    assert.equal(tail.status, 200);
    await tail.next((f) => f.event === 'ready');
  });

  after(async () => {
    tail?.close();
    await up?.close();
    if (root) rmSync(root, { recursive: true, force: true });
  });

  test('Cron: atoll deploy: the scheduler hears the deployed triggers at once', async () => {
    const upcoming = up.cron.scheduler.upcoming(accountId, 'ticker');
    assert.deepEqual(upcoming.map((u) => u.cron), ['* * * * *']);
    assert.equal(upcoming[0]!.next! % MINUTE, 0);
  });

  test('Cron: timer: at the minute boundary scheduled() runs in the deployed version, writes KV, and the run is on the tail', async () => {
    // The clock 400 ms before the next minute; setting the triggers again re-arms the timer by it.
    const real = Date.now();
    const boundary = (Math.floor((real + offset) / MINUTE) + 1) * MINUTE;
    offset = boundary - 400 - real;
    assert.equal((await api('PUT', '/api/v1/workers/ticker/schedules', { crons: ['* * * * *'] })).status, 200);
    const { data: e } = await tail.next((f) => f.event === 'invocation' && f.data.trigger === 'scheduled', 10_000);
    const at = new Date(boundary).toISOString();
    assert.deepEqual(e.scheduled, { cron: '* * * * *', scheduledTime: at });
    assert.deepEqual([e.account, e.worker, e.location, e.outcome], [accountId, 'ticker', 'CRN', 'ok']);
    assert.deepEqual(e.logs.map((l: { message: string }) => l.message), [`tick * * * * * ${at}`]);
    assert.match(e.version, /^ver_/);
    assert.equal(e.version, (await api('GET', '/api/v1/workers/ticker')).body.deployment.versions[0].version_id);
    const kv = await api('GET', `/api/v1/kv/namespaces/${kvId}/values/last-run`);
    assert.equal(kv.status, 200, kv.text);
    assert.equal(kv.text, `* * * * * @ ${at}`);
    assert.deepEqual(errors, []);
  });

  test('Cron: a change through the API applies live: the new expression fires in its minute, the old one no longer', async () => {
    assert.equal((await api('PUT', '/api/v1/workers/ticker/schedules', { crons: ['30 12 * * MON'] })).status, 200);
    assert.deepEqual(up.cron.scheduler.upcoming(accountId, 'ticker').map((u) => u.cron), ['30 12 * * MON']);
    const before = scheduledEvents().length;
    // 2026-11-30 is a Monday; weekday names count as on Workers.
    await up.cron.scheduler.runMinute(Date.UTC(2026, 10, 30, 12, 30, 15));
    const e = scheduledEvents()[before] ?? (await tail.next((f) => f.event === 'invocation' && f.data.scheduled?.cron === '30 12 * * MON')).data;
    assert.deepEqual(e.scheduled, { cron: '30 12 * * MON', scheduledTime: '2026-11-30T12:30:00.000Z' });
    assert.equal((await api('GET', `/api/v1/kv/namespaces/${kvId}/values/last-run`)).text, '30 12 * * MON @ 2026-11-30T12:30:00.000Z');
    await up.cron.scheduler.runMinute(Date.UTC(2026, 10, 30, 12, 31));
    await up.cron.scheduler.runMinute(Date.UTC(2026, 11, 1, 12, 30));
    assert.equal(scheduledEvents().length, before + 1, 'nothing fires outside its minute');
  });

  test('Cron: a restart loads the stored triggers and runs them', async () => {
    tail.close();
    await up.close();
    up = await startEmbedded(options);
    assert.equal(up.token, null);
    assert.deepEqual(up.cron.scheduler.upcoming(accountId, 'ticker').map((u) => u.cron), ['30 12 * * MON']);
    const events: InvocationEvent[] = [];
    const unsubscribe = processTelemetry.bus.subscribe((e) => { if (e.worker === 'ticker') events.push(e); });
    try {
      await up.cron.scheduler.runMinute(Date.UTC(2026, 11, 7, 12, 30));
      assert.deepEqual(events.map((e) => [e.scheduled?.scheduledTime, e.outcome]), [['2026-12-07T12:30:00.000Z', 'ok']]);
    } finally {
      unsubscribe();
    }
    assert.equal((await api('GET', `/api/v1/kv/namespaces/${kvId}/values/last-run`)).text, '30 12 * * MON @ 2026-12-07T12:30:00.000Z');
  });

  test('Cron: removing the triggers (and deleting the worker) stops them', async () => {
    assert.deepEqual((await api('PUT', '/api/v1/workers/ticker/schedules', { crons: [] })).body.crons, []);
    assert.deepEqual(up.cron.scheduler.upcoming(accountId, 'ticker'), []);
    assert.equal((await api('PUT', '/api/v1/workers/ticker/schedules', { crons: ['* * * * *'] })).status, 200);
    assert.equal(up.cron.scheduler.upcoming(accountId, 'ticker').length, 1);
    assert.equal((await api('DELETE', '/api/v1/workers/ticker')).status, 200);
    assert.deepEqual(up.cron.scheduler.upcoming(accountId, 'ticker'), []);
  });
});
