// Cron triggers in distributed mode: exactly one edge node in the cluster holds the cron
// lease and runs the triggers (a trigger fires once, not once per location); when that
// node goes, another takes the lease over and runs them.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { InvocationEvent } from '../../src/observe/event.ts';
import { processTelemetry } from '../../src/observe/telemetry.ts';
import { upload } from '../control/harness.ts';
import { eventually } from '../edge/helpers.ts';
import { startTestCluster, type TestCluster } from './cluster-harness.ts';

let c: TestCluster;
before(async () => { c = await startTestCluster({ locations: ['ams', 'fra'] }); });
after(() => c?.close());

test('cluster cron: one edge holds the lease and runs the triggers; when it closes, the other takes over', async () => {
  await upload(c.h, 'ticker', { source: 'export default { scheduled(controller) { console.log("tick " + controller.cron); } };' });
  assert.equal((await c.h.call('PUT', '/api/v1/workers/ticker/schedules', { json: { crons: ['* * * * *'] } })).status, 200);
  const accountId = (await c.h.call('GET', '/api/v1/whoami')).body.account.id as string;

  const holder = () => {
    const holding = c.edges.filter((e) => e.cron() !== null);
    assert.equal(holding.length, 1, `${holding.length} edges run cron`);
    return holding[0]!;
  };
  await eventually(() => assert.deepEqual(holder().cron()!.scheduler.upcoming(accountId, 'ticker').map((u) => u.cron), ['* * * * *']), 60_000);

  const events: InvocationEvent[] = [];
  const stop = processTelemetry.bus.subscribe((e) => { if (e.worker === 'ticker') events.push(e); });
  try {
    const first = holder();
    await first.cron()!.scheduler.runMinute(Date.UTC(2026, 10, 30, 12, 0));
    await eventually(() => assert.equal(events.length, 1), 60_000);
    assert.equal(events[0]!.location, first.edge.location);
    assert.deepEqual(events[0]!.logs.map((l) => l.message), ['tick * * * * *']);

    await first.close();
    c.edges.splice(c.edges.indexOf(first), 1);
    await eventually(() => {
      const next = holder();
      assert.notEqual(next, first);
      assert.deepEqual(next.cron()!.scheduler.upcoming(accountId, 'ticker').map((u) => u.cron), ['* * * * *']);
    }, 60_000);
    await holder().cron()!.scheduler.runMinute(Date.UTC(2026, 10, 30, 12, 1));
    await eventually(() => assert.equal(events.length, 2), 60_000);
    assert.equal(events[1]!.location, holder().edge.location);
  } finally {
    stop();
  }
});
