// Cron triggers on an embedded platform (`atoll up`): a CronScheduler fed from the
// control store (every worker's crons at start, then each change as the store announces
// it), whose runs go through the edge's registry, so a run uses the isolate requests use
// and lands in the tail and metrics like a request (cronFire).

import { cronFire } from '../cron/fire.ts';
import { CronScheduler } from '../cron/scheduler.ts';
import { processTelemetry, type Telemetry } from '../observe/telemetry.ts';
import type { ControlStore } from '../store/control.ts';
import type { Edge } from './server.ts';

export interface EdgeCronOptions {
  /** The schedules and their changes: the control store, or a distributed edge's copy of it (src/cluster). */
  store: Pick<ControlStore, 'watch' | 'listSchedules'>;
  edge: Edge;
  telemetry?: Telemetry;
  /** The scheduler's clock (tests). */
  now?: () => number;
  log(fields: Record<string, unknown>): void;
}

export interface EdgeCron {
  scheduler: CronScheduler;
  stop(): void;
}

/** The version the edge serves for the worker now (a split is picked per run), or null. */
function servedVersion(edge: Edge, accountId: string, worker: string): string | null {
  const served = edge.serving().workers.find((w) => w.accountId === accountId && w.worker === worker);
  if (!served || served.versions.length === 0) return null;
  const roll = Math.random() * 100;
  let edgeAt = 0;
  for (const s of served.versions) {
    edgeAt += s.percentage;
    if (roll < edgeAt) return s.versionId;
  }
  return served.versions[served.versions.length - 1]!.versionId;
}

export async function startEdgeCron(opts: EdgeCronOptions): Promise<EdgeCron> {
  const { store, edge, log } = opts;
  const fire = cronFire({
    location: edge.location,
    telemetry: opts.telemetry ?? processTelemetry,
    version: (accountId, worker) => servedVersion(edge, accountId, worker),
    withIsolate: (ref, fn) => edge.registry.run(ref, fn),
    log: (fields) => log(fields),
  });
  const scheduler = new CronScheduler({ fire, log, now: opts.now });
  // Subscribed before the first load; a change heard meanwhile is newer and wins.
  const seen = new Set<string>();
  const unwatch = store.watch((change) => {
    if (change.kind !== 'schedules' && change.kind !== 'worker_deleted') return;
    const crons = change.kind === 'schedules' ? change.crons : [];
    seen.add(`${change.accountId}/${change.worker}`);
    try {
      scheduler.setWorker({ accountId: change.accountId, worker: change.worker, crons });
      log({ level: 'info', msg: 'cron triggers applied', location: edge.location, account: change.accountId, worker: change.worker, crons });
    } catch (err) {
      // The API checked them; a stored expression this build refuses is logged, not fatal.
      log({ level: 'error', msg: 'cron triggers refused', account: change.accountId, worker: change.worker, error: (err as Error).message });
    }
  });
  try {
    for (const t of await store.listSchedules()) {
      if (seen.has(`${t.accountId}/${t.worker}`)) continue;
      try {
        scheduler.setWorker(t);
      } catch (err) {
        log({ level: 'error', msg: 'cron triggers refused', account: t.accountId, worker: t.worker, error: (err as Error).message });
      }
    }
  } catch (err) {
    unwatch();
    throw err;
  }
  return {
    scheduler,
    stop() {
      unwatch();
      scheduler.stop();
    },
  };
}
