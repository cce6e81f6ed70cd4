// The dashboard's last-hour window (src/dashboard/recent.ts): requests, errors and CPU
// percentiles per worker and location, minute by minute, and what falls out after an hour.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RecentStats } from '../../src/dashboard/recent.ts';
import type { InvocationEvent } from '../../src/observe/event.ts';

const event = (worker: string, location: string, cpuMs: number, status = 200, outcome: InvocationEvent['outcome'] = 'ok'): InvocationEvent => ({
  time: new Date().toISOString(), location, account: 'acc_a', worker, version: 'ver_1', trigger: 'fetch',
  request: { method: 'GET', url: 'http://x/', status }, logs: [], exceptions: [], cpuMs, wallMs: cpuMs, outcome,
});

test('RecentStats: counts requests and errors, and reads CPU percentiles within 25%', () => {
  let now = Date.UTC(2026, 10, 27, 12, 0, 0);
  const stats = new RecentStats(() => now);
  for (let i = 1; i <= 100; i++) stats.record(event('w', 'ams', i));
  stats.record(event('w', 'ams', 1, 500));
  stats.record(event('w', 'fra', 1, 200, 'exceededCpu'));
  stats.record(event('other', 'ams', 1));
  stats.record({ ...event('w', 'ams', 1), account: 'acc_b' });
  const w = stats.worker('acc_a', 'w');
  assert.equal(w.total.requests, 102);
  assert.equal(w.total.errors, 2);
  assert.deepEqual(w.locations.map((l) => [l.location, l.requests, l.errors]), [['ams', 101, 1], ['fra', 1, 1]]);
  const ams = w.locations[0]!;
  for (const [q, want] of [['p50', 50], ['p90', 90], ['p99', 99]] as const) {
    assert.ok(ams.cpu_ms[q] >= want && ams.cpu_ms[q] <= want * 1.25, `${q} ${ams.cpu_ms[q]} is not within 25% above ${want}`);
  }
  assert.equal(ams.minutes.length, 60);
  assert.equal(ams.minutes[59]!.requests, 101);
  assert.equal(ams.minutes[59]!.start, new Date(now).toISOString());
  assert.deepEqual(stats.account('acc_a').map((s) => [s.worker, s.requests]), [['other', 1], ['w', 102]]);
  assert.deepEqual(stats.account('acc_b').map((s) => [s.worker, s.requests]), [['w', 1]]);

  now += 30 * 60_000;
  stats.record(event('w', 'ams', 2));
  assert.equal(stats.worker('acc_a', 'w').total.requests, 103);
  assert.equal(stats.worker('acc_a', 'w').locations[0]!.minutes[59]!.requests, 1);

  // An hour after the first minute, it has left the window; the later one has not.
  now += 30 * 60_000;
  const later = stats.worker('acc_a', 'w');
  assert.equal(later.total.requests, 1);
  assert.deepEqual(later.locations.map((l) => l.location), ['ams']);

  stats.forget('acc_a', 'w');
  assert.equal(stats.worker('acc_a', 'w').total.requests, 0);
});
